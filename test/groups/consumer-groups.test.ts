import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ManualClock } from '../../src/core/clock.js';
import { ConsumerGroups, type GroupConsumer } from '../../src/groups/consumer-groups.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * Consumer groups end to end through the embedded API, with a manual clock: heartbeats, session
 * timeouts and rebalances happen when the test moves time, never by sleeping.
 */
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 3000;

async function setup(partitions: number, dataDir?: string) {
  const clock = new ManualClock();
  const broker = await Broker.open({ scheduleTasks: false, clock: () => clock.nowMs(), ...(dataDir === undefined ? {} : { dataDir }) });
  if (!broker.hasTopic('orders')) await broker.createTopic('orders', { partitions });
  const groups = await ConsumerGroups.open(broker, { clock });
  cleanups.push(async () => {
    groups.close();
    await broker.close();
  });
  return { clock, broker, groups };
}

function member(groups: ConsumerGroups, groupId = 'billing'): GroupConsumer {
  return groups.consumer({
    groupId,
    'auto.offset.reset': 'earliest',
    'fetch.max.wait.ms': 0,
    'session.timeout.ms': SESSION_TIMEOUT_MS,
    'heartbeat.interval.ms': HEARTBEAT_MS,
    'enable.auto.commit': false,
  });
}

/** Move the clock in heartbeat-sized steps, letting the event loop run, until `promise` settles. */
async function settle<T>(clock: ManualClock, promise: Promise<T>, stepMs = HEARTBEAT_MS): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  for (let step = 0; step < 100 && !done; step++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!done) clock.advance(stepMs);
  }
  return tracked;
}

async function produce(broker: Broker, count: number): Promise<void> {
  const producer = broker.producer();
  await producer.send({ topic: 'orders', messages: Array.from({ length: count }, (_, index) => ({ value: `order-${index}` })) });
}

async function drain(consumer: GroupConsumer, seen: string[], limit = 20): Promise<void> {
  for (let round = 0; round < limit; round++) {
    const batches = await consumer.poll();
    if (batches.length === 0) return;
    for (const batch of batches) for (const record of batch.records) seen.push(record.value!.toString());
  }
}

const partitionsOf = (consumer: GroupConsumer): number[] => consumer.assignment().map((entry) => entry.partition).sort();

