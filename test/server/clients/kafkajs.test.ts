import { Buffer } from 'node:buffer';
import {
  AssignerProtocol,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  type Consumer,
  type IHeaders,
  type KafkaMessage,
  type Message,
} from 'kafkajs';
import { afterEach, describe, expect, test } from 'vitest';
import { readBatchHeader } from '../../../src/records/record-batch.js';
import { lz4FrameCompress, lz4FrameDecompress } from '../../../src/records/lz4-frame.js';
import { serveBroker, type ServedBroker } from '../../helpers/served-broker.js';

/**
 * KafkaJS 2.2.4, unmodified, against a served Brook broker: produce with every acks setting,
 * plain and LZ4, consume by group subscription and by seek, commit and administer offsets, and
 * create, grow, describe and delete topics. Record bytes are checked twice: as the KafkaJS
 * consumer hands them to the application and as the embedded broker reads them from its log.
 */
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

// KafkaJS ships no LZ4 codec (design R4): register a test-only one built on Brook's own LZ4 frame
// functions, so that KafkaJS both produces LZ4 batches and decodes the ones it fetches.
const DECOMPRESSED_LIMIT = 64 * 1024 * 1024;
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder: { buffer: Buffer }): Promise<Buffer> => lz4FrameCompress(encoder.buffer),
  decompress: async (buffer: Buffer): Promise<Buffer> => lz4FrameDecompress(buffer, DECOMPRESSED_LIMIT),
});

