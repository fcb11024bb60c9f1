import { Buffer } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import type { Record as StoredRecord } from '../../../src/records/record.js';
import { hasClient } from '../../helpers/served-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { CODEC_LZ4, codecOf, numberedRecords, produceEmbedded, storedBatchHeaders } from './client-helpers.js';
import { LIBRDKAFKA_WARNING_OR_WORSE, runProcess, serveForProcesses, type ProcessResult } from './client-process.js';

/**
 * kcat 1.7.1 (librdkafka 2.0.2) against a served broker: metadata (-L), producing with every acks
 * level and LZ4 (-P), the simple consumer on an assigned partition (-C -p), offsets for times
 * (-Q), and the balanced consumer with committed offsets (-G). Records are compared byte for byte
 * with what kcat was given and with what the embedded broker reads back.
 *
 * kcat has no admin commands (no CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs):
 * topics here are created through the embedded broker API, or by auto-creation when kcat produces
 * to a missing topic. The admin APIs are covered with kafka-python (kafka-python.test.ts), whose
 * file also holds the group shared by a kcat member and a kafka-python member.
 *
 * librdkafka waits are shortened with -X settings so that the file runs in seconds.
 */

const haveKcat = hasClient('kcat');

/** Byte-exact -J parsing: kcat writes bytes ≥ 0x80 of keys/values/headers raw, so read as latin1. */
interface KcatMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly tstype: string;
  readonly ts: number;
  readonly broker: number;
  readonly headers?: ReadonlyArray<string | null>;
  readonly key: string | null;
  readonly payload: string | null;
}

interface KcatMetadata {
  readonly originating_broker: { readonly id: number; readonly name: string };
  readonly query: { readonly topic: string };
  readonly controllerid: number;
  readonly brokers: ReadonlyArray<{ readonly id: number; readonly name: string }>;
  readonly topics: ReadonlyArray<{
    readonly topic: string;
    readonly error?: string;
    readonly partitions: ReadonlyArray<{
      readonly partition: number;
      readonly leader: number;
      readonly replicas: ReadonlyArray<{ readonly id: number }>;
      readonly isrs: ReadonlyArray<{ readonly id: number }>;
    }>;
  }>;
}

type KcatOffsets = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

const COMMON = ['-X', 'topic.metadata.refresh.interval.ms=1000', '-X', 'reconnect.backoff.ms=50', '-m', '10'];
const CONSUMER = [...COMMON, '-X', 'fetch.wait.max.ms=100'];
const GROUP_CONSUMER = [
  ...CONSUMER,
  '-X', 'session.timeout.ms=6000',
  '-X', 'heartbeat.interval.ms=500',
  '-X', 'auto.commit.interval.ms=100',
  '-X', 'auto.offset.reset=earliest',
];

function bytes(text: string | null): Buffer | null {
  return text === null ? null : Buffer.from(text, 'latin1');
}

function utf8(text: string | null): string | null {
  return text === null ? null : Buffer.from(text, 'latin1').toString('utf8');
}

function parseJsonLines<T>(stdout: Buffer): T[] {
  return stdout
    .toString('latin1')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

function ok(result: ProcessResult, what: string): ProcessResult {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`${what} failed (code ${String(result.code)}, signal ${String(result.signal)}, timed out ${String(result.timedOut)}):\n${result.stderr}`);
  }
  expect(result.stderr, what).not.toMatch(LIBRDKAFKA_WARNING_OR_WORSE);
  return result;
}

