import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import type { Consumer as KafkaJsConsumer } from 'kafkajs';
import { describe, expect, onTestFailed, test } from 'vitest';
import { decodeAssignment } from '../../../src/groups/consumer-protocol.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { hasClient, serveBroker, type ServedBroker } from '../../helpers/served-broker.js';
import { sleep, until } from '../../helpers/wait.js';
import { KAFKAJS_GROUP_TIMINGS, kafkaJs, kafkaJsRetry, kafkaRoundRobin } from './kafkajs-helpers.js';

/**
 * One consumer group, several kinds of member: they all meet in the broker's one coordinator,
 * agree on a protocol every member lists ('roundrobin'), and the leader's assignor (whichever
 * client that is) deals the partitions out. Each partition must have exactly one owner, each
 * record must be consumed exactly once between the members, and when a member leaves the others
 * must take over its partitions from the offsets it committed.
 */
const KCAT = '/usr/bin/kcat';
const withKcat = hasClient(KCAT);
const PARTITIONS = 4;
const PER_PARTITION = 10;

const cleanups = cleanupsAfterEach();

/** The waits here cover a rebalance or two, so they get longer than the default. */
const WAIT_MS = 25_000;

interface Delivery {
  readonly member: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
}

/** Each member's partitions as the client itself last reported them (after its SyncGroup). */
type Reported = Map<string, number[]>;

async function startKafkaJs(served: ServedBroker, groupId: string, topic: string, deliveries: Delivery[], reported: Reported): Promise<KafkaJsConsumer> {
  const consumer = kafkaJs(served, 'mixed-kafkajs', 5).consumer({ groupId, partitionAssigners: [kafkaRoundRobin], ...KAFKAJS_GROUP_TIMINGS, retry: kafkaJsRetry(5) });
  cleanups.push(() => consumer.disconnect());
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    reported.set('mixed-kafkajs', [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b));
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  // Offsets are committed after each batch (KafkaJS's autoCommit with no interval or threshold).
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      deliveries.push({ member: 'mixed-kafkajs', partition, offset: Number(message.offset), key: message.key?.toString() ?? '' });
    },
  });
  return consumer;
}

async function startPlatformatic(
  served: ServedBroker,
  groupId: string,
  topic: string,
  deliveries: Delivery[],
  reported: Reported,
): Promise<{ close(): Promise<void> }> {
  const consumer = new PlatformaticConsumer({
    clientId: 'mixed-platformatic',
    bootstrapBrokers: [served.address],
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTime: 100,
    // Its default is roundrobin at subscription version 1, but 1.35.0 writes a version-1
    // subscription without the ownedPartitions field version 1 requires: librdkafka as leader
    // rejects it ("Failed to parse MemberMetadata ... Bad message format") and leaves the member
    // out, and Brook's embedded leader cannot decode it either. Version 0 is what it really writes.
    protocols: [{ name: 'roundrobin', version: 0 }],
    retries: 5,
    retryDelay: 100,
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await stream.close();
    await consumer.close();
  };
  cleanups.push(close);
  consumer.on('consumer:group:join', ({ assignments }) => {
    const partitions = (assignments ?? []).filter((entry) => entry.topic === topic).flatMap((entry) => entry.partitions);
    reported.set('mixed-platformatic', partitions.sort((a, b) => a - b));
  });
  // Offsets are committed after every fetch.
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: true });
  stream.on('data', (message) => {
    deliveries.push({ member: 'mixed-platformatic', partition: message.partition, offset: Number(message.offset), key: message.key.toString() });
  });
  return { close };
}

interface Kcat {
  stop(): Promise<void>;
}

/**
 * kcat's balanced consumer, joining with librdkafka's roundrobin assignor. It auto-commits every
 * 5 s: kcat 1.7.1 applies `-X auto.commit.interval.ms` to the legacy topic-level property of that
 * name, not to the consumer's (`-X dump` shows both), so the interval cannot be shortened here.
 */
