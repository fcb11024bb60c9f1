import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { GroupCoordinator } from '../../src/groups/coordinator.js';
import { resolveGroupCoordinatorConfig, type GroupCoordinatorConfigInput } from '../../src/groups/group-config.js';
import { GROUP_ERROR_CODES, KAFKA_ERROR_CODES } from '../../src/groups/group-errors.js';
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  OffsetCommitRequest,
  SyncGroupRequest,
} from '../../src/groups/group-messages.js';
import { MemoryOffsetStore } from '../helpers/memory-offset-store.js';

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;
const INITIAL_DELAY_MS = 100;
/** Members joining together: a member arriving during the initial delay extends it once more. */
const JOIN_TOGETHER_MS = 2 * INITIAL_DELAY_MS;

interface Harness {
  readonly clock: ManualClock;
  readonly store: MemoryOffsetStore;
  readonly coordinator: GroupCoordinator;
}

/** Member ids are `${clientId}-${n}` so tests can name them; the initial delay is 0 unless set. */
function harness(config: GroupCoordinatorConfigInput = {}, partitionExists?: (topic: string, partition: number) => boolean): Harness {
  const clock = new ManualClock();
  const store = new MemoryOffsetStore();
  let sequence = 0;
  const coordinator = new GroupCoordinator({
    clock,
    offsetStore: store,
    config: { 'group.initial.rebalance.delay.ms': 0, ...config },
    generateMemberId: (prefix) => `${prefix}-${++sequence}`,
    ...(partitionExists === undefined ? {} : { partitionExists }),
  });
  return { clock, store, coordinator };
}

function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'orders',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('subscription') }],
    requireKnownMemberId: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...overrides,
  };
}

interface Membership {
  readonly memberId: string;
  readonly generationId: number;
}

function syncRequest(member: Membership, assignments: Record<string, string> = {}, overrides: Partial<SyncGroupRequest> = {}): SyncGroupRequest {
  return {
    groupId: 'orders',
    generationId: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: Object.entries(assignments).map(([memberId, text]) => ({ memberId, assignment: Buffer.from(text) })),
    ...overrides,
  };
}

function heartbeatRequest(member: Membership, overrides: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return { groupId: 'orders', generationId: member.generationId, memberId: member.memberId, groupInstanceId: null, ...overrides };
}

function commitRequest(member: Membership, offset: number, overrides: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    groupId: 'orders',
    generationId: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: 3, committedMetadata: 'note' }] }],
    ...overrides,
  };
}

const SIMPLE: Membership = { memberId: '', generationId: -1 };

/** True if the promise has not settled by the time already-queued microtasks have run. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise, Promise.resolve(marker)])) === marker;
}

function commitCodes(response: Awaited<ReturnType<GroupCoordinator['commitOffsets']>>): string[] {
  return response.topics.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode));
}

/**
 * Joins `clients` together during the initial delay (the harness must set one), then syncs with
 * the leader assigning `assignment-<clientId>` to each. Returns each client's membership.
 */
async function formGroup(h: Harness, clients: ReadonlyArray<string>): Promise<Map<string, Membership & { readonly response: JoinGroupResponse }>> {
  const joins = clients.map((clientId) =>
    h.coordinator.joinGroup(joinRequest({ clientId, protocols: [{ name: 'range', metadata: Buffer.from(`subscription-${clientId}`) }] })),
  );
  h.clock.advance(2 * h.coordinator.config['group.initial.rebalance.delay.ms']);
  const responses = await Promise.all(joins);
  const members = new Map(clients.map((clientId, index) => {
    const response = responses[index];
    if (response === undefined) throw new Error('missing join response');
    return [clientId, { memberId: response.memberId, generationId: response.generationId, response }] as const;
  }));
  const leader = [...members.values()].find((member) => member.response.members.length > 0);
  if (leader === undefined) throw new Error('no leader');
  const assignments = Object.fromEntries([...members].map(([clientId, member]) => [member.memberId, `assignment-${clientId}`]));
  const syncs = [...members.values()].map((member) => h.coordinator.syncGroup(syncRequest(member, member === leader ? assignments : {})));
  for (const sync of await Promise.all(syncs)) expect(sync.errorCode).toBe('NONE');
  return members;
}

function memberOf(members: ReadonlyMap<string, Membership>, clientId: string): Membership {
  const member = members.get(clientId);
  if (member === undefined) throw new Error(`no member ${clientId}`);
  return member;
}

