import { Buffer } from 'node:buffer';
import { AssignerProtocol, CompressionTypes, ConfigResourceTypes, type Consumer, type IHeaders, type Kafka, type KafkaMessage, type Message } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { serveBroker, type ServedBroker } from '../../helpers/served-broker.js';
import { sleep, until } from '../../helpers/wait.js';
import { byPosition, CODEC_GZIP, CODEC_LZ4, CODEC_NONE, expected, expectIdempotentBatches, fromLog, hex, samples, storedBatches, type Sample, type Seen } from './client-helpers.js';
import { KAFKAJS_GROUP_TIMINGS, kafkaJs, kafkaJsRetry, registerKafkaJsLz4 } from './kafkajs-helpers.js';

/**
 * KafkaJS 2.2.4, unmodified, against a served Brook broker: produce with every acks setting,
 * plain and LZ4, consume by group subscription and by seek, commit and administer offsets, and
 * create, grow, describe and delete topics. Record bytes are checked twice: as the KafkaJS
 * consumer hands them to the application and as the embedded broker reads them from its log.
 */
registerKafkaJsLz4();

const cleanups = cleanupsAfterEach();

async function setup(): Promise<{ served: ServedBroker; kafka: Kafka }> {
  const served = await serveBroker();
  cleanups.push(() => served.close());
  return { served, kafka: kafkaJs(served, 'brook-kafkajs-test', 3) };
}

function groupConsumer(kafka: Kafka, groupId: string): Consumer {
  const consumer = kafka.consumer({ groupId, ...KAFKAJS_GROUP_TIMINGS, retry: kafkaJsRetry(3) });
  cleanups.push(() => consumer.disconnect());
  return consumer;
}

function toKafkaJs(sample: Sample): Message {
  const headers: IHeaders = {};
  for (const [key, value] of sample.headers) {
    const existing = headers[key];
    headers[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { key: sample.key, value: sample.value, timestamp: String(sample.timestamp), headers };
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

    expectIdempotentBatches(served, 'exactly', 1);
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