function startKcat(served: ServedBroker, groupId: string, topic: string, deliveries: Delivery[], reported: Reported): Kcat {
  const child = spawn(
    KCAT,
    [
      '-b', served.address,
      '-G', groupId,
      '-X', 'client.id=mixed-kcat',
      '-X', 'broker.address.family=v4',
      '-X', 'partition.assignment.strategy=roundrobin',
      '-X', 'session.timeout.ms=6000',
      '-X', 'heartbeat.interval.ms=500',
      '-X', 'max.poll.interval.ms=10000',
      '-X', 'auto.offset.reset=earliest',
      '-X', 'fetch.wait.max.ms=100',
      '-u',
      '-f', '%p %o %k\\n',
      topic,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^(\d+) (\d+) (\S+)$/.exec(line);
      if (match !== null) deliveries.push({ member: 'mixed-kcat', partition: Number(match[1]), offset: Number(match[2]), key: match[3]! });
    }
  });
  // Its rebalance callback reports on stderr: "% Group g rebalanced (memberid m): assigned: t [1], t [3]".
  let stderrLine = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    stderrLine += chunk;
    const lines = stderrLine.split('\n');
    stderrLine = lines.pop() ?? '';
    for (const line of lines) {
      const assigned = /rebalanced .*: assigned: (.*)$/.exec(line);
      if (assigned !== null) {
        const partitions = [...assigned[1]!.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
        reported.set('mixed-kcat', partitions.sort((a, b) => a - b));
      } else if (/rebalanced .*: revoked: /.test(line)) {
        reported.set('mixed-kcat', []);
      }
    }
  });
  onTestFailed(() => {
    console.error(`kcat stderr (last 4000 characters):\n${stderr.slice(-4000)}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGTERM makes kcat close its consumer: commit, LeaveGroup, exit. SIGKILL if it hangs.
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  return { stop };
}

/** Each member's partitions of `topic` as the coordinator holds them, once the group is Stable. */
function ownership(served: ServedBroker, groupId: string, topic: string): Map<string, number[]> | undefined {
  const group = served.groups.coordinator.describeGroup(groupId);
  if (group.groupState !== 'Stable') return undefined;
  const owners = new Map<string, number[]>();
  for (const member of group.members) {
    if (member.memberAssignment.length === 0) return undefined;
    const partitions = decodeAssignment(member.memberAssignment)
      .assignedPartitions.filter((entry) => entry.topic === topic)
      .flatMap((entry) => entry.partitions);
    owners.set(member.clientId, [...(owners.get(member.clientId) ?? []), ...partitions].sort((a, b) => a - b));
  }
  return owners;
}

/**
 * Waits until the coordinator holds a Stable generation of exactly these members and every member
 * has taken up its assignment (a follower learns it only from its own SyncGroup, which may come
 * after the group went Stable), then a little longer, so that a fetch a member sent for its old
 * partitions has returned before the caller produces anything.
 */
async function stableWith(
  served: ServedBroker,
  groupId: string,
  topic: string,
  clientIds: readonly string[],
  reported: () => Reported,
): Promise<Map<string, number[]>> {
  const owners = await until(`group ${groupId} to be Stable with ${clientIds.join(', ')}`, () => {
    const owners = ownership(served, groupId, topic);
    if (owners === undefined || owners.size !== clientIds.length || !clientIds.every((id) => owners.has(id))) return undefined;
    if (served.groups.coordinator.describeGroup(groupId).members.length !== clientIds.length) return undefined;
    const reports = reported();
    if (!clientIds.every((id) => JSON.stringify(reports.get(id)) === JSON.stringify(owners.get(id)))) return undefined;
    return owners;
  }, WAIT_MS);
  await sleep(500);
  return owners;
}

/** Each partition owned by exactly one member, every member owning at least one. */
function expectSplit(owners: Map<string, number[]>): void {
  const all = [...owners.values()].flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: PARTITIONS }, (_, partition) => partition));
  for (const partitions of owners.values()) expect(partitions.length).toBeGreaterThan(0);
}

async function produce(served: ServedBroker, topic: string, phase: string): Promise<string[]> {
  const producer = kafkaJs(served, 'mixed-producer', 5).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const keys: string[] = [];
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const messages = Array.from({ length: PER_PARTITION }, (_, index) => {
        const key = `${phase}-${partition}-${index}`;
        keys.push(key);
        return { key, value: Buffer.from([0xff, partition, index, 0x80]), partition };
      });
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return keys;
}

function committedOffsets(served: ServedBroker, groupId: string, topic: string): number[] {
  const partitionIndexes = Array.from({ length: PARTITIONS }, (_, partition) => partition);
  const response = served.groups.coordinator.fetchOffsets({ groupId, topics: [{ name: topic, partitionIndexes }] });
  return (response.topics[0]?.partitions ?? []).map((partition) => partition.committedOffset);
}

async function allCommitted(served: ServedBroker, groupId: string, topic: string, offset: number): Promise<void> {
  await until(`every partition committed at ${offset}`, () =>
    committedOffsets(served, groupId, topic).every((committed) => committed === offset) ? true : undefined,
  WAIT_MS);
}

/** Every key delivered exactly once, by the member that owned its partition at the time. */
function expectExactlyOnce(deliveries: readonly Delivery[], keys: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const delivery of deliveries) counts.set(delivery.key, (counts.get(delivery.key) ?? 0) + 1);
  expect([...counts.keys()].sort()).toEqual([...keys].sort());
  expect([...counts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
}

/**
 * Produces a phase's records to every partition, waits until the members have consumed every
 * record produced so far, and checks each was delivered exactly once. Resolves with the keys
 * produced so far and the deliveries of this phase.
 */
async function consumePhase(
  served: ServedBroker,
  topic: string,
  deliveries: readonly Delivery[],
  earlierKeys: readonly string[],
  phase: string,
  ordinal: string,
): Promise<{ keys: string[]; delivered: Delivery[] }> {
  const keys = [...earlierKeys, ...(await produce(served, topic, phase))];
  await until(`every ${ordinal}-phase record to be consumed`, () => (deliveries.length >= keys.length ? true : undefined), WAIT_MS);
  await sleep(300);
  expectExactlyOnce(deliveries, keys);
  return { keys, delivered: deliveries.slice(earlierKeys.length) };
}

function offsetsOf(deliveries: readonly Delivery[], partition: number): number[] {
  return deliveries.filter((delivery) => delivery.partition === partition).map((delivery) => delivery.offset).sort((a, b) => a - b);
}

function partitionsReadBy(deliveries: readonly Delivery[], member: string): number[] {
  return [...new Set(deliveries.filter((delivery) => delivery.member === member).map((delivery) => delivery.partition))].sort((a, b) => a - b);
}

/** A served broker with `topic` (PARTITIONS partitions), and empty records of what the members read and report. */
async function serveTopic(topic: string): Promise<{ served: ServedBroker; deliveries: Delivery[]; reported: Reported }> {
  const served = await serveBroker();
  cleanups.push(() => served.close());
  await served.broker.createTopic(topic, { partitions: PARTITIONS });
  return { served, deliveries: [], reported: new Map() };
}

describe('a consumer group with members of different clients', () => {
  type Client = 'kafkajs' | 'platformatic' | 'kcat';
  const orders: Client[][] = withKcat
    ? [
        ['kafkajs', 'platformatic', 'kcat'],
        ['platformatic', 'kcat', 'kafkajs'],
        ['kcat', 'kafkajs', 'platformatic'],
      ]
    : [
        ['kafkajs', 'platformatic'],
        ['platformatic', 'kafkajs'],
      ];
  test.each(orders.map((order) => [order.join(', '), order] as const))(
    'a group whose members are different clients (%s; the first leads, then leaves) splits the partitions and rebalances when one leaves',
    async (_name, order) => {
      const topic = 'mixed';
      const groupId = 'mixed-readers';
      const { served, deliveries, reported } = await serveTopic(topic);
      const reports = (): Reported => reported;

      // Members join one at a time. The first to join leads every generation it is in (its
      // client's round robin assigner deals the partitions); when it leaves, the next to have
      // joined leads. Across the orders, each client leads once with three members and once with
      // two.
      const members: string[] = [];
      const leave = new Map<string, () => Promise<void>>();
      for (const client of order) {
        if (client === 'kafkajs') {
          const consumer = await startKafkaJs(served, groupId, topic, deliveries, reported);
          leave.set('mixed-kafkajs', () => consumer.disconnect());
        } else if (client === 'platformatic') {
          const consumer = await startPlatformatic(served, groupId, topic, deliveries, reported);
          leave.set('mixed-platformatic', () => consumer.close());
        } else {
          const kcat = startKcat(served, groupId, topic, deliveries, reported);
          leave.set('mixed-kcat', () => kcat.stop());
        }
        members.push(`mixed-${client}`);
        await stableWith(served, groupId, topic, members, reports);
      }
      const owners = await stableWith(served, groupId, topic, members, reports);
      expectSplit(owners);
      expect(served.groups.coordinator.describeGroup(groupId).protocolData).toBe('roundrobin');

      // Records arrive only now, so no rebalance moves a partition while it is being read.
      const first = await consumePhase(served, topic, deliveries, [], 'one', 'first');
      for (const member of members) expect(partitionsReadBy(first.delivered, member)).toEqual(owners.get(member));
      await allCommitted(served, groupId, topic, PER_PARTITION);

      // The leader leaves; the next client leads the next generation, and the others take the
      // leaver's partitions over from the offsets it committed.
      const leaver = members.shift()!;
      await leave.get(leaver)!();
      const remaining = await stableWith(served, groupId, topic, members, reports);
      expectSplit(remaining);

      const { delivered: secondPhase } = await consumePhase(served, topic, deliveries, first.keys, 'two', 'second');
      expect(partitionsReadBy(secondPhase, leaver)).toEqual([]);
      for (const member of members) expect(partitionsReadBy(secondPhase, member)).toEqual(remaining.get(member));
      // The leaver's partitions were picked up where it left them: offsets 10 to 19, nothing below.
      for (const partition of owners.get(leaver)!) {
        expect(offsetsOf(secondPhase, partition)).toEqual(Array.from({ length: PER_PARTITION }, (_, index) => PER_PARTITION + index));
      }
      await allCommitted(served, groupId, topic, 2 * PER_PARTITION);
    },
  );

  test('an embedded group consumer and KafkaJS consumers in the same group share the partitions, whichever of them leads, and take over from a member that leaves', async () => {
    const topic = 'shared';
    const groupId = 'shared-readers';
    const { served, deliveries, reported } = await serveTopic(topic);

    const kafkaJsMember = await startKafkaJs(served, groupId, topic, deliveries, reported);
    // The embedded consumer names its assignor 'roundrobin', as the KafkaJS assigner above does.
    const embedded = served.groups.consumer({
      groupId,
      clientId: 'mixed-embedded',
      'partition.assignment.strategy': ['roundrobin'],
      'session.timeout.ms': 6000,
      'heartbeat.interval.ms': 500,
      'auto.commit.interval.ms': 100,
      'fetch.max.wait.ms': 100,
      'auto.offset.reset': 'earliest',
    });
    const reports = (): Reported =>
      new Map([...reported, ['mixed-embedded', embedded.assignment().map((entry) => entry.partition).sort((a, b) => a - b)]]);
    await stableWith(served, groupId, topic, ['mixed-kafkajs'], reports);

    let polling = true;
    let pollLoop: Promise<void> = Promise.resolve();
    cleanups.push(async () => {
      polling = false;
      await embedded.close();
      await pollLoop;
    });
    await embedded.subscribe({ topics: [topic] });
    pollLoop = (async () => {
      while (polling) {
        const batches = await embedded.poll();
        for (const batch of batches) {
          for (const record of batch.records) {
            deliveries.push({ member: 'mixed-embedded', partition: batch.partition, offset: record.offset, key: record.key?.toString() ?? '' });
          }
        }
        if (batches.length === 0) await sleep(20);
      }
    })();

    const owners = await stableWith(served, groupId, topic, ['mixed-kafkajs', 'mixed-embedded'], reports);
    expectSplit(owners);

    const first = await consumePhase(served, topic, deliveries, [], 'one', 'first');
    expect(partitionsReadBy(first.delivered, 'mixed-kafkajs')).toEqual(owners.get('mixed-kafkajs'));
    expect(partitionsReadBy(first.delivered, 'mixed-embedded')).toEqual(owners.get('mixed-embedded'));
    await allCommitted(served, groupId, topic, PER_PARTITION);

    // KafkaJS (the leader) leaves: the embedded consumer leads the next generation alone.
    await kafkaJsMember.disconnect();
    const remaining = await stableWith(served, groupId, topic, ['mixed-embedded'], reports);
    expect(remaining.get('mixed-embedded')).toEqual([0, 1, 2, 3]);

    const second = await consumePhase(served, topic, deliveries, first.keys, 'two', 'second');
    const secondPhase = second.delivered;
    expect(partitionsReadBy(secondPhase, 'mixed-embedded')).toEqual([0, 1, 2, 3]);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      expect(offsetsOf(secondPhase, partition)).toEqual(Array.from({ length: PER_PARTITION }, (_, index) => PER_PARTITION + index));
    }
    await allCommitted(served, groupId, topic, 2 * PER_PARTITION);

    // A new KafkaJS member joins the embedded leader: Brook's roundrobin assignor deals the
    // partitions and KafkaJS reads the assignment Brook encoded.
    await startKafkaJs(served, groupId, topic, deliveries, reported);
    const rejoined = await stableWith(served, groupId, topic, ['mixed-embedded', 'mixed-kafkajs'], reports);
    expectSplit(rejoined);
    const { delivered: thirdPhase } = await consumePhase(served, topic, deliveries, second.keys, 'three', 'third');
    expect(partitionsReadBy(thirdPhase, 'mixed-kafkajs')).toEqual(rejoined.get('mixed-kafkajs'));
    expect(partitionsReadBy(thirdPhase, 'mixed-embedded')).toEqual(rejoined.get('mixed-embedded'));
    await allCommitted(served, groupId, topic, 3 * PER_PARTITION);
  });
});