describe('GroupCoordinator JoinGroup and SyncGroup', () => {
  test('a single member joins and becomes leader of generation 1', async () => {
    const { coordinator } = harness();
    const join = await coordinator.joinGroup(joinRequest());
    expect(join).toMatchObject({
      errorCode: 'NONE',
      kafkaErrorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      memberId: 'client-1',
      leader: 'client-1',
    });
    expect(join.members).toEqual([{ memberId: 'client-1', groupInstanceId: null, metadata: Buffer.from('subscription') }]);
    const sync = await coordinator.syncGroup(syncRequest(join, { 'client-1': 'all partitions' }));
    expect(sync).toMatchObject({ errorCode: 'NONE', protocolType: 'consumer', protocolName: 'range' });
    expect(sync.assignment.toString()).toBe('all partitions');
    expect(coordinator.describeGroup('orders').groupState).toBe('Stable');
  });

  test('a new member is told MEMBER_ID_REQUIRED with a generated id and joins when it comes back with it', async () => {
    const { coordinator } = harness();
    const first = await coordinator.joinGroup(joinRequest({ requireKnownMemberId: true }));
    expect(first).toMatchObject({ errorCode: 'MEMBER_ID_REQUIRED', kafkaErrorCode: 79, memberId: 'client-1', generationId: -1 });
    expect(coordinator.describeGroup('orders')).toMatchObject({ groupState: 'Empty', members: [] });
    const second = await coordinator.joinGroup(joinRequest({ requireKnownMemberId: true, memberId: first.memberId }));
    expect(second).toMatchObject({ errorCode: 'NONE', generationId: 1, memberId: 'client-1', leader: 'client-1' });
  });

  test('a member id handed out with MEMBER_ID_REQUIRED expires after the session timeout if unused', async () => {
    const { clock, coordinator } = harness();
    const first = await coordinator.joinGroup(joinRequest({ requireKnownMemberId: true }));
    clock.advance(SESSION_MS);
    const late = await coordinator.joinGroup(joinRequest({ requireKnownMemberId: true, memberId: first.memberId }));
    expect(late).toMatchObject({ errorCode: 'UNKNOWN_MEMBER_ID', kafkaErrorCode: 25 });
    expect(coordinator.listGroups().groups).toEqual([]);
  });

  test('two members joining in the initial delay form generation 1; only the leader gets both subscriptions', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': 3000 });
    const first = coordinator.joinGroup(joinRequest({ clientId: 'a', protocols: [{ name: 'range', metadata: Buffer.from('sub-a') }] }));
    const second = coordinator.joinGroup(joinRequest({ clientId: 'b', protocols: [{ name: 'range', metadata: Buffer.from('sub-b') }] }));
    // b arrived during the delay, so the delay runs once more (Kafka's InitialDelayedJoin).
    clock.advance(5999);
    expect(await isPending(first)).toBe(true);
    expect(await isPending(second)).toBe(true);
    expect(coordinator.describeGroup('orders').groupState).toBe('PreparingRebalance');
    clock.advance(1);
    const [leader, follower] = await Promise.all([first, second]);
    expect(leader).toMatchObject({ generationId: 1, memberId: 'a-1', leader: 'a-1' });
    expect(follower).toMatchObject({ generationId: 1, memberId: 'b-2', leader: 'a-1', members: [] });
    expect(leader.members).toEqual([
      { memberId: 'a-1', groupInstanceId: null, metadata: Buffer.from('sub-a') },
      { memberId: 'b-2', groupInstanceId: null, metadata: Buffer.from('sub-b') },
    ]);
  });

  test("a follower's SyncGroup waits for the leader's, then each member gets its own assignment", async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': 3000 });
    const joins = [coordinator.joinGroup(joinRequest({ clientId: 'a' })), coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    clock.advance(6000);
    const [leader, follower] = await Promise.all(joins);
    if (leader === undefined || follower === undefined) throw new Error('join failed');
    const followerSync = coordinator.syncGroup(syncRequest(follower));
    clock.advance(1000);
    expect(await isPending(followerSync)).toBe(true);
    expect(coordinator.describeGroup('orders').groupState).toBe('CompletingRebalance');
    const leaderSync = await coordinator.syncGroup(syncRequest(leader, { 'a-1': 'partitions 0,1', 'b-2': 'partitions 2,3' }));
    expect(leaderSync.assignment.toString()).toBe('partitions 0,1');
    expect((await followerSync).assignment.toString()).toBe('partitions 2,3');
    expect(coordinator.describeGroup('orders').groupState).toBe('Stable');
  });

  test('the leader leaving out a member gives that member an empty assignment', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const joins = [coordinator.joinGroup(joinRequest({ clientId: 'a' })), coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    clock.advance(JOIN_TOGETHER_MS);
    const [leader, follower] = await Promise.all(joins);
    if (leader === undefined || follower === undefined) throw new Error('join failed');
    const followerSync = coordinator.syncGroup(syncRequest(follower));
    await coordinator.syncGroup(syncRequest(leader, { 'a-1': 'everything' }));
    expect(await followerSync).toMatchObject({ errorCode: 'NONE', assignment: Buffer.alloc(0) });
  });

  test('the initial delay is extended while new members keep arriving, but not past the rebalance timeout', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': 3000 });
    const first = coordinator.joinGroup(joinRequest({ clientId: 'a', rebalanceTimeoutMs: 7000 }));
    clock.advance(2000);
    const second = coordinator.joinGroup(joinRequest({ clientId: 'b', rebalanceTimeoutMs: 7000 }));
    clock.advance(1000); // first delay ends; a member arrived during it, so wait another 3000
    expect(await isPending(first)).toBe(true);
    clock.advance(2000);
    const third = coordinator.joinGroup(joinRequest({ clientId: 'c', rebalanceTimeoutMs: 7000 }));
    clock.advance(1000); // second delay ends at 6000; only 1000 of the 7000 ms budget is left
    expect(await isPending(first)).toBe(true);
    clock.advance(999);
    expect(await isPending(third)).toBe(true);
    clock.advance(1);
    const responses = await Promise.all([first, second, third]);
    expect(responses.map((response) => response.generationId)).toEqual([1, 1, 1]);
    expect(responses[0]?.members).toHaveLength(3);
  });

  test('SyncGroup with a wrong generation, an unknown member, or during a rebalance is refused', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const a = memberOf(members, 'a');
    expect(await h.coordinator.syncGroup(syncRequest({ ...a, generationId: 7 }))).toMatchObject({ errorCode: 'ILLEGAL_GENERATION', kafkaErrorCode: 22 });
    expect(await h.coordinator.syncGroup(syncRequest({ ...a, memberId: 'stranger' }))).toMatchObject({ errorCode: 'UNKNOWN_MEMBER_ID', kafkaErrorCode: 25 });
    expect(await h.coordinator.syncGroup(syncRequest(a, {}, { groupId: 'nowhere' }))).toMatchObject({ errorCode: 'UNKNOWN_MEMBER_ID' });
    expect(await h.coordinator.syncGroup(syncRequest(a, {}, { protocolName: 'roundrobin' }))).toMatchObject({ errorCode: 'INCONSISTENT_GROUP_PROTOCOL' });
    void h.coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    expect(await h.coordinator.syncGroup(syncRequest(a))).toMatchObject({ errorCode: 'REBALANCE_IN_PROGRESS', kafkaErrorCode: 27 });
  });

  test('a follower rejoining a Stable group with the same metadata gets the current generation without a rebalance', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const b = memberOf(members, 'b');
    const rejoin = await h.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b.memberId, protocols: [{ name: 'range', metadata: Buffer.from('subscription-b') }] }));
    expect(rejoin).toMatchObject({ errorCode: 'NONE', generationId: 1, leader: memberOf(members, 'a').memberId, members: [] });
    expect(h.coordinator.describeGroup('orders').groupState).toBe('Stable');
  });

  test('the leader rejoining a Stable group starts a rebalance', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const a = memberOf(members, 'a');
    const rejoin = h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId, protocols: [{ name: 'range', metadata: Buffer.from('subscription-a') }] }));
    expect(h.coordinator.describeGroup('orders').groupState).toBe('PreparingRebalance');
    expect(h.coordinator.heartbeat(heartbeatRequest(memberOf(members, 'b'))).errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(await isPending(rejoin)).toBe(true);
  });
  test('a member that lost its JoinGroup response and rejoins unchanged during CompletingRebalance gets the same generation', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const joins = [h.coordinator.joinGroup(joinRequest({ clientId: 'a' })), h.coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    h.clock.advance(JOIN_TOGETHER_MS);
    const [leader] = await Promise.all(joins);
    if (leader === undefined) throw new Error('join failed');
    const again = await h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: leader.memberId }));
    expect(again).toEqual(leader);
    expect(h.coordinator.describeGroup('orders').groupState).toBe('CompletingRebalance');
  });

  test('a second JoinGroup from a member whose JoinGroup is held answers the older one with REBALANCE_IN_PROGRESS', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const a = memberOf(members, 'a');
    const older = h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId }));
    const newer = h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId }));
    expect(await older).toMatchObject({ errorCode: 'REBALANCE_IN_PROGRESS', memberId: a.memberId });
    expect(await isPending(newer)).toBe(true);
    void h.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: memberOf(members, 'b').memberId }));
    expect(await newer).toMatchObject({ errorCode: 'NONE', generationId: 2 });
  });

  test('member ids handed out with MEMBER_ID_REQUIRED are bounded by group.max.size', async () => {
    const { coordinator } = harness({ 'group.max.size': 2 });
    const codes: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) codes.push((await coordinator.joinGroup(joinRequest({ requireKnownMemberId: true }))).errorCode);
    expect(codes).toEqual(['MEMBER_ID_REQUIRED', 'MEMBER_ID_REQUIRED', 'GROUP_MAX_SIZE_REACHED']);
  });
});

