import { Buffer } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import type { DescribedGroup } from '../../../src/groups/group-messages.js';
import { decodeAssignment } from '../../../src/groups/consumer-protocol.js';
import type { Record as StoredRecord } from '../../../src/records/record.js';
import { hasClient, hasPythonKafka } from '../../helpers/served-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { CODEC_LZ4, codecOf, hex, numberedRecords, produceEmbedded, storedBatchHeaders } from './client-helpers.js';
import { LIBRDKAFKA_WARNING_OR_WORSE, LongRunningProcess, clientsPath, runProcess, serveForProcesses } from './client-process.js';

/**
 * kafka-python 2.0.2 (Debian's python3-kafka, run with /usr/bin/python3; LZ4 from python3-lz4)
 * against a served broker, through the scripts in ./python: its pipelined ApiVersions v0 +
 * Metadata v0 probe, producing with every acks level and LZ4, assign+seek and group consumers
 * with committed offsets, and KafkaAdminClient (create/delete topics, add partitions, describe
 * configs, group offsets). Bytes travel between the test and the scripts as hex, so non-UTF-8
 * keys, values and header values are compared exactly, in Python and in the embedded broker.
 *
 * The last test puts a kcat -G member and a kafka-python member in the same group.
 */

const havePython = hasPythonKafka();
const haveKcat = hasClient('kcat');
/** Debian's python, which has python3-kafka (not the pyenv python3 on PATH); run with -B (no __pycache__). */
const PYTHON = '/usr/bin/python3';

/**
 * common.py logs kafka-python's warnings with their level; errors and tracebacks fail a test,
 * except the fetch that the consumer's own close() cancels ("Cancelled" is what kafka-python fails
 * in-flight requests with when it closes a connection itself; a connection the broker dropped
 * fails them with KafkaConnectionError instead).
 */
function pythonErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => /^(ERROR|CRITICAL) |Traceback/.test(line))
    .filter((line) => !/^ERROR kafka\.consumer\.fetcher: Fetch to node \d+ failed: Cancelled: /.test(line));
}

interface PythonRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

interface ProduceRecordSpec {
  readonly partition?: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly timestampMs?: number;
}

interface ProduceOutput {
  readonly apiVersion: number[];
  readonly results: ReadonlyArray<{ partition?: number; offset?: number; timestamp?: number; error?: string; message?: string }>;
}

interface AssignOutput {
  readonly apiVersion: number[];
  readonly beginningOffsets: Readonly<Record<string, number>>;
  readonly endOffsets: Readonly<Record<string, number>>;
  readonly offsetsForTimes: Readonly<Record<string, { offset: number; timestamp: number } | null>>;
  readonly records: PythonRecord[];
  readonly positions: Readonly<Record<string, number>>;
}

interface GroupOutput {
  readonly records: PythonRecord[];
  readonly assignment: Array<[string, number]>;
  readonly committed: Readonly<Record<string, number | null>>;
}

interface AdminResult {
  readonly op: string;
  readonly result?: unknown;
  readonly error?: string;
  readonly message?: string;
}

interface AdminOutput {
  readonly apiVersion: number[];
  readonly results: AdminResult[];
}

interface MemberEvent {
  readonly event: 'assigned' | 'revoked' | 'closed';
  readonly partitions?: Array<[string, number]>;
  readonly records?: number;
}

const unhex = (text: string | null): Buffer | null => (text === null ? null : Buffer.from(text, 'hex'));

/** Deterministic bytes that always start with invalid UTF-8 and contain NUL and newline. */
function binary(seed: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = (seed * 2_654_435_761 + 12_345) >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    bytes[index] = state >>> 24;
  }
  Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, 0x0a]).copy(bytes, 0, 0, Math.min(length, 7));
  return bytes;
}

/** A record as stored, in the scripts' hex form, to compare with what was sent or consumed. */
function storedAsHex(record: StoredRecord): { offset: number; timestamp: number; key: string | null; value: string | null; headers: Array<[string, string | null]> } {
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: hex(record.key),
    value: hex(record.value),
    headers: record.headers.map((header): [string, string | null] => [header.key, hex(header.value)]),
  };
}

function pythonAsHex(record: PythonRecord): ReturnType<typeof storedAsHex> {
  return { offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers.map(([key, value]): [string, string | null] => [key, value]) };
}

