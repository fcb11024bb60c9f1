import { Buffer } from 'node:buffer';
import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  ProduceAcks,
  Producer,
  type CompressionAlgorithmValue,
  type Message,
  type MessagesStream,
  type MessageToProduce,
} from '@platformatic/kafka';
import { describe, expect, test } from 'vitest';
import { decodeAssignment } from '../../../src/groups/consumer-protocol.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { serveBroker, type ServedBroker } from '../../helpers/served-broker.js';
import { sleep, until } from '../../helpers/wait.js';
import { byPosition, CODEC_GZIP, CODEC_LZ4, CODEC_NONE, expected, expectIdempotentBatches, fromLog, hex, samples, storedBatches, type Sample, type Seen } from './client-helpers.js';

/**
 * @platformatic/kafka 1.35.0, unmodified, against a served Brook broker: produce with every acks
 * setting, plain, gzip and LZ4 (built into the client), idempotent producers, consume with a
 * group stream and with the client's direct (group-less) fetch, commit and read offsets through
 * consumer and admin, and administer topics. Record bytes are checked twice: as the client hands
 * them to the application and as the embedded broker reads them from its log.
 */
const cleanups = cleanupsAfterEach();

interface Setup {
  readonly served: ServedBroker;
  readonly base: { readonly clientId: string; readonly bootstrapBrokers: string[]; readonly retries: number; readonly retryDelay: number; readonly timeout: number };
}

async function setup(): Promise<Setup> {
  const served = await serveBroker();
  cleanups.push(() => served.close());
  return { served, base: { clientId: 'brook-platformatic-test', bootstrapBrokers: [served.address], retries: 3, retryDelay: 100, timeout: 10_000 } };
}

function producer(setupResult: Setup, idempotent = false): Producer {
  const client = new Producer({ ...setupResult.base, idempotent });
  cleanups.push(() => client.close());
  return client;
}

function admin(setupResult: Setup): Admin {
  const client = new Admin(setupResult.base);
  cleanups.push(() => client.close());
  return client;
}

function consumer(setupResult: Setup, groupId: string): Consumer {
  const client = new Consumer({ ...setupResult.base, groupId, sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTime: 100 });
  cleanups.push(() => client.close(true));
  return client;
}

/**
 * The client's message; a Map keyed by distinct Buffer objects keeps a repeated header key twice.
 * A null key or value is left out (the client writes a missing one as null).
 */
function toPlatformatic(topic: string, partition: number, sample: Sample): MessageToProduce {
  return {
    topic,
    partition,
    timestamp: BigInt(sample.timestamp),
    headers: new Map(sample.headers.map(([key, value]) => [Buffer.from(key), value])),
    ...(sample.key === null ? {} : { key: sample.key }),
    ...(sample.value === null ? {} : { value: sample.value }),
  };
}

/** The client hands a null key, value or header value to the deserializer as undefined. */
function fromPlatformatic(message: Message): Seen {
  return {
    partition: message.partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: hex(message.key),
    value: hex(message.value),
    headers: [...message.headers].map(([key, value]) => [key.toString('utf8'), hex(value)] as const),
  };
}

/** Keeps every message a group stream delivers, in arrival order. */
function collect(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): { seen: Seen[]; messages: Message[] } {
  const seen: Seen[] = [];
  const messages: Message[] = [];
  stream.on('data', (message) => {
    messages.push(message);
    seen.push(fromPlatformatic(message));
  });
  return { seen, messages };
}