const CODEC_NONE = 0;
const CODEC_GZIP = 1;
const CODEC_LZ4 = 3;

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(): Promise<{ served: ServedBroker; kafka: Kafka }> {
  const served = await serveBroker();
  cleanups.push(() => served.close());
  const kafka = new Kafka({
    clientId: 'brook-kafkajs-test',
    brokers: [served.address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  return { served, kafka };
}

function groupConsumer(kafka: Kafka, groupId: string): Consumer {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  cleanups.push(() => consumer.disconnect());
  return consumer;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A record as compared here: bytes as hex so that a difference shows where it is. */
interface Seen {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

interface Sample {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

const hex = (bytes: Buffer | null | undefined): string | null => (bytes === null || bytes === undefined ? null : bytes.toString('hex'));

/**
 * Binary keys, values and header values with bytes that are not UTF-8 (0x80, 0xc3 0x28, 0xff,
 * NUL), a null key, a null value, an empty value, repeated header keys and timestamps that go
 * backwards inside a batch.
 */
function samples(tag: number, count: number): Sample[] {
  return Array.from({ length: count }, (_, index) => {
    const seed = tag * 16 + index;
    return {
      key: index === 1 ? null : Buffer.from([0x00, 0xff, 0xc3, 0x28, seed & 0xff, 0x80]),
      value: index === 2 ? null : index === 3 ? Buffer.alloc(0) : Buffer.from([0xfe, 0xed, seed & 0xff, 0x00, 0xa0, 0xa1, 0xed, 0xa0, 0x80]),
      timestamp: 1_600_000_000_000 + tag * 1_000_000 - index * 1500,
      headers:
        index === 0
          ? []
          : [
              ['trace', Buffer.from([0xc0, 0xaf, seed & 0xff])],
              ['bin', Buffer.from([0xff, 0xfe])],
              ['bin', Buffer.from([0x00])],
              ['émoji-🦆', Buffer.from('plain text')],
            ],
    };
  });
}

function toKafkaJs(sample: Sample): Message {
  const headers: IHeaders = {};
  for (const [key, value] of sample.headers) {
    const existing = headers[key];
    headers[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { key: sample.key, value: sample.value, timestamp: String(sample.timestamp), headers };
}

function expected(sample: Sample, partition: number, offset: number): Seen {
  return {
    partition,
    offset,
    timestamp: sample.timestamp,
    key: hex(sample.key),
    value: hex(sample.value),
    headers: sample.headers.map(([key, value]) => [key, hex(value)] as const),
  };
}

/** KafkaJS gives headers as an object with repeated keys gathered into arrays. */
function fromKafkaJs(partition: number, message: KafkaMessage): Seen {
  const headers: Array<readonly [string, string | null]> = [];
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      headers.push([key, one === undefined ? null : hex(Buffer.isBuffer(one) ? one : Buffer.from(one))]);
    }
  }
  return {
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: hex(message.key),
    value: hex(message.value),
    headers,
  };
}

function fromLog(served: ServedBroker, topic: string, partition: number): Seen[] {
  return served.broker
    .log(topic, partition)
    .readRecords(0)
    .records.map((record) => ({
      partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: hex(record.key),
      value: hex(record.value),
      headers: record.headers.map((header) => [header.key, hex(header.value)] as const),
    }));
}

interface StoredBatch {
  readonly baseOffset: number;
  readonly codec: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

/** The batch headers of a partition's log, as stored. */
function storedBatches(served: ServedBroker, topic: string, partition: number): StoredBatch[] {
  const { records } = served.broker.read(topic, partition, 0, 16 * 1024 * 1024);
  const batches: StoredBatch[] = [];
  for (let position = 0; position < records.length; ) {
    const header = readBatchHeader(records, position);
    batches.push({
      baseOffset: header.baseOffset,
      codec: header.attributes & 0x07,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      recordsCount: header.recordsCount,
    });
    position += 12 + header.batchLength;
  }
  return batches;
}

/** Runs a consumer that keeps every message it is handed, in arrival order. */
async function collect(consumer: Consumer, topic: string, fromBeginning: boolean, autoCommit = true): Promise<Seen[]> {
  const seen: Seen[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning });
  await consumer.run({
    autoCommit,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const message of batch.messages) {
        seen.push(fromKafkaJs(batch.partition, message));
        resolveOffset(message.offset);
      }
    },
  });
  return seen;
}

const byPosition = (a: Seen, b: Seen): number => a.partition - b.partition || a.offset - b.offset;

describe('KafkaJS 2.2.4 against a served broker', () => {
  test('records produced with acks 0, 1 and all, plain, gzip and lz4, arrive byte-identical in the log and at a KafkaJS consumer', async () => {
    const { served, kafka } = await setup();
    await served.broker.createTopic('roundtrip', { partitions: 1 });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    cleanups.push(() => producer.disconnect());
    await producer.connect();

    const cases = [
      { acks: 0, compression: CompressionTypes.None, codec: CODEC_NONE },
      { acks: 0, compression: CompressionTypes.LZ4, codec: CODEC_LZ4 },
      { acks: 1, compression: CompressionTypes.None, codec: CODEC_NONE },
      { acks: 1, compression: CompressionTypes.LZ4, codec: CODEC_LZ4 },
      { acks: -1, compression: CompressionTypes.None, codec: CODEC_NONE },
      { acks: -1, compression: CompressionTypes.LZ4, codec: CODEC_LZ4 },
      { acks: -1, compression: CompressionTypes.GZIP, codec: CODEC_GZIP },
    ];
    const want: Seen[] = [];
    for (const [index, { acks, compression }] of cases.entries()) {
      const batch = samples(index, 5);
      const metadata = await producer.send({ topic: 'roundtrip', acks, compression, messages: batch.map((sample) => ({ ...toKafkaJs(sample), partition: 0 })) });
      // acks=0 gets no response, so KafkaJS has no offsets to report; otherwise the base offset.
      const base = want.length;
      if (acks === 0) expect(metadata).toEqual([]);
      else expect(metadata).toMatchObject([{ topicName: 'roundtrip', partition: 0, errorCode: 0, baseOffset: String(base) }]);
      batch.forEach((sample, offset) => want.push(expected(sample, 0, base + offset)));
    }

    await until('every batch to be appended', () => (served.broker.log('roundtrip', 0).highWatermark === want.length ? true : undefined));
    expect(fromLog(served, 'roundtrip', 0)).toEqual(want);
    // Brook stores the batches as the producer compressed them.
    expect(storedBatches(served, 'roundtrip', 0).map((batch) => [batch.codec, batch.recordsCount, batch.producerId])).toEqual(
      cases.map(({ codec }) => [codec, 5, -1]),
    );

    const seen = await collect(groupConsumer(kafka, 'roundtrip-readers'), 'roundtrip', true);
    await until('the consumer to read every record', () => (seen.length >= want.length ? true : undefined));
    expect(seen.sort(byPosition)).toEqual(want);
  });

  test('an idempotent producer gets a producer id through InitProducerId and its batches carry it with consecutive sequences', async () => {
    const { served, kafka } = await setup();
    await served.broker.createTopic('exactly', { partitions: 2 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    cleanups.push(() => producer.disconnect());
    await producer.connect();

    const want: Seen[] = [];
    for (let round = 0; round < 3; round++) {
      const batch = samples(round, 3);
      const compression = round === 1 ? CompressionTypes.LZ4 : CompressionTypes.None;
      await producer.send({ topic: 'exactly', acks: -1, compression, messages: batch.map((sample) => ({ ...toKafkaJs(sample), partition: 1 })) });
      batch.forEach((sample, offset) => want.push(expected(sample, 1, round * 3 + offset)));
    }

    const batches = storedBatches(served, 'exactly', 1);
    expect(batches.map((batch) => [batch.baseOffset, batch.baseSequence, batch.recordsCount, batch.codec])).toEqual([
      [0, 0, 3, CODEC_NONE],
      [3, 3, 3, CODEC_LZ4],
      [6, 6, 3, CODEC_NONE],
    ]);
    const producerIds = new Set(batches.map((batch) => batch.producerId));
    expect(producerIds.size).toBe(1);
    expect([...producerIds][0]).toBeGreaterThanOrEqual(0);
    expect(batches.every((batch) => batch.producerEpoch === 0)).toBe(true);
    expect(fromLog(served, 'exactly', 1)).toEqual(want);
    expect(served.broker.log('exactly', 0).highWatermark).toBe(0);
  });

  test('a consumer placed on partitions by seek reads each partition from the offset it chose', async () => {
    const { served, kafka } = await setup();
    await served.broker.createTopic('placed', { partitions: 2 });
    const producer = kafka.producer();
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    const want: Seen[] = [];
    for (const partition of [0, 1]) {
      const batch = samples(partition, 6);
      await producer.send({ topic: 'placed', messages: batch.map((sample) => ({ ...toKafkaJs(sample), partition })) });
      batch.forEach((sample, offset) => want.push(expected(sample, partition, offset)));
    }

    // KafkaJS has no assign(): the nearest thing is a group consumer (alone in its group, so it
    // owns every partition) that seeks each partition to a chosen offset once it runs. Starting
    // from the end (fromBeginning false) shows the seek, not the reset policy, picked the offsets.
    const consumer = groupConsumer(kafka, 'placed-by-seek');
    const seen = await collect(consumer, 'placed', false, false);
    consumer.seek({ topic: 'placed', partition: 0, offset: '4' });
    consumer.seek({ topic: 'placed', partition: 1, offset: '1' });
    await until('the sought records', () => (seen.length >= 7 ? true : undefined));
    await sleep(300);
    expect(seen.sort(byPosition)).toEqual(want.filter((record) => (record.partition === 0 ? record.offset >= 4 : record.offset >= 1)));
  });

  test('committed offsets are read back by admin fetchOffsets, changed by setOffsets and resetOffsets, and deleted with the group, and a restarted member resumes from them', async () => {
    const { served, kafka } = await setup();
    await served.broker.createTopic('ledger', { partitions: 2 });
    const producer = kafka.producer();
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    const want: Seen[] = [];
    for (const partition of [0, 1]) {
      const batch = samples(partition + 4, 6);
      await producer.send({ topic: 'ledger', acks: -1, messages: batch.map((sample) => ({ ...toKafkaJs(sample), partition })) });
      batch.forEach((sample, offset) => want.push(expected(sample, partition, offset)));
    }
    const admin = kafka.admin();
    cleanups.push(() => admin.disconnect());
    await admin.connect();
    const groupId = 'ledger-readers';
    const committed = async (): Promise<Array<[number, string]>> => {
      const [topic] = await admin.fetchOffsets({ groupId, topics: ['ledger'] });
      return (topic?.partitions ?? []).map(({ partition, offset }): [number, string] => [partition, offset]).sort((a, b) => a[0] - b[0]);
    };
    expect(await committed()).toEqual([
      [0, '-1'],
      [1, '-1'],
    ]);

    // First member: reads everything, commits explicitly (p0 only part of the way).
    const first = groupConsumer(kafka, groupId);
    const firstSeen = await collect(first, 'ledger', true, false);
    await until('the first member to read everything', () => (firstSeen.length >= 12 ? true : undefined));
    expect(firstSeen.sort(byPosition)).toEqual(want);
    await first.commitOffsets([
      { topic: 'ledger', partition: 0, offset: '4' },
      { topic: 'ledger', partition: 1, offset: '6' },
    ]);
    expect(await committed()).toEqual([
      [0, '4'],
      [1, '6'],
    ]);
    // The coordinator the server uses holds the same offsets.
    expect(
      served.groups.coordinator
        .fetchOffsets({ groupId, topics: [{ name: 'ledger', partitionIndexes: [0, 1] }] })
        .topics[0]?.partitions.map((partition) => partition.committedOffset),
    ).toEqual([4, 6]);

    // While it runs, the group is visible through DescribeGroups and ListGroups.
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups).toHaveLength(1);
    const described = groups[0]!;
    expect(described).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner', errorCode: 0 });
    expect(described.members).toHaveLength(1);
    expect(described.members[0]!.clientId).toBe('brook-kafkajs-test');
    expect(AssignerProtocol.MemberAssignment.decode(described.members[0]!.memberAssignment)?.assignment).toEqual({ ledger: [0, 1] });
    expect(AssignerProtocol.MemberMetadata.decode(described.members[0]!.memberMetadata)?.topics).toEqual(['ledger']);
    expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' });
    await first.disconnect();
    expect(served.groups.coordinator.describeGroup(groupId).groupState).toBe('Empty');

    // setOffsets (the group must be empty) moves p0 back to 1. It and resetOffsets each take
    // about 5 s: they commit through a temporary KafkaJS consumer that waits for its first fetch
    // event, and that consumer, paused, sleeps its default maxWaitTimeInMs (5000) before it.
    await admin.setOffsets({ groupId, topic: 'ledger', partitions: [{ partition: 0, offset: '1' }] });
    expect(await committed()).toEqual([
      [0, '1'],
      [1, '6'],
    ]);

    // A new member resumes from the committed offsets: p0 from 1, nothing left on p1.
    const second = groupConsumer(kafka, groupId);
    const secondSeen = await collect(second, 'ledger', false);
    await until('the second member to catch up', () => (secondSeen.length >= 5 ? true : undefined));
    await sleep(300);
    expect(secondSeen.sort(byPosition)).toEqual(want.filter((record) => record.partition === 0 && record.offset >= 1));
    // Auto-commit committed the end of p0 after the batch.
    await until('the auto-commit', async () => ((await committed())[0]?.[1] === '6' ? true : undefined));
    await second.disconnect();

    // resetOffsets to the earliest: KafkaJS commits the logical offset -2 (its "beginning"),
    // which a member that starts from the beginning turns into offset 0 with ListOffsets.
    await admin.resetOffsets({ groupId, topic: 'ledger', earliest: true });
    expect(await committed()).toEqual([
      [0, '-2'],
      [1, '-2'],
    ]);
    const third = groupConsumer(kafka, groupId);
    const thirdSeen = await collect(third, 'ledger', true);
    await until('the third member to read everything again', () => (thirdSeen.length >= 12 ? true : undefined));
    expect(thirdSeen.sort(byPosition)).toEqual(want);
    await third.disconnect();

    // Log start and end offsets through ListOffsets.
    expect((await admin.fetchTopicOffsets('ledger')).sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '6', high: '6', low: '0' },
      { partition: 1, offset: '6', high: '6', low: '0' },
    ]);

    // DeleteGroups removes the empty group and its offsets.
    expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
    expect(served.groups.coordinator.describeGroup(groupId).groupState).toBe('Dead');
    expect(await committed()).toEqual([
      [0, '-1'],
      [1, '-1'],
    ]);
  });

  test('admin creates topics, adds partitions, describes configs and metadata and deletes topics, and the broker sees each change', async () => {
    const { served, kafka } = await setup();
    const admin = kafka.admin();
    cleanups.push(() => admin.disconnect());
    await admin.connect();

    expect(
      await admin.createTopics({
        topics: [
          { topic: 'admin-a', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
          { topic: 'admin-b' },
        ],
      }),
    ).toBe(true);
    expect(served.broker.partitionCount('admin-a')).toBe(2);
    expect(served.broker.partitionCount('admin-b')).toBe(served.broker.defaultPartitions);
    // Creating it again is not an error for KafkaJS: it answers false.
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 2 }] })).toBe(false);
    expect((await admin.listTopics()).sort()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));

    const metadata = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(metadata.topics).toHaveLength(1);
    expect(metadata.topics[0]!.name).toBe('admin-a');
    expect(metadata.topics[0]!.partitions.map((partition) => partition.partitionId).sort()).toEqual([0, 1]);
    expect(metadata.topics[0]!.partitions.every((partition) => partition.partitionErrorCode === 0 && partition.leader >= 0)).toBe(true);

    await admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 4 }] });
    expect(served.broker.partitionCount('admin-a')).toBe(4);
    const grown = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(grown.topics[0]!.partitions.map((partition) => partition.partitionId).sort()).toEqual([0, 1, 2, 3]);
    // Fewer partitions than it has is refused.
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 3 }] })).rejects.toThrow();
    expect(served.broker.partitionCount('admin-a')).toBe(4);

    // A new partition takes records at once.
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    const sample = samples(9, 1)[0]!;
    await producer.send({ topic: 'admin-a', messages: [{ ...toKafkaJs(sample), partition: 3 }] });
    expect(fromLog(served, 'admin-a', 3)).toEqual([expected(sample, 3, 0)]);

    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-a', configNames: ['retention.ms', 'cleanup.policy'] }],
    });
    expect(configs.resources).toHaveLength(1);
    expect(configs.resources[0]!.errorCode).toBe(0);
    const entries = Object.fromEntries(configs.resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue]));
    expect(entries).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });

    await admin.deleteTopics({ topics: ['admin-b'] });
    expect(served.broker.hasTopic('admin-b')).toBe(false);
    expect(await admin.listTopics()).not.toContain('admin-b');
    expect(served.broker.hasTopic('admin-a')).toBe(true);
  });
});