function assignedPartitions(member: DescribedGroup['members'][number]): number[] {
  return decodeAssignment(member.memberAssignment).assignedPartitions.flatMap((entry) => entry.partitions).sort((left, right) => left - right);
}

describe.skipIf(!havePython)(`kafka-python${havePython ? '' : ' (skipped: /usr/bin/python3 with python3-kafka is not installed)'}`, () => {
  const served = serveForProcesses();

  async function python<T>(script: string, spec: unknown, timeoutMs = 30_000): Promise<T> {
    const result = await runProcess(PYTHON, ['-B', clientsPath(`python/${script}`), served.address, JSON.stringify(spec)], { timeoutMs });
    if (result.code !== 0 || result.timedOut) {
      throw new Error(`${script} failed (code ${String(result.code)}, timed out ${String(result.timedOut)}):\n${result.stderr}\n${result.stdout.toString('utf8')}`);
    }
    expect(pythonErrors(result.stderr), script).toEqual([]);
    return JSON.parse(result.stdout.toString('utf8')) as T;
  }

  function admin(ops: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<AdminOutput> {
    return python<AdminOutput>('admin.py', { ops });
  }

  test("kafka-python's pipelined ApiVersions v0 + Metadata v0 probe succeeds and infers Kafka 2.1 or later", async () => {
    await served.broker.createTopic('py-probe', { partitions: 2 });
    // KafkaAdminClient probes twice (bootstrap connection, then the controller's).
    const output = await admin([{ op: 'list_topics' }, { op: 'describe_topics', topics: ['py-probe'] }]);
    const [major = 0, minor = 0] = output.apiVersion;
    expect(major * 100 + minor).toBeGreaterThanOrEqual(201);
    expect(output.results[0]).toEqual({ op: 'list_topics', result: served.broker.listTopics() });
    expect(output.results[1]).toEqual({ op: 'describe_topics', result: [{ topic: 'py-probe', errorCode: 0, partitions: [0, 1] }] });
  });

  test.each([
    { acks: 0, name: '0' },
    { acks: 1, name: '1' },
    { acks: 'all', name: 'all' },
  ])('kafka-python produces with acks=$name and keys, values, headers and timestamps reach the log byte-identical', async ({ acks, name }) => {
    const topic = `py-acks-${name}`;
    await served.broker.createTopic(topic, { partitions: 2 });
    const base = 1_600_000_000_000;
    const records: ProduceRecordSpec[] = Array.from({ length: 40 }, (_, index) => ({
      partition: index % 2,
      key: index % 10 === 3 ? null : hex(binary(index, 1 + (index % 9))),
      // One tombstone (null value with a key); the others are binary of varied length.
      value: index === 7 ? null : hex(binary(1000 + index, index * 13)),
      headers: [
        ['bin', hex(binary(2000 + index, 5))!],
        ['utf8', hex(Buffer.from(`ünï ${index}`))!],
        ['empty', ''],
        ['bin', hex(Buffer.from([0xff, index]))!],
      ],
      // Not monotonic: CreateTime is what the producer says.
      timestampMs: base + ((index * 7919) % 40) * 1000,
    }));
    const output = await python<ProduceOutput>('produce.py', { topic, acks, records });

    const expectedOffsets = records.map((record, index) => records.slice(0, index).filter((earlier) => earlier.partition === record.partition).length);
    if (acks === 0) {
      // No response for acks=0: kafka-python reports offset -1, and the log must catch up anyway.
      expect(output.results.map((result) => result.offset)).toEqual(records.map(() => -1));
    } else {
      expect(output.results.map((result) => [result.partition, result.offset, result.timestamp])).toEqual(
        records.map((record, index) => [record.partition, expectedOffsets[index], record.timestampMs]),
      );
    }
    for (const partition of [0, 1]) {
      const log = served.broker.log(topic, partition);
      const sent = records.filter((record) => record.partition === partition);
      await waitFor(() => `partition ${partition} end offset ${sent.length} (at ${log.highWatermark})`, () => log.highWatermark === sent.length, 10_000);
      expect(log.readRecords(0).records.map(storedAsHex)).toEqual(
        sent.map((record, offset) => ({ offset, timestamp: record.timestampMs, key: record.key, value: record.value, headers: record.headers })),
      );
    }
  });

  test('kafka-python produces lz4-compressed batches that are stored as sent and read back byte-identical', async () => {
    const topic = 'py-lz4';
    await served.broker.createTopic(topic, { partitions: 1 });
    const base = 1_650_000_000_000;
    const records: ProduceRecordSpec[] = Array.from({ length: 300 }, (_, index) => ({
      partition: 0,
      key: hex(Buffer.from(`key-${index % 17}`)),
      value: hex(Buffer.concat([binary(index, 16), Buffer.from(` compressible ${'xyz'.repeat(30)} ${index}`)])),
      headers: [['h', hex(binary(index, 3))!]],
      timestampMs: base + index,
    }));
    const output = await python<ProduceOutput>('produce.py', { topic, acks: 1, compression: 'lz4', lingerMs: 20, records });
    expect(output.results.map((result) => result.offset)).toEqual(records.map((_, index) => index));

    const headers = storedBatchHeaders(served, topic, 0);
    expect(headers.length).toBeGreaterThan(0);
    expect(headers.length).toBeLessThan(records.length);
    expect(headers.map(codecOf)).toEqual(headers.map(() => CODEC_LZ4));
    const expected = records.map((record, offset) => ({ offset, timestamp: record.timestampMs, key: record.key, value: record.value, headers: record.headers }));
    expect(served.broker.log(topic, 0).readRecords(0, 16 * 1024 * 1024).records.map(storedAsHex)).toEqual(expected);

    const consumed = await python<AssignOutput>('consume_assign.py', { topic, partitions: [0] });
    expect(consumed.records.map(pythonAsHex)).toEqual(expected);
  });

  test('kafka-python consumes assigned partitions with seek and reads exactly what the embedded broker stored', async () => {
    const topic = 'py-assigned';
    await served.broker.createTopic(topic, { partitions: 3 });
    const base = 1_700_000_000_000;
    await produceEmbedded(
      served,
      topic,
      Array.from({ length: 30 }, (_, index) => ({
        partition: index % 3,
        key: index % 4 === 0 ? null : binary(index, 6),
        value: binary(500 + index, 10 + index),
        headers: [
          { key: 'n', value: Buffer.from(String(index)) },
          { key: 'raw', value: binary(900 + index, 4) },
        ],
        timestamp: base + index * 100,
      })),
    );

    const output = await python<AssignOutput>('consume_assign.py', {
      topic,
      partitions: [0, 2],
      seek: { '2': 4 },
      timesToLookUp: { '0': base + 450, '2': base + 10_000 },
    });
    expect(output.beginningOffsets).toEqual({ '0': 0, '2': 0 });
    expect(output.endOffsets).toEqual({ '0': 10, '2': 10 });
    expect(output.positions).toEqual({ '0': 10, '2': 10 });
    // Partition 0 holds records 0, 3, 6, 9…: the first at or after base+450 is record 6, offset 2.
    expect(output.offsetsForTimes).toEqual({ '0': { offset: 2, timestamp: base + 600 }, '2': null });
    for (const partition of [0, 2]) {
      const fromOffset = partition === 2 ? 4 : 0;
      const consumed = output.records.filter((record) => record.partition === partition).map(pythonAsHex);
      expect(consumed).toEqual(served.broker.log(topic, partition).readRecords(fromOffset).records.map(storedAsHex));
      expect(consumed.map((record) => record.offset)).toEqual(Array.from({ length: 10 - fromOffset }, (_, index) => fromOffset + index));
    }
    expect(output.records.every((record) => record.timestampType === 0)).toBe(true);
  });

  test('kafka-python consumes with a group subscription, commits offsets and reads the commits back', async () => {
    const topic = 'py-grouped';
    const group = 'py-group';
    await served.broker.createTopic(topic, { partitions: 3 });
    const produce = (partition: number, from: number, count: number): Promise<void> =>
      produceEmbedded(served, topic, numberedRecords(partition, from, count, (n) => `k${n}`));
    const summary = (records: PythonRecord[]): Array<[number, number, string]> =>
      records
        .map((record): [number, number, string] => [record.partition, record.offset, unhex(record.value)?.toString('utf8') ?? ''])
        .sort((left, right) => left[0] - right[0] || left[1] - right[1]);
    const storeOffsets = (): Record<string, number> =>
      Object.fromEntries(served.groups.offsets.fetch(group).map((entry) => [`${entry.topic}:${entry.partition}`, entry.offset]));

    for (const partition of [0, 1, 2]) await produce(partition, 0, 5);
    const first = await python<GroupOutput>('consume_group.py', { topics: [topic], groupId: group, count: 15 });
    expect(summary(first.records)).toEqual([0, 1, 2].flatMap((partition) => Array.from({ length: 5 }, (_, index) => [partition, index, `p${partition}-r${index}`])));
    expect(first.assignment).toEqual([0, 1, 2].map((partition) => [topic, partition]));
    const allCommitted = { [`${topic}:0`]: 5, [`${topic}:1`]: 5, [`${topic}:2`]: 5 };
    // KafkaConsumer.committed() (OffsetFetch), the embedded offset store and the admin client agree.
    expect(first.committed).toEqual(allCommitted);
    expect(storeOffsets()).toEqual(allCommitted);
    const adminView = await admin([
      { op: 'list_consumer_group_offsets', groupId: group },
      { op: 'describe_consumer_groups', groupIds: [group] },
      { op: 'list_consumer_groups' },
    ]);
    expect(adminView.results).toEqual([
      { op: 'list_consumer_group_offsets', result: allCommitted },
      // The consumer left the group when it closed.
      { op: 'describe_consumer_groups', result: [{ group, state: 'Empty', protocolType: 'consumer', protocol: '', members: 0 }] },
      { op: 'list_consumer_groups', result: expect.arrayContaining([[group, 'consumer']]) as unknown },
    ]);
    expect(served.groups.coordinator.describeGroup(group).groupState).toBe('Empty');

    // The group resumes from its commits: only the new records arrive.
    await produce(1, 5, 2);
    const second = await python<GroupOutput>('consume_group.py', { topics: [topic], groupId: group, count: 2 });
    expect(summary(second.records)).toEqual([
      [1, 5, 'p1-r5'],
      [1, 6, 'p1-r6'],
    ]);
    expect(second.committed).toEqual({ ...allCommitted, [`${topic}:1`]: 7 });
    expect(storeOffsets()).toEqual({ ...allCommitted, [`${topic}:1`]: 7 });
  });

  test('KafkaAdminClient creates and deletes topics, adds partitions and describes configs', async () => {
    const created = await admin([
      {
        op: 'create_topics',
        topics: [
          { name: 'py-admin', partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } },
          { name: 'py-admin-second', partitions: 3, replicationFactor: 1 },
        ],
      },
      { op: 'create_topics', topics: [{ name: 'py-admin', partitions: 2 }] },
      { op: 'create_topics', topics: [{ name: 'py-admin-replicated', partitions: 2, replicationFactor: 3 }] },
      { op: 'create_topics', topics: [{ name: 'py-admin-validated', partitions: 2 }], validateOnly: true },
      { op: 'create_partitions', topic: 'py-admin', totalCount: 5 },
      { op: 'create_partitions', topic: 'py-admin', totalCount: 3 },
      { op: 'describe_topics', topics: ['py-admin'] },
      { op: 'describe_configs', topics: ['py-admin'] },
    ]);
    const [create, duplicate, replicated, validated, addPartitions, shrink, described, configs] = created.results;
    expect(create).toEqual({ op: 'create_topics', result: { version: expect.any(Number) as unknown, topicErrors: [['py-admin', 0], ['py-admin-second', 0]] } });
    expect(duplicate?.error).toBe('TopicAlreadyExistsError');
    expect(replicated?.error).toBe('InvalidReplicationFactorError');
    expect(validated).toEqual({ op: 'create_topics', result: { version: expect.any(Number) as unknown, topicErrors: [['py-admin-validated', 0]] } });
    expect(addPartitions).toEqual({ op: 'create_partitions', result: { version: expect.any(Number) as unknown, topicErrors: [['py-admin', 0]] } });
    expect(shrink?.error).toBe('InvalidPartitionsError');
    expect(described).toEqual({ op: 'describe_topics', result: [{ topic: 'py-admin', errorCode: 0, partitions: [0, 1, 2, 3, 4] }] });

    // The embedded broker sees the same topics.
    expect(served.broker.partitionCount('py-admin')).toBe(5);
    expect(served.broker.partitionCount('py-admin-second')).toBe(3);
    expect(served.broker.hasTopic('py-admin-replicated')).toBe(false);
    expect(served.broker.hasTopic('py-admin-validated')).toBe(false);
    const overrides = served.broker.describeTopic('py-admin').config.filter((entry) => entry.source === 'TOPIC_CONFIG');
    expect(overrides.map((entry) => [entry.name, String(entry.value)]).sort()).toEqual([
      ['cleanup.policy', 'compact'],
      ['retention.ms', '3600000'],
    ]);

    // DescribeConfigs: every topic config, overrides flagged TOPIC_CONFIG (1), the rest DEFAULT_CONFIG (5).
    const [resource] = configs?.result as Array<{ name: string; errorCode: number; configs: Array<[string, string, boolean, number, boolean]> }>;
    expect(resource?.name).toBe('py-admin');
    expect(resource?.errorCode).toBe(0);
    const byName = new Map(resource?.configs.map((entry) => [entry[0], entry]));
    expect(byName.get('retention.ms')).toEqual(['retention.ms', '3600000', false, 1, false]);
    expect(byName.get('cleanup.policy')).toEqual(['cleanup.policy', 'compact', false, 1, false]);
    expect(byName.get('max.message.bytes')?.slice(1, 4)).toEqual(['1048588', false, 5]);
    expect([...byName.keys()].sort()).toEqual(served.broker.describeTopic('py-admin').config.map((entry) => entry.name).sort());

    // A new partition takes records at once.
    const produced = await python<ProduceOutput>('produce.py', { topic: 'py-admin', acks: 'all', records: [{ partition: 4, key: '6b', value: '76', headers: [] }] });
    expect(produced.results).toEqual([{ partition: 4, offset: 0, timestamp: expect.any(Number) as unknown }]);
    expect(served.broker.log('py-admin', 4).highWatermark).toBe(1);

    const deleted = await admin([
      { op: 'delete_topics', topics: ['py-admin', 'py-admin-second'] },
      { op: 'delete_topics', topics: ['py-admin-never-created'] },
      { op: 'list_topics' },
    ]);
    expect(deleted.results[0]).toEqual({ op: 'delete_topics', result: { version: expect.any(Number) as unknown, topicErrors: [['py-admin', 0], ['py-admin-second', 0]] } });
    expect(deleted.results[1]?.error).toBe('UnknownTopicOrPartitionError');
    expect(deleted.results[2]?.result).toEqual(served.broker.listTopics());
    expect(served.broker.hasTopic('py-admin')).toBe(false);
    expect(served.broker.hasTopic('py-admin-second')).toBe(false);
  });

  describe.skipIf(!haveKcat)(`with kcat${haveKcat ? '' : ' (skipped: kcat is not installed)'}`, () => {
    test('offsets committed by a kcat group consumer are read by KafkaAdminClient, and a kafka-python member resumes from them', async () => {
      const topic = 'py-kcat-commits';
      const group = 'py-kcat-commits-group';
      await served.broker.createTopic(topic, { partitions: 2 });
      const produce = (partition: number, from: number, count: number): Promise<void> => produceEmbedded(served, topic, numberedRecords(partition, from, count));
      await produce(0, 0, 4);
      await produce(1, 0, 3);
      const kcat = await runProcess('kcat', [
        '-b', served.address, '-G', group, '-e', '-q',
        '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500', '-X', 'fetch.wait.max.ms=100',
        '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100',
        topic,
      ]);
      expect(kcat.code, kcat.stderr).toBe(0);
      expect(kcat.stderr).not.toMatch(LIBRDKAFKA_WARNING_OR_WORSE);
      expect(kcat.stdout.toString('utf8').split('\n').filter((line) => line.length > 0).sort()).toEqual(['p0-r0', 'p0-r1', 'p0-r2', 'p0-r3', 'p1-r0', 'p1-r1', 'p1-r2']);

      const offsets = await admin([{ op: 'list_consumer_group_offsets', groupId: group }]);
      expect(offsets.results).toEqual([{ op: 'list_consumer_group_offsets', result: { [`${topic}:0`]: 4, [`${topic}:1`]: 3 } }]);

      await produce(0, 4, 1);
      await produce(1, 3, 2);
      const resumed = await python<GroupOutput>('consume_group.py', { topics: [topic], groupId: group, count: 3 });
      expect(resumed.records.map((record) => unhex(record.value)?.toString('utf8')).sort()).toEqual(['p0-r4', 'p1-r3', 'p1-r4']);
      expect(resumed.committed).toEqual({ [`${topic}:0`]: 5, [`${topic}:1`]: 5 });
    });

    test('a kcat member and a kafka-python member share a group, split four partitions, and the one that stays gets all four', async () => {
      const topic = 'py-kcat-mixed';
      const group = 'py-kcat-group';
      await served.broker.createTopic(topic, { partitions: 4 });
      const all = [0, 1, 2, 3];
      const kcatArgs = [
        '-b', served.address, '-G', group, '-q',
        '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500', '-X', 'fetch.wait.max.ms=100',
        '-X', 'topic.metadata.refresh.interval.ms=1000', '-X', 'client.id=brook-kcat',
        topic,
      ];
      const describeGroup = (): DescribedGroup => served.groups.coordinator.describeGroup(group);
      const stableSplit = (): Map<string, number[]> | false => {
        const described = describeGroup();
        if (described.groupState !== 'Stable') return false;
        return new Map(described.members.map((member) => [member.clientId, assignedPartitions(member)]));
      };
      const lastAssigned = (member: LongRunningProcess): number[] | undefined =>
        (member.jsonLines() as MemberEvent[])
          .filter((event) => event.event === 'assigned')
          .at(-1)
          ?.partitions?.map(([, partition]) => partition);
      const memberSpec = { topics: [topic], groupId: group, clientId: 'brook-python-member', maxSeconds: 55 };

      const pythonMember = new LongRunningProcess(PYTHON, ['-B', clientsPath('python/group_member.py'), served.address, JSON.stringify(memberSpec)]);
      await waitFor(() => `the kafka-python member to get all partitions (${pythonMember.stderr})`, () => lastAssigned(pythonMember)?.length === 4);

      // kcat joins: the two members split the partitions, two each.
      let kcatMember = new LongRunningProcess('kcat', kcatArgs);
      const split = await waitFor(
        () => `two members with two partitions each (${JSON.stringify(describeGroup().groupState)}; ${kcatMember.stderr})`,
        () => {
          const members = stableSplit();
          return members !== false && members.size === 2 && [...members.values()].every((partitions) => partitions.length === 2) && members;
        },
      );
      expect(describeGroup().protocolData).toMatch(/^(range|roundrobin)$/);
      expect([...split.keys()].sort()).toEqual(['brook-kcat', 'brook-python-member']);
      expect([...split.values()].flat().sort()).toEqual(all);
      await waitFor('the kafka-python member to report its half', () => lastAssigned(pythonMember)?.join() === split.get('brook-python-member')?.join());

      // kcat leaves (SIGINT: close the consumer, LeaveGroup): kafka-python gets all four.
      kcatMember.signal('SIGINT');
      await kcatMember.waitForExit(15_000);
      expect(kcatMember.stderr).not.toMatch(LIBRDKAFKA_WARNING_OR_WORSE);
      await waitFor('the kafka-python member alone with all partitions', () => {
        const members = stableSplit();
        return members !== false && members.size === 1 && members.get('brook-python-member')?.join() === all.join();
      });
      await waitFor('the kafka-python member to report all partitions', () => lastAssigned(pythonMember)?.join() === all.join());

      // And the other way round: kcat joins again, then kafka-python leaves; kcat gets all four.
      kcatMember = new LongRunningProcess('kcat', kcatArgs);
      await waitFor('kcat back in the group', () => {
        const members = stableSplit();
        return members !== false && members.size === 2 && members.get('brook-kcat')?.length === 2;
      });
      pythonMember.write('stop\n');
      await pythonMember.waitForExit(15_000);
      expect((pythonMember.jsonLines() as MemberEvent[]).at(-1)?.event).toBe('closed');
      await waitFor('kcat alone with all partitions', () => {
        const members = stableSplit();
        return members !== false && members.size === 1 && members.get('brook-kcat')?.join() === all.join();
      });
      kcatMember.signal('SIGINT');
      await kcatMember.waitForExit(15_000);
      expect(kcatMember.stderr).not.toMatch(LIBRDKAFKA_WARNING_OR_WORSE);
      expect(pythonErrors(pythonMember.stderr)).toEqual([]);
      // Nothing was consumed, so nothing was committed: the memberless group is gone (Dead), as in Kafka.
      await waitFor(
        () => `a group without members (${JSON.stringify(describeGroup())}; kcat: ${kcatMember.stderr})`,
        () => describeGroup().members.length === 0 && ['Empty', 'Dead'].includes(describeGroup().groupState),
      );
    });
  });
});