describe('Consumer groups', () => {
  test('a group of 2 on 3 partitions splits them 2/1', async () => {
    const { clock, groups } = await setup(3);
    const first = member(groups);
    await settle(clock, first.subscribe({ topics: ['orders'] }));
    expect(partitionsOf(first)).toEqual([0, 1, 2]);
    const second = member(groups);
    await settle(clock, second.subscribe({ topics: ['orders'] }));
    await settle(clock, Promise.resolve());
    const sizes = [partitionsOf(first).length, partitionsOf(second).length].sort();
    expect(sizes).toEqual([1, 2]);
    expect([...partitionsOf(first), ...partitionsOf(second)].sort()).toEqual([0, 1, 2]);
  });

  test('a group of 4 on 3 partitions leaves one member idle', async () => {
    const { clock, groups } = await setup(3);
    const members = [member(groups), member(groups), member(groups), member(groups)];
    await settle(clock, Promise.all(members.map((consumer) => consumer.subscribe({ topics: ['orders'] }))));
    await settle(clock, Promise.resolve());
    const sizes = members.map((consumer) => partitionsOf(consumer).length).sort();
    expect(sizes).toEqual([0, 1, 1, 1]);
  });

  test('a member that stops heartbeating loses its partitions after the session timeout; the others resume from committed offsets and skip nothing', async () => {
    const { clock, broker, groups } = await setup(3);
    await produce(broker, 30);
    const survivor = member(groups);
    const doomed = member(groups);
    await settle(clock, Promise.all([survivor.subscribe({ topics: ['orders'] }), doomed.subscribe({ topics: ['orders'] })]));
    await settle(clock, Promise.resolve());
    const seenBySurvivor: string[] = [];
    const seenByDoomed: string[] = [];
    await drain(survivor, seenBySurvivor);
    // The doomed member reads one fetch, commits it, reads more without committing, then dies.
    for (const batch of await doomed.poll()) for (const record of batch.records) seenByDoomed.push(record.value!.toString());
    await doomed.commit();
    await drain(doomed, []);
    doomed.abandon();
    await survivor.commit();
    expect(partitionsOf(survivor).length).toBeLessThan(3);
    // Past the session timeout the coordinator evicts it; the survivor's heartbeat sees the rebalance.
    await settle(clock, new Promise<void>((resolve) => clock.setTimer(SESSION_TIMEOUT_MS + 2 * HEARTBEAT_MS, resolve)), 1000);
    await settle(clock, Promise.resolve());
    expect(partitionsOf(survivor)).toEqual([0, 1, 2]);
    await produce(broker, 6);
    await drain(survivor, seenBySurvivor);
    const all = new Set([...seenBySurvivor, ...seenByDoomed]);
    for (let index = 0; index < 30; index++) expect(all.has(`order-${index}`)).toBe(true);
    for (let index = 0; index < 6; index++) expect(seenBySurvivor).toContain(`order-${index}`);
  });

  test('a member that does not poll within max.poll.interval.ms leaves; its next poll joins again', async () => {
    const { clock, groups } = await setup(3);
    const options = {
      groupId: 'billing',
      'auto.offset.reset': 'earliest' as const,
      'fetch.max.wait.ms': 0,
      'session.timeout.ms': SESSION_TIMEOUT_MS,
      'heartbeat.interval.ms': HEARTBEAT_MS,
      'max.poll.interval.ms': 20_000,
      'enable.auto.commit': false,
    };
    const slow = groups.consumer(options);
    const busy = groups.consumer(options);
    await settle(clock, Promise.all([slow.subscribe({ topics: ['orders'] }), busy.subscribe({ topics: ['orders'] })]));
    await settle(clock, Promise.resolve());
    expect(partitionsOf(slow).length + partitionsOf(busy).length).toBe(3);
    // Only `busy` polls; after 20 s `slow` leaves and `busy` takes everything at its next rebalance.
    for (let second = 0; second < 40; second += 2) {
      await busy.poll();
      clock.advance(2000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await settle(clock, Promise.resolve());
    expect(partitionsOf(slow)).toEqual([]);
    expect(partitionsOf(busy)).toEqual([0, 1, 2]);
    const rejoined = slow.poll();
    await settle(clock, rejoined);
    await settle(clock, Promise.resolve());
    expect(partitionsOf(slow).length).toBeGreaterThan(0);
    await busy.close();
    await slow.close();
  });

  test('two groups each read everything', async () => {
    const { clock, broker, groups } = await setup(3);
    await produce(broker, 12);
    const billing = member(groups, 'billing');
    const audit = member(groups, 'audit');
    await settle(clock, Promise.all([billing.subscribe({ topics: ['orders'] }), audit.subscribe({ topics: ['orders'] })]));
    const seenByBilling: string[] = [];
    const seenByAudit: string[] = [];
    await drain(billing, seenByBilling);
    await drain(audit, seenByAudit);
    expect(seenByBilling.sort()).toEqual(seenByAudit.sort());
    expect(seenByBilling.length).toBe(12);
  });

  test('offsets.retention.minutes removes the offsets of a group that has been empty too long, checked on a timer', async () => {
    const clock = new ManualClock();
    const broker = await Broker.open({ scheduleTasks: false, clock: () => clock.nowMs() });
    await broker.createTopic('orders', { partitions: 1 });
    const groups = await ConsumerGroups.open(broker, {
      clock,
      offsets: { 'offsets.retention.minutes': 1 },
      'offsets.retention.check.interval.ms': 10_000,
    });
    cleanups.push(async () => {
      groups.close();
      await broker.close();
    });
    await produce(broker, 3);
    const consumer = member(groups);
    await settle(clock, consumer.subscribe({ topics: ['orders'] }));
    await drain(consumer, []);
    await consumer.close();
    expect(groups.offsets.fetch('billing').map((entry) => entry.offset)).toEqual([3]);
    // The check runs every 10 s (each run schedules the next when it is done, so time moves in
    // steps); the offsets go once the last commit is more than a minute old.
    const step = async (): Promise<void> => {
      clock.advance(10_000);
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    };
    for (let seconds = 10; seconds <= 50; seconds += 10) await step();
    expect(groups.offsets.fetch('billing').length).toBe(1);
    for (let seconds = 60; seconds <= 80; seconds += 10) await step();
    expect(groups.offsets.fetch('billing')).toEqual([]);
  });

  test('committed offsets survive a broker restart', async () => {
    const directory: TempDir = makeTempDir();
    cleanups.push(() => directory.remove());
    let { clock, broker, groups } = await setup(2, directory.path);
    await produce(broker, 10);
    let consumer = member(groups);
    await settle(clock, consumer.subscribe({ topics: ['orders'] }));
    const seen: string[] = [];
    await drain(consumer, seen);
    await consumer.close();
    groups.close();
    await broker.close();
    ({ clock, broker, groups } = await setup(2, directory.path));
    await produce(broker, 4);
    consumer = member(groups);
    await settle(clock, consumer.subscribe({ topics: ['orders'] }));
    const after: string[] = [];
    await drain(consumer, after);
    expect(seen.length).toBe(10);
    expect(after.sort()).toEqual(['order-0', 'order-1', 'order-2', 'order-3']);
  });
});

describe('Rebalance protocols', () => {
  function strategyMember(groups: ConsumerGroups, strategy: string): GroupConsumer {
    return groups.consumer({
      groupId: 'billing',
      'auto.offset.reset': 'earliest',
      'fetch.max.wait.ms': 0,
      'session.timeout.ms': SESSION_TIMEOUT_MS,
      'heartbeat.interval.ms': HEARTBEAT_MS,
      'enable.auto.commit': false,
      'partition.assignment.strategy': [strategy],
    });
  }

  /**
   * Step the clock until `promise` settles, recording what `watched` holds each time it sends a
   * JoinGroup (the moment eager and cooperative members differ: eager ones have revoked
   * everything by then) and sampling both members' partitions at every step.
   */
  async function watch(
    clock: ManualClock,
    groups: ConsumerGroups,
    promise: Promise<unknown>,
    watched: GroupConsumer,
    members: GroupConsumer[],
  ): Promise<{ atRejoin: number[][]; samples: number[][][] }> {
    const coordinator = groups.coordinator;
    const original = coordinator.joinGroup.bind(coordinator);
    const atRejoin: number[][] = [];
    coordinator.joinGroup = (request) => {
      if (request.memberId !== '' && request.memberId === watched.memberId) atRejoin.push(partitionsOf(watched));
      return original(request);
    };
    const samples: number[][][] = [];
    let done = false;
    void promise.finally(() => (done = true));
    for (let step = 0; step < 60 && !(done && step > 10); step++) {
      await new Promise((resolve) => setImmediate(resolve));
      samples.push(members.map(partitionsOf));
      clock.advance(HEARTBEAT_MS / 3);
    }
    await promise;
    coordinator.joinGroup = original;
    return { atRejoin, samples };
  }

  test('with cooperative-sticky a member keeps reading its partitions while another joins, and gives up only the one that moves', async () => {
    const { clock, broker, groups } = await setup(3);
    await produce(broker, 30);
    const first = strategyMember(groups, 'cooperative-sticky');
    await settle(clock, first.subscribe({ topics: ['orders'] }));
    expect(partitionsOf(first)).toEqual([0, 1, 2]);
    const second = strategyMember(groups, 'cooperative-sticky');
    const { atRejoin, samples } = await watch(clock, groups, second.subscribe({ topics: ['orders'] }), first, [first, second]);
    // It rejoined holding everything, then (after giving one partition up) once more holding two.
    expect(atRejoin).toEqual([[0, 1, 2], expect.any(Array)]);
    expect(atRejoin[1]!.length).toBe(2);
    // Never a partition owned twice.
    for (const [ownedByFirst, ownedBySecond] of samples) {
      expect(ownedByFirst!.filter((partition) => ownedBySecond!.includes(partition))).toEqual([]);
    }
    const firstAfter = partitionsOf(first);
    const secondAfter = partitionsOf(second);
    expect(firstAfter).toEqual(atRejoin[1]);
    expect(secondAfter.length).toBe(1);
    expect([...firstAfter, ...secondAfter].sort()).toEqual([0, 1, 2]);
    // Nothing skipped or read twice across the handover.
    const seen: string[] = [];
    await drain(first, seen);
    await drain(second, seen);
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, index) => `order-${index}`).sort());
  });

  test('with an eager assignor (range) a member gives up everything before it rejoins', async () => {
    const { clock, groups } = await setup(3);
    const first = strategyMember(groups, 'range');
    await settle(clock, first.subscribe({ topics: ['orders'] }));
    const second = strategyMember(groups, 'range');
    const { atRejoin } = await watch(clock, groups, second.subscribe({ topics: ['orders'] }), first, [first, second]);
    expect(atRejoin).toEqual([[]]);
    expect([...partitionsOf(first), ...partitionsOf(second)].sort()).toEqual([0, 1, 2]);
  });
});