describe.skipIf(!haveKcat)(`kcat${haveKcat ? '' : ' (skipped: kcat is not installed)'}`, () => {
  const served = serveForProcesses();

  async function kcat(args: ReadonlyArray<string>, input?: Buffer | string, timeoutMs = 20_000): Promise<ProcessResult> {
    const options = input === undefined ? { timeoutMs } : { timeoutMs, input };
    return ok(await runProcess('kcat', ['-b', served.address, ...args], options), `kcat ${args.join(' ')}`);
  }

  async function consumeJson(args: ReadonlyArray<string>): Promise<KcatMessage[]> {
    return parseJsonLines<KcatMessage>((await kcat(['-C', '-J', ...CONSUMER, ...args])).stdout);
  }

  function nodeId(): number {
    return served.server.config.nodeId;
  }

  test('kcat lists metadata as JSON with the broker, the controller and the topics', async () => {
    await served.broker.createTopic('meta-three', { partitions: 3 });
    await served.broker.createTopic('meta-one', { partitions: 1 });
    const id = nodeId();
    const partitionEntry = (partition: number): KcatMetadata['topics'][number]['partitions'][number] => ({
      partition,
      leader: id,
      replicas: [{ id }],
      isrs: [{ id }],
    });

    const all = JSON.parse((await kcat(['-L', '-J', ...COMMON])).stdout.toString('utf8')) as KcatMetadata;
    expect(all.originating_broker.id).toBe(id);
    expect(all.query.topic).toBe('*');
    expect(all.controllerid).toBe(id);
    expect(all.brokers).toEqual([{ id, name: served.address }]);
    expect(all.topics.map((topic) => topic.topic).sort()).toEqual(served.broker.listTopics());
    expect(all.topics.find((topic) => topic.topic === 'meta-three')).toEqual({ topic: 'meta-three', partitions: [0, 1, 2].map(partitionEntry) });
    expect(all.topics.find((topic) => topic.topic === 'meta-one')).toEqual({ topic: 'meta-one', partitions: [partitionEntry(0)] });
    expect(all.topics.filter((topic) => topic.error !== undefined)).toEqual([]);

    const one = JSON.parse((await kcat(['-L', '-J', '-t', 'meta-three', ...COMMON])).stdout.toString('utf8')) as KcatMetadata;
    expect(one.query.topic).toBe('meta-three');
    expect(one.controllerid).toBe(id);
    expect(one.topics).toEqual([{ topic: 'meta-three', partitions: [0, 1, 2].map(partitionEntry) }]);
  });

  test.each(['0', '1', 'all'])('kcat produces with acks=%s and every record reaches the log in order', async (acks) => {
    const topic = `kcat-acks-${acks}`;
    await served.broker.createTopic(topic, { partitions: 1 });
    const values = Array.from({ length: 200 }, (_, index) => `acks=${acks} record ${index}`);
    await kcat(['-P', '-t', topic, '-p', '0', '-X', `acks=${acks}`, '-X', 'linger.ms=5', ...COMMON], `${values.join('\n')}\n`);

    // With acks=0 kcat exits once the requests are written: the log catches up without answering.
    const log = served.broker.log(topic, 0);
    await waitFor(() => `log end offset ${values.length} (at ${log.highWatermark})`, () => log.highWatermark === values.length, 10_000);
    const stored = log.readRecords(0).records;
    expect(stored.map((record) => record.offset)).toEqual(values.map((_, index) => index));
    expect(stored.map((record) => record.value?.toString('utf8'))).toEqual(values);
    expect(stored.every((record) => record.key === null)).toBe(true);
  });

  test('kcat produces lz4-compressed batches (-z lz4 and compression.codec=lz4) that are stored as sent and read back', async () => {
    const topic = 'kcat-lz4';
    await served.broker.createTopic(topic, { partitions: 2 });
    const values = (partition: number): string[] =>
      Array.from({ length: 300 }, (_, index) => `partition ${partition} compressible record ${index} ${'abc'.repeat(20)}`);
    await kcat(['-P', '-t', topic, '-p', '0', '-z', 'lz4', '-X', 'acks=1', ...COMMON], `${values(0).join('\n')}\n`);
    await kcat(['-P', '-t', topic, '-p', '1', '-X', 'compression.codec=lz4', '-X', 'acks=all', ...COMMON], `${values(1).join('\n')}\n`);

    for (const partition of [0, 1]) {
      const headers = storedBatchHeaders(served, topic, partition);
      expect(headers.length).toBeGreaterThan(0);
      expect(headers.map(codecOf)).toEqual(headers.map(() => CODEC_LZ4));
      const stored = served.broker.log(topic, partition).readRecords(0).records;
      expect(stored.map((record) => record.value?.toString('utf8'))).toEqual(values(partition));

      const consumed = await consumeJson(['-t', topic, '-p', String(partition), '-o', 'beginning', '-e']);
      expect(consumed.map((message) => message.payload)).toEqual(values(partition));
      expect(consumed.map((message) => message.offset)).toEqual(values(partition).map((_, index) => index));
    }
  });

  test('keys, values, headers and timestamps round-trip byte-identical from kcat -P through the log to kcat -C', async () => {
    const topic = 'kcat-bytes';
    await served.broker.createTopic(topic, { partitions: 1 });
    // Every byte value except the two delimiters, so newlines, NULs and invalid UTF-8 are data.
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => byte !== 0x1e && byte !== 0x1f));
    const messages = Array.from({ length: 12 }, (_, index) => ({
      key: Buffer.concat([Buffer.from([index + 0x20, 0x00, 0xff, 0x80, 0xc3, 0x28, 0x0a]), Buffer.from(`key-${index}`)]),
      value: Buffer.concat([allBytes.subarray(index * 7), allBytes.subarray(0, index * 7), Buffer.from([0xf0, 0x28, 0x8c, 0xbc])]),
    }));
    const input = Buffer.concat(messages.flatMap((message, index) => [
      ...(index === 0 ? [] : [Buffer.from([0x1e])]),
      message.key,
      Buffer.from([0x1f]),
      message.value,
    ]));
    const headerArgs = ['trace=abc-123', 'utf8=ünïcødé ✓', 'empty=', 'novalue', 'dup=1', 'dup=2', 'eq=a=b'];
    const expectedHeaders = [
      { key: 'trace', value: Buffer.from('abc-123') },
      { key: 'utf8', value: Buffer.from('ünïcødé ✓', 'utf8') },
      { key: 'empty', value: Buffer.alloc(0) },
      { key: 'novalue', value: null },
      { key: 'dup', value: Buffer.from('1') },
      { key: 'dup', value: Buffer.from('2') },
      { key: 'eq', value: Buffer.from('a=b') },
    ];

    const before = Date.now();
    await kcat(['-P', '-t', topic, '-p', '0', '-D', '\\x1e', '-K', '\\x1f', ...headerArgs.flatMap((header) => ['-H', header]), ...COMMON], input);
    const after = Date.now();

    // What the embedded broker reads back is exactly what kcat was given.
    const stored: StoredRecord[] = served.broker.log(topic, 0).readRecords(0).records;
    expect(stored).toHaveLength(messages.length);
    stored.forEach((record, index) => {
      expect(record.offset).toBe(index);
      expect(record.key?.equals(messages[index]!.key)).toBe(true);
      expect(record.value?.equals(messages[index]!.value)).toBe(true);
      expect(record.headers).toEqual(expectedHeaders);
      expect(record.timestamp).toBeGreaterThanOrEqual(before);
      expect(record.timestamp).toBeLessThanOrEqual(after);
    });

    // kcat -J: keys, payloads, headers and timestamps match both the input and the stored records.
    const consumed = await consumeJson(['-t', topic, '-p', '0', '-o', 'beginning', '-e']);
    expect(consumed).toHaveLength(messages.length);
    consumed.forEach((message, index) => {
      expect(message.offset).toBe(index);
      expect(message.tstype).toBe('create');
      expect(message.ts).toBe(stored[index]!.timestamp);
      expect(bytes(message.key)?.equals(messages[index]!.key)).toBe(true);
      expect(bytes(message.payload)?.equals(messages[index]!.value)).toBe(true);
      expect(message.headers?.map(utf8)).toEqual(expectedHeaders.flatMap((header) => [header.key, header.value?.toString('utf8') ?? null]));
    });

    // kcat -f with lengths: raw bytes, no JSON escaping involved.
    const formatted = (await kcat(['-C', ...CONSUMER, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o,%K,%S,%T;%k%s'])).stdout;
    let position = 0;
    for (const [index, message] of messages.entries()) {
      const separator = formatted.indexOf(';', position);
      const [offset, keyLength, valueLength, timestamp] = formatted.subarray(position, separator).toString('latin1').split(',').map(Number);
      expect([offset, keyLength, valueLength, timestamp]).toEqual([index, message.key.length, message.value.length, stored[index]!.timestamp]);
      const keyStart = separator + 1;
      expect(formatted.subarray(keyStart, keyStart + message.key.length).equals(message.key)).toBe(true);
      const valueStart = keyStart + message.key.length;
      expect(formatted.subarray(valueStart, valueStart + message.value.length).equals(message.value)).toBe(true);
      position = valueStart + message.value.length;
    }
    expect(position).toBe(formatted.length);
  });

  test('kcat consumes an assigned partition from the beginning, from an offset and from the end', async () => {
    const topic = 'kcat-assigned';
    await served.broker.createTopic(topic, { partitions: 3 });
    const base = 1_700_000_000_000;
    for (const partition of [0, 1, 2]) {
      await produceEmbedded(
        served,
        topic,
        Array.from({ length: 10 }, (_, index) => ({ partition, key: `k${index}`, value: `p${partition}-r${index}`, timestamp: base + partition * 100 + index })),
      );
    }

    const fromBeginning = await consumeJson(['-t', topic, '-p', '1', '-o', 'beginning', '-e']);
    expect(fromBeginning.map((message) => [message.partition, message.offset, message.key, message.payload, message.ts])).toEqual(
      Array.from({ length: 10 }, (_, index) => [1, index, `k${index}`, `p1-r${index}`, base + 100 + index]),
    );
    const fromOffset = await consumeJson(['-t', topic, '-p', '2', '-o', '7', '-e']);
    expect(fromOffset.map((message) => [message.offset, message.payload])).toEqual([
      [7, 'p2-r7'],
      [8, 'p2-r8'],
      [9, 'p2-r9'],
    ]);
    const lastTwo = await consumeJson(['-t', topic, '-p', '0', '-o', '-2', '-e']);
    expect(lastTwo.map((message) => message.offset)).toEqual([8, 9]);
    const firstThree = await consumeJson(['-t', topic, '-p', '0', '-o', 'beginning', '-c', '3']);
    expect(firstThree.map((message) => message.payload)).toEqual(['p0-r0', 'p0-r1', 'p0-r2']);
    const fromEnd = await consumeJson(['-t', topic, '-p', '0', '-o', 'end', '-e']);
    expect(fromEnd).toEqual([]);
  });

  test('kcat -Q finds offsets for timestamps, and -o s@ starts consuming at one', async () => {
    const topic = 'kcat-times';
    await served.broker.createTopic(topic, { partitions: 2 });
    const base = 1_700_000_000_000;
    for (const partition of [0, 1]) {
      await produceEmbedded(
        served,
        topic,
        Array.from({ length: 5 }, (_, index) => ({ partition, key: `k${index}`, value: `v${index}`, timestamp: base + 1000 * index + 500 * partition })),
      );
    }

    const query = async (...specs: string[]): Promise<KcatOffsets> =>
      JSON.parse((await kcat(['-Q', '-J', ...COMMON, ...specs.flatMap((spec) => ['-t', spec])])).stdout.toString('utf8')) as KcatOffsets;
    const found = await query(`${topic}:0:${base + 1500}`, `${topic}:1:${base + 3500}`);
    expect(found[topic]).toEqual({
      topic,
      '0': { partition: 0, offset: 2 },
      '1': { partition: 1, offset: 3 },
    });
    const exact = await query(`${topic}:0:${base + 3000}`, `${topic}:1:0`);
    expect(exact[topic]).toEqual({ topic, '0': { partition: 0, offset: 3 }, '1': { partition: 1, offset: 0 } });
    // After the newest record: no offset (-1).
    const beyond = await query(`${topic}:0:${base + 10_000}`);
    expect(beyond[topic]).toEqual({ topic, '0': { partition: 0, offset: -1 } });

    const fromTime = await consumeJson(['-t', topic, '-p', '0', '-o', `s@${base + 2000}`, '-e']);
    expect(fromTime.map((message) => [message.offset, message.ts])).toEqual([
      [2, base + 2000],
      [3, base + 3000],
      [4, base + 4000],
    ]);
  });

  test('kcat consumes with a group subscription and commits offsets', async () => {
    const topic = 'kcat-grouped';
    const group = 'kcat-group';
    await served.broker.createTopic(topic, { partitions: 2 });
    const produce = async (partition: number, from: number, count: number): Promise<void> =>
      produceEmbedded(served, topic, numberedRecords(partition, from, count, (n) => `k${n}`));
    const committed = (): Array<[number, number]> =>
      served.groups.offsets
        .fetch(group)
        .filter((entry) => entry.topic === topic)
        .map((entry): [number, number] => [entry.partition, entry.offset])
        .sort((left, right) => left[0] - right[0]);
    const consumeGroup = async (...extra: string[]): Promise<KcatMessage[]> =>
      parseJsonLines<KcatMessage>((await kcat(['-G', group, '-J', ...GROUP_CONSUMER, ...extra, topic])).stdout);
    const sorted = (messages: KcatMessage[]): Array<[number, number, string | null]> =>
      messages
        .map((message): [number, number, string | null] => [message.partition, message.offset, message.payload])
        .sort((left, right) => left[0] - right[0] || left[1] - right[1]);

    await produce(0, 0, 6);
    await produce(1, 0, 6);
    const first = await consumeGroup('-e');
    expect(sorted(first)).toEqual([0, 1].flatMap((partition) => Array.from({ length: 6 }, (_, index) => [partition, index, `p${partition}-r${index}`])));
    // kcat commits what it consumed when it closes, then leaves the group.
    expect(committed()).toEqual([
      [0, 6],
      [1, 6],
    ]);
    expect(served.groups.coordinator.describeGroup(group).groupState).toBe('Empty');

    // A new run of the group resumes from the committed offsets.
    await produce(0, 6, 3);
    await produce(1, 6, 2);
    const second = await consumeGroup('-e');
    expect(sorted(second)).toEqual([
      [0, 6, 'p0-r6'],
      [0, 7, 'p0-r7'],
      [0, 8, 'p0-r8'],
      [1, 6, 'p1-r6'],
      [1, 7, 'p1-r7'],
    ]);
    expect(committed()).toEqual([
      [0, 9],
      [1, 8],
    ]);

    // -c: stop after two records; only what was handed to kcat is committed.
    await produce(0, 9, 4);
    const third = await consumeGroup('-c', '2');
    expect(sorted(third)).toEqual([
      [0, 9, 'p0-r9'],
      [0, 10, 'p0-r10'],
    ]);
    expect(committed()).toEqual([
      [0, 11],
      [1, 8],
    ]);
    expect(served.groups.coordinator.describeGroup(group).groupState).toBe('Empty');
  });

  test('kcat producing to a missing topic auto-creates it with num.partitions partitions', async () => {
    const topic = 'kcat-auto-created';
    expect(served.broker.hasTopic(topic)).toBe(false);
    await kcat(['-P', '-t', topic, '-p', '0', '-K', ':', ...COMMON], 'key:value\n');
    expect(served.broker.hasTopic(topic)).toBe(true);
    expect(served.broker.partitionCount(topic)).toBe(served.broker.defaultPartitions);
    await waitFor('the record', () => served.broker.log(topic, 0).highWatermark === 1);
    const [record] = served.broker.log(topic, 0).readRecords(0).records;
    expect([record?.key?.toString(), record?.value?.toString()]).toEqual(['key', 'value']);
  });
});