describe('@platformatic/kafka 1.35.0 against a served broker', () => {
  test('records produced with acks 0, 1 and all, plain, gzip and lz4, arrive byte-identical in the log and at a group stream', async () => {
    const context = await setup();
    const { served } = context;
    await served.broker.createTopic('roundtrip', { partitions: 1 });
    const client = producer(context);

    const cases: Array<{ acks: number; compression: CompressionAlgorithmValue; codec: number }> = [
      { acks: ProduceAcks.NO_RESPONSE, compression: 'none', codec: CODEC_NONE },
      { acks: ProduceAcks.NO_RESPONSE, compression: 'lz4', codec: CODEC_LZ4 },
      { acks: ProduceAcks.LEADER, compression: 'none', codec: CODEC_NONE },
      { acks: ProduceAcks.LEADER, compression: 'lz4', codec: CODEC_LZ4 },
      { acks: ProduceAcks.ALL, compression: 'none', codec: CODEC_NONE },
      { acks: ProduceAcks.ALL, compression: 'lz4', codec: CODEC_LZ4 },
      { acks: ProduceAcks.ALL, compression: 'gzip', codec: CODEC_GZIP },
    ];
    const want: Seen[] = [];
    for (const [index, { acks, compression }] of cases.entries()) {
      const batch = samples(index, 5);
      const base = want.length;
      const result = await client.send({ acks, compression, messages: batch.map((sample) => toPlatformatic('roundtrip', 0, sample)) });
      // acks=0 gets no response: the client reports only that every node was writable.
      if (acks === ProduceAcks.NO_RESPONSE) expect(result).toEqual({ unwritableNodes: [] });
      else expect(result.offsets).toEqual([{ topic: 'roundtrip', partition: 0, offset: BigInt(base) }]);
      batch.forEach((sample, offset) => want.push(expected(sample, 0, base + offset)));
    }

    await until('every batch to be appended', () => (served.broker.log('roundtrip', 0).highWatermark === want.length ? true : undefined));
    expect(fromLog(served, 'roundtrip', 0)).toEqual(want);
    // Brook stores the batches as the producer compressed them.
    expect(storedBatches(served, 'roundtrip', 0).map((batch) => [batch.codec, batch.recordsCount, batch.producerId])).toEqual(
      cases.map(({ codec }) => [codec, 5, -1]),
    );

    const stream = await consumer(context, 'roundtrip-readers').consume({ topics: ['roundtrip'], mode: 'earliest', autocommit: false });
    const { seen } = collect(stream);
    await until('the stream to deliver every record', () => (seen.length >= want.length ? true : undefined));
    expect(seen.sort(byPosition)).toEqual(want);
  });

  test('an idempotent producer gets a producer id through InitProducerId and its batches carry it with consecutive sequences', async () => {
    const context = await setup();
    const { served } = context;
    await served.broker.createTopic('exactly', { partitions: 2 });
    const client = producer(context, true);

    const want: Seen[] = [];
    for (let round = 0; round < 3; round++) {
      const batch = samples(round, 3);
      const result = await client.send({ compression: round === 1 ? 'lz4' : 'none', messages: batch.map((sample) => toPlatformatic('exactly', 1, sample)) });
      expect(result.offsets).toEqual([{ topic: 'exactly', partition: 1, offset: BigInt(round * 3) }]);
      batch.forEach((sample, offset) => want.push(expected(sample, 1, round * 3 + offset)));
    }

    expectIdempotentBatches(served, 'exactly', 1);
    expect(fromLog(served, 'exactly', 1)).toEqual(want);
    expect(served.broker.log('exactly', 0).highWatermark).toBe(0);
  });

  test('a direct fetch of chosen partitions and offsets reads them without joining a group', async () => {
    const context = await setup();
    const { served } = context;
    await served.broker.createTopic('placed', { partitions: 2 });
    const client = producer(context);
    const want: Seen[] = [];
    for (const partition of [0, 1]) {
      const batch = samples(partition + 2, 6);
      await client.send({ compression: partition === 1 ? 'lz4' : 'none', messages: batch.map((sample) => toPlatformatic('placed', partition, sample)) });
      batch.forEach((sample, offset) => want.push(expected(sample, partition, offset)));
    }

    // The client's consume() always joins the group; assign-style reading is its Consumer.fetch,
    // one Fetch to the partition leader for the partitions and offsets given.
    const groupId = 'never-joined';
    const reader = consumer(context, groupId);
    const metadata = await reader.metadata({ topics: ['placed'] });
    const leaders = metadata.topics.get('placed')!.partitions.map((partition) => partition.leader);
    expect(new Set(leaders).size).toBe(1);
    const response = await reader.fetch({
      node: leaders[0]!,
      maxWaitTime: 100,
      topics: [
        {
          topicId: 'placed',
          partitions: [
            { partition: 0, fetchOffset: 4n, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1024 * 1024 },
            { partition: 1, fetchOffset: 1n, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1024 * 1024 },
          ],
        },
      ],
    });
    expect(response.errorCode).toBe(0);
    const seen: Seen[] = [];
    for (const topic of response.responses) {
      expect(topic.topicId).toBe('placed');
      for (const partition of topic.partitions) {
        expect(partition.errorCode).toBe(0);
        expect(partition.highWatermark).toBe(6n);
        for (const batch of partition.records ?? []) {
          for (const record of batch.records) {
            seen.push({
              partition: partition.partitionIndex,
              offset: Number(batch.firstOffset) + record.offsetDelta,
              timestamp: Number(batch.firstTimestamp + record.timestampDelta),
              key: hex(record.key),
              value: hex(record.value),
              headers: record.headers.map(([key, value]) => [key === null ? '' : key.toString('utf8'), hex(value)] as const),
            });
          }
        }
      }
    }
    // A fetch returns whole batches: the application drops what lies below its offset.
    const requested = (record: Seen): boolean => (record.partition === 0 ? record.offset >= 4 : record.offset >= 1);
    expect(seen.filter(requested).sort(byPosition)).toEqual(want.filter(requested));
    expect(served.groups.coordinator.describeGroup(groupId).groupState).toBe('Dead');
  });

  test('offsets committed by a group member are listed by consumer and admin, altered by admin, and a new member resumes from them', async () => {
    const context = await setup();
    const { served } = context;
    await served.broker.createTopic('ledger', { partitions: 2 });
    const client = producer(context);
    const want: Seen[] = [];
    for (const partition of [0, 1]) {
      const batch = samples(partition + 4, 6);
      await client.send({ acks: ProduceAcks.ALL, messages: batch.map((sample) => toPlatformatic('ledger', partition, sample)) });
      batch.forEach((sample, offset) => want.push(expected(sample, partition, offset)));
    }
    const groupId = 'ledger-readers';
    const administrator = admin(context);
    const committed = async (): Promise<Array<[number, bigint]>> => {
      const [group] = await administrator.listConsumerGroupOffsets({ groups: [groupId] });
      const topic = group?.topics.find((entry) => entry.name === 'ledger');
      return (topic?.partitions ?? []).map(({ partitionIndex, committedOffset }): [number, bigint] => [partitionIndex, committedOffset]).sort((a, b) => a[0] - b[0]);
    };

    // First member: reads everything from the earliest offsets (nothing committed), then commits.
    const first = consumer(context, groupId);
    const firstStream = await first.consume({ topics: ['ledger'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const firstRead = collect(firstStream);
    await until('the first member to read everything', () => (firstRead.seen.length >= 12 ? true : undefined));
    expect(firstRead.seen.sort(byPosition)).toEqual(want);
    await first.commit({
      offsets: [
        { topic: 'ledger', partition: 0, offset: 4n, leaderEpoch: 0 },
        { topic: 'ledger', partition: 1, offset: 6n, leaderEpoch: 0 },
      ],
    });
    expect(await first.listCommittedOffsets({ topics: [{ topic: 'ledger', partitions: [0, 1] }] })).toEqual(new Map([['ledger', [4n, 6n]]]));
    expect(await committed()).toEqual([
      [0, 4n],
      [1, 6n],
    ]);
    // The coordinator the server uses holds the same offsets.
    expect(
      served.groups.coordinator
        .fetchOffsets({ groupId, topics: [{ name: 'ledger', partitionIndexes: [0, 1] }] })
        .topics[0]?.partitions.map((partition) => partition.committedOffset),
    ).toEqual([4, 6]);
    // Log end offsets and earliest offsets through ListOffsets, from consumer and admin.
    expect(await first.listOffsets({ topics: ['ledger'] })).toEqual(new Map([['ledger', [6n, 6n]]]));
    expect(await first.listOffsets({ topics: ['ledger'], timestamp: -2n })).toEqual(new Map([['ledger', [0n, 0n]]]));
    const listed = await administrator.listOffsets({ topics: [{ name: 'ledger', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect(listed[0]?.partitions[0]).toMatchObject({ partitionIndex: 0, offset: 6n });

    // While it runs, the group is visible through DescribeGroups and ListGroups.
    const described = (await administrator.describeGroups({ groups: [groupId] })).get(groupId);
    expect(described).toMatchObject({ id: groupId, state: 'STABLE', protocolType: 'consumer', protocol: 'roundrobin' });
    expect(described?.members.size).toBe(1);
    const member = [...described!.members.values()][0]!;
    expect(member.clientId).toBe('brook-platformatic-test');
    expect(member.metadata?.topics).toEqual(['ledger']);
    expect([...(member.assignments?.values() ?? [])]).toEqual([{ topic: 'ledger', partitions: [0, 1] }]);
    const coordinatorView = served.groups.coordinator.describeGroup(groupId);
    expect(decodeAssignment(coordinatorView.members[0]!.memberAssignment).assignedPartitions).toEqual([{ topic: 'ledger', partitions: [0, 1] }]);
    expect((await administrator.listGroups()).get(groupId)).toMatchObject({ id: groupId, state: 'STABLE', protocolType: 'consumer' });

    await firstStream.close();
    await first.close();
    expect(served.groups.coordinator.describeGroup(groupId).groupState).toBe('Empty');

    // Admin moves p0 back to 1 while the group is empty.
    await administrator.alterConsumerGroupOffsets({ groupId, topics: [{ name: 'ledger', partitionOffsets: [{ partition: 0, offset: 1n }] }] });
    expect(await committed()).toEqual([
      [0, 1n],
      [1, 6n],
    ]);

    // A new member resumes from the committed offsets: p0 from 1, nothing left on p1. It commits
    // each message as it goes (message.commit commits the offset after it).
    const second = consumer(context, groupId);
    const secondStream = await second.consume({ topics: ['ledger'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const secondRead = collect(secondStream);
    await until('the second member to catch up', () => (secondRead.seen.length >= 5 ? true : undefined));
    await sleep(300);
    expect(secondRead.seen.sort(byPosition)).toEqual(want.filter((record) => record.partition === 0 && record.offset >= 1));
    for (const message of secondRead.messages) await message.commit();
    expect(await committed()).toEqual([
      [0, 6n],
      [1, 6n],
    ]);
    await secondStream.close();
    await second.close();

    // DeleteGroups removes the empty group and its offsets.
    await administrator.deleteGroups({ groups: [groupId] });
    expect(served.groups.coordinator.describeGroup(groupId).groupState).toBe('Dead');
    expect(await committed()).toEqual([]);
  });

  test('admin creates topics, adds partitions, describes configs and metadata and deletes topics, and the broker sees each change', async () => {
    const context = await setup();
    const { served } = context;
    const administrator = admin(context);

    const created = await administrator.createTopics({
      topics: ['admin-a', 'admin-b'],
      partitions: 2,
      replicas: 1,
      configs: [{ name: 'retention.ms', value: '3600000' }],
    });
    expect(created.map((topic) => [topic.name, topic.partitions, topic.replicas]).sort()).toEqual([
      ['admin-a', 2, 1],
      ['admin-b', 2, 1],
    ]);
    expect(created.find((topic) => topic.name === 'admin-a')?.configuration['retention.ms']).toBe('3600000');
    expect(served.broker.partitionCount('admin-a')).toBe(2);
    expect(served.broker.describeTopic('admin-a').config.find((entry) => entry.name === 'retention.ms')).toMatchObject({ value: 3_600_000, source: 'TOPIC_CONFIG' });
    // Creating it again fails with TOPIC_ALREADY_EXISTS.
    await expect(administrator.createTopics({ topics: ['admin-a'], partitions: 2, replicas: 1 })).rejects.toThrow();
    expect((await administrator.listTopics()).sort()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));

    const metadata = await administrator.metadata({ topics: ['admin-a'], forceUpdate: true });
    expect(metadata.topics.get('admin-a')?.partitionsCount).toBe(2);
    expect(metadata.brokers.has(metadata.controllerId)).toBe(true);

    await administrator.createPartitions({ topics: [{ name: 'admin-a', count: 4 }] });
    expect(served.broker.partitionCount('admin-a')).toBe(4);
    const grown = await administrator.metadata({ topics: ['admin-a'], forceUpdate: true });
    expect(grown.topics.get('admin-a')?.partitionsCount).toBe(4);
    // Fewer partitions than it has is refused.
    await expect(administrator.createPartitions({ topics: [{ name: 'admin-a', count: 3 }] })).rejects.toThrow();
    expect(served.broker.partitionCount('admin-a')).toBe(4);

    // A new partition takes records at once.
    const client = producer(context);
    const sample = samples(9, 1)[0]!;
    await client.send({ messages: [toPlatformatic('admin-a', 3, sample)] });
    expect(fromLog(served, 'admin-a', 3)).toEqual([expected(sample, 3, 0)]);

    const configs = await administrator.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'admin-a', configurationKeys: ['retention.ms', 'cleanup.policy'] }],
    });
    expect(configs).toHaveLength(1);
    expect(Object.fromEntries(configs[0]!.configs.map((entry) => [entry.name, entry.value]))).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });

    await administrator.deleteTopics({ topics: ['admin-b'] });
    expect(served.broker.hasTopic('admin-b')).toBe(false);
    expect(await administrator.listTopics()).not.toContain('admin-b');
    expect(served.broker.hasTopic('admin-a')).toBe(true);
  });
});