describe('GroupCoordinator rebalances', () => {
  test("a third member joining a Stable group makes the others' heartbeats return REBALANCE_IN_PROGRESS and a new generation forms once they rejoin", async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const [a, b] = [memberOf(members, 'a'), memberOf(members, 'b')];
    const c = h.coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    expect(h.coordinator.heartbeat(heartbeatRequest(a))).toEqual({ errorCode: 'REBALANCE_IN_PROGRESS', kafkaErrorCode: 27 });
    expect(h.coordinator.heartbeat(heartbeatRequest(b))).toEqual({ errorCode: 'REBALANCE_IN_PROGRESS', kafkaErrorCode: 27 });
    expect(await isPending(c)).toBe(true);
    const aRejoin = h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId }));
    expect(await isPending(aRejoin)).toBe(true);
    const bRejoin = h.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b.memberId }));
    const [aJoin, bJoin, cJoin] = await Promise.all([aRejoin, bRejoin, c]);
    expect([aJoin?.generationId, bJoin?.generationId, cJoin?.generationId]).toEqual([2, 2, 2]);
    expect(aJoin?.leader).toBe(a.memberId);
    expect(aJoin?.members.map((member) => member.memberId)).toEqual([a.memberId, b.memberId, 'c-3']);
    expect(h.coordinator.heartbeat(heartbeatRequest(a))).toMatchObject({ errorCode: 'ILLEGAL_GENERATION', kafkaErrorCode: 22 });
    expect(h.coordinator.heartbeat(heartbeatRequest({ ...a, generationId: 2 }))).toMatchObject({ errorCode: 'NONE' });
  });

  test('a member that stops heartbeating is removed after its session timeout and the survivors form a new generation', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const [a, b] = [memberOf(members, 'a'), memberOf(members, 'b')];
    h.clock.advance(SESSION_MS - 1000);
    expect(h.coordinator.heartbeat(heartbeatRequest(a)).errorCode).toBe('NONE');
    h.clock.advance(999);
    expect(h.coordinator.describeGroup('orders').members).toHaveLength(2);
    h.clock.advance(1); // b's session ends
    expect(h.coordinator.describeGroup('orders')).toMatchObject({ groupState: 'PreparingRebalance' });
    expect(h.coordinator.describeGroup('orders').members.map((member) => member.memberId)).toEqual([a.memberId]);
    expect(h.coordinator.heartbeat(heartbeatRequest(a)).errorCode).toBe('REBALANCE_IN_PROGRESS');
    const rejoin = await h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId }));
    expect(rejoin).toMatchObject({ errorCode: 'NONE', generationId: 2, leader: a.memberId });
    expect(rejoin.members.map((member) => member.memberId)).toEqual([a.memberId]);
    expect(h.coordinator.heartbeat(heartbeatRequest(b)).errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  test('a member that fails to rejoin within the rebalance timeout is dropped from the generation', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const [a, b] = [memberOf(members, 'a'), memberOf(members, 'b')];
    const c = h.coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    const aRejoin = h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId }));
    // b keeps heartbeating (so its session stays alive) but never rejoins.
    for (let elapsedMs = 0; elapsedMs < REBALANCE_MS - 5000; elapsedMs += 5000) {
      h.clock.advance(5000);
      expect(h.coordinator.heartbeat(heartbeatRequest(b)).errorCode).toBe('REBALANCE_IN_PROGRESS');
    }
    expect(await isPending(aRejoin)).toBe(true);
    h.clock.advance(5000);
    const [aJoin, cJoin] = await Promise.all([aRejoin, c]);
    expect(aJoin).toMatchObject({ generationId: 2, leader: a.memberId });
    expect(aJoin?.members.map((member) => member.memberId)).toEqual([a.memberId, 'c-3']);
    expect(cJoin).toMatchObject({ generationId: 2, members: [] });
    expect(h.coordinator.heartbeat(heartbeatRequest(b)).errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  test('a JoinGroup without a rebalance timeout (v0, -1) waits the session timeout for rejoins', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const first = h.coordinator.joinGroup(joinRequest({ clientId: 'a', rebalanceTimeoutMs: -1 }));
    const second = h.coordinator.joinGroup(joinRequest({ clientId: 'b', rebalanceTimeoutMs: -1 }));
    h.clock.advance(JOIN_TOGETHER_MS);
    const [a, b] = await Promise.all([first, second]);
    if (a === undefined || b === undefined) throw new Error('join failed');
    // New metadata from a starts a rebalance; b heartbeats (so its session lives) but does not rejoin.
    const rejoin = h.coordinator.joinGroup(
      joinRequest({ clientId: 'a', memberId: a.memberId, rebalanceTimeoutMs: -1, protocols: [{ name: 'range', metadata: Buffer.from('new topics') }] }),
    );
    h.clock.advance(5000);
    expect(h.coordinator.heartbeat(heartbeatRequest(b)).errorCode).toBe('REBALANCE_IN_PROGRESS');
    h.clock.advance(SESSION_MS - 5000 - 1);
    expect(await isPending(rejoin)).toBe(true);
    h.clock.advance(1);
    expect(await rejoin).toMatchObject({ generationId: 2, members: [{ memberId: a.memberId }] });
  });

  test('LeaveGroup removes the member and the remaining member rejoins into a new generation', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const [a, b] = [memberOf(members, 'a'), memberOf(members, 'b')];
    const leave = h.coordinator.leaveGroup({
      groupId: 'orders',
      members: [
        { memberId: b.memberId, groupInstanceId: null },
        { memberId: 'stranger', groupInstanceId: null },
      ],
    });
    expect(leave).toEqual({
      errorCode: 'NONE',
      kafkaErrorCode: 0,
      members: [
        { memberId: b.memberId, groupInstanceId: null, errorCode: 'NONE', kafkaErrorCode: 0 },
        { memberId: 'stranger', groupInstanceId: null, errorCode: 'UNKNOWN_MEMBER_ID', kafkaErrorCode: 25 },
      ],
    });
    expect(h.coordinator.heartbeat(heartbeatRequest(a)).errorCode).toBe('REBALANCE_IN_PROGRESS');
    const rejoin = await h.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a.memberId }));
    expect(rejoin).toMatchObject({ generationId: 2, leader: a.memberId });
    expect(rejoin.members).toHaveLength(1);
  });

  test('the last member leaving empties the group, which keeps its generation while it has committed offsets', async () => {
    const { coordinator } = harness();
    const join = await coordinator.joinGroup(joinRequest());
    await coordinator.syncGroup(syncRequest(join, { [join.memberId]: 'p0' }));
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(join, 42)))).toEqual(['NONE']);
    coordinator.leaveGroup({ groupId: 'orders', members: [{ memberId: join.memberId, groupInstanceId: null }] });
    expect(coordinator.describeGroup('orders')).toMatchObject({ groupState: 'Empty', members: [] });
    expect(coordinator.listGroups().groups).toEqual([{ groupId: 'orders', protocolType: 'consumer', groupState: 'Empty', groupType: 'classic' }]);
    const next = await coordinator.joinGroup(joinRequest());
    expect(next.generationId).toBe(3);
  });

  test('a group without members or committed offsets is forgotten when its last member leaves', async () => {
    const { coordinator } = harness();
    const join = await coordinator.joinGroup(joinRequest());
    coordinator.leaveGroup({ groupId: 'orders', members: [{ memberId: join.memberId, groupInstanceId: null }] });
    expect(coordinator.describeGroup('orders')).toMatchObject({ groupState: 'Dead', members: [], errorCode: 'NONE' });
    expect(coordinator.listGroups().groups).toEqual([]);
  });

  test('a member that never sends SyncGroup is removed after the rebalance timeout and the group rebalances', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const joins = [h.coordinator.joinGroup(joinRequest({ clientId: 'a' })), h.coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    h.clock.advance(JOIN_TOGETHER_MS);
    const [leader, follower] = await Promise.all(joins);
    if (leader === undefined || follower === undefined) throw new Error('join failed');
    // The leader's SyncGroup completes the generation at once; b never syncs but keeps heartbeating.
    expect((await h.coordinator.syncGroup(syncRequest(leader, { [follower.memberId]: 'p0' }))).errorCode).toBe('NONE');
    for (let elapsedMs = 0; elapsedMs < REBALANCE_MS - 5000; elapsedMs += 5000) {
      h.clock.advance(5000);
      expect(h.coordinator.heartbeat(heartbeatRequest(leader)).errorCode).toBe('NONE');
      expect(h.coordinator.heartbeat(heartbeatRequest(follower)).errorCode).toBe('NONE');
    }
    h.clock.advance(5000);
    expect(h.coordinator.heartbeat(heartbeatRequest(follower)).errorCode).toBe('UNKNOWN_MEMBER_ID');
    expect(h.coordinator.heartbeat(heartbeatRequest(leader)).errorCode).toBe('REBALANCE_IN_PROGRESS');
  });

  test('a leader that never sends SyncGroup is removed and the waiting followers are told to rejoin', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const joins = [h.coordinator.joinGroup(joinRequest({ clientId: 'a' })), h.coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    h.clock.advance(JOIN_TOGETHER_MS);
    const [leader, follower] = await Promise.all(joins);
    if (leader === undefined || follower === undefined) throw new Error('join failed');
    const followerSync = h.coordinator.syncGroup(syncRequest(follower));
    for (let elapsedMs = 0; elapsedMs < REBALANCE_MS - 5000; elapsedMs += 5000) {
      h.clock.advance(5000);
      expect(h.coordinator.heartbeat(heartbeatRequest(leader)).errorCode).toBe('NONE');
    }
    expect(await isPending(followerSync)).toBe(true);
    h.clock.advance(5000);
    expect(await followerSync).toMatchObject({ errorCode: 'REBALANCE_IN_PROGRESS', assignment: Buffer.alloc(0) });
    expect(h.coordinator.heartbeat(heartbeatRequest(leader)).errorCode).toBe('UNKNOWN_MEMBER_ID');
    const rejoin = await h.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: follower.memberId }));
    expect(rejoin).toMatchObject({ generationId: 2, leader: follower.memberId });
  });
});

describe('GroupCoordinator protocol checks', () => {
  test('the protocol vote picks the protocol every member supports, by the members preferences', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const protocols = (...names: string[]): JoinGroupRequest['protocols'] => names.map((name) => ({ name, metadata: Buffer.from(`meta-${name}`) }));
    const joins = [
      coordinator.joinGroup(joinRequest({ clientId: 'a', protocols: protocols('sticky', 'range', 'roundrobin') })),
      coordinator.joinGroup(joinRequest({ clientId: 'b', protocols: protocols('roundrobin', 'range') })),
      coordinator.joinGroup(joinRequest({ clientId: 'c', protocols: protocols('roundrobin', 'sticky', 'range') })),
    ];
    clock.advance(JOIN_TOGETHER_MS);
    const [leader] = await Promise.all(joins);
    // sticky is not supported by b; of range and roundrobin, roundrobin has two first choices.
    expect(leader).toMatchObject({ protocolName: 'roundrobin', leader: 'a-1' });
    expect(leader?.members.map((member) => member.metadata.toString())).toEqual(['meta-roundrobin', 'meta-roundrobin', 'meta-roundrobin']);
  });

  test('a tied protocol vote goes to the leader preference', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const joins = [
      coordinator.joinGroup(joinRequest({ clientId: 'a', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }, { name: 'roundrobin', metadata: Buffer.alloc(0) }] })),
      coordinator.joinGroup(joinRequest({ clientId: 'b', protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }, { name: 'range', metadata: Buffer.alloc(0) }] })),
    ];
    clock.advance(JOIN_TOGETHER_MS);
    const [leader] = await Promise.all(joins);
    expect(leader?.protocolName).toBe('range');
  });

  test('a member with no protocol in common, or another protocol type, gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    const { coordinator } = harness();
    await coordinator.joinGroup(joinRequest({ clientId: 'a' }));
    const otherAssignor = await coordinator.joinGroup(joinRequest({ clientId: 'b', protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] }));
    expect(otherAssignor).toMatchObject({ errorCode: 'INCONSISTENT_GROUP_PROTOCOL', kafkaErrorCode: 23, generationId: -1 });
    const otherType = await coordinator.joinGroup(joinRequest({ clientId: 'c', protocolType: 'connect' }));
    expect(otherType.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    const noProtocols = await coordinator.joinGroup(joinRequest({ groupId: 'fresh', protocols: [] }));
    expect(noProtocols.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(coordinator.listGroups().groups.map((group) => group.groupId)).toEqual(['orders']);
  });

  test('a session timeout outside group.min/max.session.timeout.ms is refused with INVALID_SESSION_TIMEOUT', async () => {
    const { coordinator } = harness();
    expect(await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 5999 }))).toMatchObject({ errorCode: 'INVALID_SESSION_TIMEOUT', kafkaErrorCode: 26 });
    expect(await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 1_800_001 }))).toMatchObject({ errorCode: 'INVALID_SESSION_TIMEOUT' });
    expect(await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 6000 }))).toMatchObject({ errorCode: 'NONE' });
    expect(await coordinator.joinGroup(joinRequest({ groupId: '' }))).toMatchObject({ errorCode: 'INVALID_GROUP_ID', kafkaErrorCode: 24 });
  });

  test('group.max.size refuses a member beyond the limit with GROUP_MAX_SIZE_REACHED', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS, 'group.max.size': 2 });
    const joins = [coordinator.joinGroup(joinRequest({ clientId: 'a' })), coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    const third = await coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    expect(third).toMatchObject({ errorCode: 'GROUP_MAX_SIZE_REACHED', kafkaErrorCode: 81, memberId: '' });
    clock.advance(JOIN_TOGETHER_MS);
    expect((await Promise.all(joins)).map((join) => join.errorCode)).toEqual(['NONE', 'NONE']);
    expect((await coordinator.joinGroup(joinRequest({ clientId: 'd' }))).errorCode).toBe('GROUP_MAX_SIZE_REACHED');
  });

  test('heartbeats from an unknown member, a stale generation or an unknown group are refused', async () => {
    const { coordinator } = harness();
    const join = await coordinator.joinGroup(joinRequest());
    expect(coordinator.heartbeat(heartbeatRequest({ ...join, memberId: 'stranger' })).errorCode).toBe('UNKNOWN_MEMBER_ID');
    expect(coordinator.heartbeat(heartbeatRequest({ ...join, generationId: 0 })).errorCode).toBe('ILLEGAL_GENERATION');
    expect(coordinator.heartbeat(heartbeatRequest(join, { groupId: 'elsewhere' })).errorCode).toBe('UNKNOWN_MEMBER_ID');
    expect(coordinator.heartbeat(heartbeatRequest(join)).errorCode).toBe('NONE');
  });
});

describe('GroupCoordinator static membership', () => {
  test('a static member that restarts within its session gets its assignment back without a rebalance, and its old id is fenced', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const joins = [
      coordinator.joinGroup(joinRequest({ clientId: 'a', groupInstanceId: 'instance-a' })),
      coordinator.joinGroup(joinRequest({ clientId: 'b' })),
    ];
    clock.advance(JOIN_TOGETHER_MS);
    const [a, b] = await Promise.all(joins);
    if (a === undefined || b === undefined) throw new Error('join failed');
    expect(a).toMatchObject({ memberId: 'instance-a-1', leader: 'instance-a-1' });
    const followerSync = coordinator.syncGroup(syncRequest(b));
    await coordinator.syncGroup(syncRequest(a, { [a.memberId]: 'for-a', [b.memberId]: 'for-b' }, { groupInstanceId: 'instance-a' }));
    await followerSync;

    const restarted = await coordinator.joinGroup(joinRequest({ clientId: 'a', groupInstanceId: 'instance-a', requireKnownMemberId: true }));
    // The old leader id is returned so the restarted leader does not reassign a Stable group.
    expect(restarted).toMatchObject({ errorCode: 'NONE', generationId: 1, memberId: 'instance-a-3', leader: 'instance-a-1', members: [] });
    expect(coordinator.describeGroup('orders').groupState).toBe('Stable');
    const sync = await coordinator.syncGroup(syncRequest(restarted, {}, { groupInstanceId: 'instance-a' }));
    expect(sync.assignment.toString()).toBe('for-a');
    expect(coordinator.heartbeat(heartbeatRequest(a, { groupInstanceId: 'instance-a' }))).toEqual({ errorCode: 'FENCED_INSTANCE_ID', kafkaErrorCode: 82 });
    expect(coordinator.heartbeat(heartbeatRequest(b)).errorCode).toBe('NONE');
  });

  test('a static member is removed by LeaveGroup with its instance id alone', async () => {
    const { coordinator } = harness();
    await coordinator.joinGroup(joinRequest({ groupInstanceId: 'instance-a' }));
    const leave = coordinator.leaveGroup({ groupId: 'orders', members: [{ memberId: '', groupInstanceId: 'instance-a' }] });
    expect(leave.members).toEqual([{ memberId: '', groupInstanceId: 'instance-a', errorCode: 'NONE', kafkaErrorCode: 0 }]);
    expect(coordinator.describeGroup('orders').groupState).toBe('Dead');
  });
});

describe('GroupCoordinator offsets', () => {
  test('commits from a stale generation or an unknown member are refused and current ones are stored', async () => {
    const { coordinator, store } = harness();
    const first = await coordinator.joinGroup(joinRequest());
    await coordinator.syncGroup(syncRequest(first, { [first.memberId]: 'p0' }));
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(first, 10)))).toEqual(['NONE']);

    // The leader's JoinGroup starts generation 2, which is CompletingRebalance until it syncs.
    const second = await coordinator.joinGroup(joinRequest({ memberId: first.memberId }));
    expect(second.generationId).toBe(2);
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(second, 15)))).toEqual(['REBALANCE_IN_PROGRESS']);
    await coordinator.syncGroup(syncRequest(second, { [first.memberId]: 'p0' }));

    const stale = await coordinator.commitOffsets(commitRequest(first, 11));
    expect(stale.topics[0]?.partitions[0]).toEqual({ partitionIndex: 0, errorCode: 'ILLEGAL_GENERATION', kafkaErrorCode: 22 });
    expect(commitCodes(await coordinator.commitOffsets(commitRequest({ ...second, memberId: 'stranger' }, 12)))).toEqual(['UNKNOWN_MEMBER_ID']);
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(second, 20)))).toEqual(['NONE']);

    expect(store.commits.map((commit) => commit.offsets.map((offset) => offset.offset))).toEqual([[10], [20]]);
    const fetched = coordinator.fetchOffsets({ groupId: 'orders', topics: [{ name: 'events', partitionIndexes: [0] }] });
    expect(fetched).toEqual({
      errorCode: 'NONE',
      kafkaErrorCode: 0,
      topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 20, committedLeaderEpoch: 3, metadata: 'note', errorCode: 'NONE', kafkaErrorCode: 0 }] }],
    });
  });

  test('commits are accepted while the group prepares a rebalance, since the heartbeat carries the news', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    void h.coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    expect(commitCodes(await h.coordinator.commitOffsets(commitRequest(memberOf(members, 'a'), 5)))).toEqual(['NONE']);
  });

  test('simple commits (generation -1, no member id) work for a group without members and are refused once it has members', async () => {
    const { coordinator, clock, store } = harness();
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(SIMPLE, 7)))).toEqual(['NONE']);
    expect(store.commits[0]?.offsets).toEqual([
      { topic: 'events', partition: 0, offset: 7, leaderEpoch: 3, metadata: 'note', commitTimestampMs: clock.nowMs() },
    ]);
    expect(coordinator.listGroups().groups).toEqual([{ groupId: 'orders', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
    await coordinator.joinGroup(joinRequest());
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(SIMPLE, 8)))).toEqual(['UNKNOWN_MEMBER_ID']);
    expect(commitCodes(await coordinator.commitOffsets(commitRequest({ memberId: '', generationId: 4 }, 9, { groupId: 'unknown' })))).toEqual([
      'ILLEGAL_GENERATION',
    ]);
    expect(coordinator.listGroups().groups.map((group) => group.groupId)).toEqual(['orders']);
  });

  test('each partition of a commit is checked: unknown partitions and oversized metadata are refused, the rest stored', async () => {
    const { coordinator, store } = harness({ 'offset.metadata.max.bytes': 8 }, (topic) => topic === 'events');
    const response = await coordinator.commitOffsets({
      ...commitRequest(SIMPLE, 0),
      topics: [
        {
          name: 'events',
          partitions: [
            { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null },
            { partitionIndex: 1, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: 'much too long' },
          ],
        },
        { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: '' }] },
      ],
    });
    expect(response.topics.map((topic) => topic.partitions.map((partition) => [partition.partitionIndex, partition.kafkaErrorCode]))).toEqual([
      [
        [0, 0],
        [1, 12],
      ],
      [[0, 3]],
    ]);
    expect(store.commits.flatMap((commit) => commit.offsets.map((offset) => `${offset.topic}-${offset.partition}`))).toEqual(['events-0']);
  });

  test('a failing offset store answers COORDINATOR_NOT_AVAILABLE for the partitions it did not store', async () => {
    const { coordinator, store } = harness();
    store.failNextCommit();
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(SIMPLE, 1)))).toEqual(['COORDINATOR_NOT_AVAILABLE']);
    expect(coordinator.listGroups().groups).toEqual([]);
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(SIMPLE, 1)))).toEqual(['NONE']);
  });

  test('OffsetFetch answers -1 and empty metadata where nothing was committed, and every commit for null topics', async () => {
    const { coordinator } = harness();
    await coordinator.commitOffsets({
      ...commitRequest(SIMPLE, 0),
      topics: [{ name: 'events', partitions: [{ partitionIndex: 2, committedOffset: 99, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    const some = coordinator.fetchOffsets({ groupId: 'orders', topics: [{ name: 'events', partitionIndexes: [1, 2] }] });
    expect(some.topics[0]?.partitions).toEqual([
      { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 'NONE', kafkaErrorCode: 0 },
      { partitionIndex: 2, committedOffset: 99, committedLeaderEpoch: -1, metadata: '', errorCode: 'NONE', kafkaErrorCode: 0 },
    ]);
    const all = coordinator.fetchOffsets({ groupId: 'orders', topics: null });
    expect(all.topics).toEqual([{ name: 'events', partitions: [some.topics[0]?.partitions[1]] }]);
    const unknown = coordinator.fetchOffsets({ groupId: 'nobody', topics: [{ name: 'events', partitionIndexes: [0] }] });
    expect(unknown.topics[0]?.partitions[0]?.committedOffset).toBe(-1);
  });
});

describe('GroupCoordinator administration', () => {
  test('DescribeGroups shows members with metadata and assignments only while Stable, and Dead for unknown groups', async () => {
    const h = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const members = await formGroup(h, ['a', 'b']);
    const described = h.coordinator.describeGroups({ groups: ['orders', 'unknown'] }).groups;
    expect(described[0]).toMatchObject({ errorCode: 'NONE', groupId: 'orders', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described[0]?.members).toEqual([
      {
        memberId: memberOf(members, 'a').memberId,
        groupInstanceId: null,
        clientId: 'a',
        clientHost: '/127.0.0.1',
        memberMetadata: Buffer.from('subscription-a'),
        memberAssignment: Buffer.from('assignment-a'),
      },
      {
        memberId: memberOf(members, 'b').memberId,
        groupInstanceId: null,
        clientId: 'b',
        clientHost: '/127.0.0.1',
        memberMetadata: Buffer.from('subscription-b'),
        memberAssignment: Buffer.from('assignment-b'),
      },
    ]);
    expect(described[1]).toEqual({ errorCode: 'NONE', kafkaErrorCode: 0, groupId: 'unknown', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
    void h.coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    const rebalancing = h.coordinator.describeGroup('orders');
    expect(rebalancing).toMatchObject({ groupState: 'PreparingRebalance', protocolData: '' });
    expect(rebalancing.members.map((member) => member.memberMetadata.length)).toEqual([0, 0, 0]);
  });

  test('ListGroups lists every group with its state, filtered by state names', async () => {
    const { coordinator } = harness();
    await coordinator.joinGroup(joinRequest({ groupId: 'alpha' }));
    const beta = await coordinator.joinGroup(joinRequest({ groupId: 'beta' }));
    await coordinator.syncGroup(syncRequest(beta, {}, { groupId: 'beta' }));
    await coordinator.commitOffsets(commitRequest(SIMPLE, 1, { groupId: 'gamma' }));
    expect(coordinator.listGroups()).toEqual({
      errorCode: 'NONE',
      kafkaErrorCode: 0,
      groups: [
        { groupId: 'alpha', protocolType: 'consumer', groupState: 'CompletingRebalance', groupType: 'classic' },
        { groupId: 'beta', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' },
        { groupId: 'gamma', protocolType: '', groupState: 'Empty', groupType: 'classic' },
      ],
    });
    expect(coordinator.listGroups({ statesFilter: ['stable', 'Empty'] }).groups.map((group) => group.groupId)).toEqual(['beta', 'gamma']);
  });

  test('DeleteGroups refuses a group with members and deletes an empty group with its offsets', async () => {
    const { coordinator } = harness();
    await coordinator.joinGroup(joinRequest({ groupId: 'busy' }));
    await coordinator.commitOffsets(commitRequest(SIMPLE, 5, { groupId: 'idle' }));
    const response = await coordinator.deleteGroups({ groupsNames: ['busy', 'idle', 'never'] });
    expect(response.results.map((result) => [result.groupId, result.errorCode, result.kafkaErrorCode])).toEqual([
      ['busy', 'NON_EMPTY_GROUP', 68],
      ['idle', 'NONE', 0],
      ['never', 'GROUP_ID_NOT_FOUND', 69],
    ]);
    expect(coordinator.fetchOffsets({ groupId: 'idle', topics: null }).topics).toEqual([]);
    expect(coordinator.describeGroup('idle').groupState).toBe('Dead');
  });

  test('close answers held JoinGroup and SyncGroup requests with COORDINATOR_NOT_AVAILABLE and refuses new ones', async () => {
    const { clock, coordinator } = harness({ 'group.initial.rebalance.delay.ms': INITIAL_DELAY_MS });
    const heldJoin = coordinator.joinGroup(joinRequest({ groupId: 'joining' }));
    const joins = [coordinator.joinGroup(joinRequest({ clientId: 'a' })), coordinator.joinGroup(joinRequest({ clientId: 'b' }))];
    clock.advance(JOIN_TOGETHER_MS);
    const [, follower] = await Promise.all(joins);
    if (follower === undefined) throw new Error('join failed');
    const heldSync = coordinator.syncGroup(syncRequest(follower));
    const lateJoin = coordinator.joinGroup(joinRequest({ groupId: 'joining', clientId: 'late' }));
    coordinator.close();
    expect(await heldSync).toMatchObject({ errorCode: 'COORDINATOR_NOT_AVAILABLE', kafkaErrorCode: 15 });
    expect(await lateJoin).toMatchObject({ errorCode: 'COORDINATOR_NOT_AVAILABLE' });
    expect(await heldJoin).toMatchObject({ errorCode: 'NONE' });
    expect(clock.pendingTimers).toBe(0);
    expect((await coordinator.joinGroup(joinRequest())).errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(coordinator.heartbeat(heartbeatRequest(follower)).errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(commitCodes(await coordinator.commitOffsets(commitRequest(follower, 1)))).toEqual(['COORDINATOR_NOT_AVAILABLE']);
    expect(coordinator.listGroups().errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
  });
});

describe('group coordinator config and error codes', () => {
  test('every group error code has its Kafka number', () => {
    for (const code of GROUP_ERROR_CODES) expect(KAFKA_ERROR_CODES[code]).toBeGreaterThan(0);
    expect(KAFKA_ERROR_CODES.NONE).toBe(0);
  });

  test('settings outside their range are refused with ConfigError naming the key', () => {
    expect(resolveGroupCoordinatorConfig()).toMatchObject({ 'group.initial.rebalance.delay.ms': 3000, 'group.max.size': 1000 });
    expect(() => resolveGroupCoordinatorConfig({ 'group.max.size': 0 })).toThrow(ConfigError);
    expect(() => resolveGroupCoordinatorConfig({ 'group.min.session.timeout.ms': 10_000, 'group.max.session.timeout.ms': 9000 })).toThrow(
      /group\.max\.session\.timeout\.ms/,
    );
    expect(() => resolveGroupCoordinatorConfig({ 'group.initial.rebalance.delay.ms': 1.5 })).toThrow(ConfigError);
  });
});
