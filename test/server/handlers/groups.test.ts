import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../../src/broker/broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import { ConsumerGroups } from '../../../src/groups/consumer-groups.js';
import { API_KEYS, apiEntry } from '../../../src/protocol/api-table.js';
import type { Encodable, MessageName } from '../../../src/protocol/schema/schema-types.js';
import { registerGroupHandlers } from '../../../src/server/handlers/groups.js';
import { HandlerRegistry } from '../../../src/server/handlers/registry.js';
import type { ServerState } from '../../../src/server/request-context.js';
import { resolveServerConfig } from '../../../src/server/server-config.js';
import { handlerCaller, type HandlerCall } from '../../helpers/handler-call.js';

/**
 * The group handlers against a real broker and coordinator, with a manual clock. Every request is
 * encoded and decoded at its version before it reaches the handler (so absent fields carry their
 * schema defaults, as from a socket), and every response is encoded and decoded again at the same
 * version: a field with the wrong nullability or type for that version fails the test.
 */
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const SESSION_TIMEOUT_MS = 30_000;
const PROTOCOL_METADATA = Buffer.from('subscription: orders');

interface Harness {
  readonly clock: ManualClock;
  readonly groups: ConsumerGroups;
  readonly call: HandlerCall;
}

async function setup(): Promise<Harness> {
  const clock = new ManualClock();
  const broker = await Broker.open({ scheduleTasks: false, clock: () => clock.nowMs() });
  await broker.createTopic('orders', { partitions: 2 });
  const groups = await ConsumerGroups.open(broker, { clock, 'offsets.retention.check.interval.ms': 0 });
  cleanups.push(async () => {
    groups.close();
    await broker.close();
  });
  const state: ServerState = {
    broker,
    groups,
    config: resolveServerConfig({ port: 9092 }),
    clock,
    shutdown: { aborted: false, waiters: new Set() },
  };
  const registry = new HandlerRegistry();
  registerGroupHandlers(registry);

  const call = handlerCaller(state, registry, (pending) => settle(clock, pending));


  return { clock, groups, call };
}

/**
 * Let held JoinGroup/SyncGroup requests complete: the initial rebalance delay is 0 ms, but it is
 * still a clock timer, so fire due timers (without moving time) between event-loop turns.
 */
async function settle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  for (let turn = 0; turn < 20 && !done; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(0);
  }
  return tracked;
}

const FIND_COORDINATOR = ['FindCoordinatorRequest', 'FindCoordinatorResponse'] as const;
const JOIN_GROUP = ['JoinGroupRequest', 'JoinGroupResponse'] as const;
const SYNC_GROUP = ['SyncGroupRequest', 'SyncGroupResponse'] as const;
const HEARTBEAT = ['HeartbeatRequest', 'HeartbeatResponse'] as const;
const LEAVE_GROUP = ['LeaveGroupRequest', 'LeaveGroupResponse'] as const;
const OFFSET_COMMIT = ['OffsetCommitRequest', 'OffsetCommitResponse'] as const;
const OFFSET_FETCH = ['OffsetFetchRequest', 'OffsetFetchResponse'] as const;
const DESCRIBE_GROUPS = ['DescribeGroupsRequest', 'DescribeGroupsResponse'] as const;
const LIST_GROUPS = ['ListGroupsRequest', 'ListGroupsResponse'] as const;
const DELETE_GROUPS = ['DeleteGroupsRequest', 'DeleteGroupsResponse'] as const;

function joinBody(groupId: string, memberId: string): Encodable<'JoinGroupRequest'> {
  return {
    groupId,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    rebalanceTimeoutMs: 60_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: PROTOCOL_METADATA }],
  };
}

/** Join as a new member the way a client of that version does (rejoining after 79 on v4+). */
async function joinNew(harness: Harness, version: number, groupId: string, clientId = 'test-client'): Promise<string> {
  const first = await harness.call(API_KEYS.JoinGroup, version, JOIN_GROUP, joinBody(groupId, ''), clientId);
  expect(first.errorCode).toBe(version >= 4 ? 79 : 0);
  return first.memberId;
}

describe('FindCoordinator', () => {
  test('v0 names this broker with the advertised host and port', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.FindCoordinator, 0, FIND_COORDINATOR, { key: 'billing' });
    expect(response).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port: 9092 });
  });

  test('v1 refuses a transactional key type with COORDINATOR_NOT_AVAILABLE', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.FindCoordinator, 1, FIND_COORDINATOR, { key: 'txn-1', keyType: 1 });
    expect(response).toMatchObject({ errorCode: 15, nodeId: -1, throttleTimeMs: 0 });
  });

  test('v4 answers each batched key with the key echoed', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.FindCoordinator, 4, FIND_COORDINATOR, { keyType: 0, coordinatorKeys: ['billing', 'audit'] });
    expect(response.coordinators).toEqual([
      { key: 'billing', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 0, errorMessage: null },
      { key: 'audit', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 0, errorMessage: null },
    ]);
  });

  test('the coordinator once closed is not available', async () => {
    const harness = await setup();
    harness.groups.close();
    const response = await harness.call(API_KEYS.FindCoordinator, 2, FIND_COORDINATOR, { key: 'billing', keyType: 0 });
    expect(response.errorCode).toBe(15);
  });
});

describe('JoinGroup', () => {
  test('v5 with an empty member id gets MEMBER_ID_REQUIRED and an id, then rejoins and leads', async () => {
    const harness = await setup();
    const first = await harness.call(API_KEYS.JoinGroup, 5, JOIN_GROUP, joinBody('billing', ''), 'kafkajs');
    expect(first.errorCode).toBe(79);
    expect(first.memberId).toMatch(/^kafkajs-/);
    expect(first.generationId).toBe(-1);
    expect(first.protocolName).toBe('');
    const second = await harness.call(API_KEYS.JoinGroup, 5, JOIN_GROUP, joinBody('billing', first.memberId), 'kafkajs');
    expect(second).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: first.memberId, memberId: first.memberId });
    expect(second.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: PROTOCOL_METADATA }]);
  });

  test('v2 with an empty member id never gets MEMBER_ID_REQUIRED', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.JoinGroup, 2, JOIN_GROUP, joinBody('billing', ''), 'kafka-python');
    expect(response.errorCode).toBe(0);
    expect(response.memberId).toMatch(/^kafka-python-/);
    expect(response.leader).toBe(response.memberId);
    // v2 has no group instance id: the member is dynamic, whatever the decoder fills in.
    const described = await harness.call(API_KEYS.DescribeGroups, 5, DESCRIBE_GROUPS, { groups: ['billing'] });
    expect(described.groups[0]?.members[0]).toMatchObject({ memberId: response.memberId, groupInstanceId: null });
  });

  test('v0 has no rebalance timeout and still forms a group', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.JoinGroup, 0, JOIN_GROUP, joinBody('billing', ''));
    expect(response).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
  });

  test('a null client id in the header still yields a member id', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.JoinGroup, 1, JOIN_GROUP, joinBody('billing', ''), null);
    expect(response.errorCode).toBe(0);
    expect(response.memberId).toMatch(/^-/);
  });

  test('a session timeout out of range is INVALID_SESSION_TIMEOUT, not a failure', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.JoinGroup, 6, JOIN_GROUP, { ...joinBody('billing', ''), sessionTimeoutMs: 10 });
    expect(response.errorCode).toBe(26);
  });

  test('an unknown member id on an unknown group is UNKNOWN_MEMBER_ID', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.JoinGroup, 6, JOIN_GROUP, joinBody('billing', 'ghost'));
    expect(response).toMatchObject({ errorCode: 25, memberId: 'ghost', generationId: -1, protocolName: '', leader: '' });
  });
});

/** The versions each client sends (kafka-protocol.md §3, §4.1). */
const CLIENTS = [
  { client: 'kafka-python 2.0.2', join: 2, sync: 1, heartbeat: 1, commit: 2, fetch: 1, leave: 1 },
  { client: 'KafkaJS 2.2.4', join: 5, sync: 3, heartbeat: 3, commit: 5, fetch: 4, leave: 3 },
  { client: 'librdkafka 2.0.2', join: 5, sync: 3, heartbeat: 3, commit: 7, fetch: 7, leave: 1 },
  { client: '@platformatic/kafka 1.35.0', join: 6, sync: 4, heartbeat: 4, commit: 8, fetch: 8, leave: 4 },
  { client: 'the oldest versions', join: 0, sync: 0, heartbeat: 0, commit: 1, fetch: 0, leave: 0 },
] as const;

describe('a group of two through the wire handlers', () => {
  test.each(CLIENTS)('$client: join, sync, heartbeat, commit, fetch and leave', async (versions) => {
    const harness = await setup();
    const { call } = harness;
    const groupId = 'billing';

    // The first member forms generation 1 alone (the initial rebalance delay is 0 here).
    const firstId = versions.join >= 4 ? await joinNew(harness, versions.join, groupId) : '';
    const first = await call(API_KEYS.JoinGroup, versions.join, JOIN_GROUP, joinBody(groupId, firstId));
    expect(first).toMatchObject({ errorCode: 0, generationId: 1 });
    expect(first.leader).toBe(first.memberId);
    // A second member starts a rebalance and is held until the first rejoins, which the first
    // does when its heartbeat answers REBALANCE_IN_PROGRESS.
    const secondId = versions.join >= 4 ? await joinNew(harness, versions.join, groupId) : '';
    const secondJoin = call(API_KEYS.JoinGroup, versions.join, JOIN_GROUP, joinBody(groupId, secondId));
    const rebalancing = await call(API_KEYS.Heartbeat, versions.heartbeat, HEARTBEAT, { groupId, generationId: 1, memberId: first.memberId });
    expect(rebalancing.errorCode).toBe(27);
    const [joinA, joinB] = await Promise.all([call(API_KEYS.JoinGroup, versions.join, JOIN_GROUP, joinBody(groupId, first.memberId)), secondJoin]);
    expect([joinA.errorCode, joinB.errorCode]).toEqual([0, 0]);
    expect([joinA.generationId, joinB.generationId]).toEqual([2, 2]);
    const [leader, follower] = joinA.leader === joinA.memberId ? [joinA, joinB] : [joinB, joinA];
    expect(leader.members.map((member) => member.memberId).sort()).toEqual([joinA.memberId, joinB.memberId].sort());
    expect(follower.members).toEqual([]);
    const generationId = leader.generationId;

    // Sync: the follower's request is held until the leader's assignments arrive.
    const syncOf = (memberId: string, assignments: NonNullable<Encodable<'SyncGroupRequest'>['assignments']>) =>
      call(API_KEYS.SyncGroup, versions.sync, SYNC_GROUP, { groupId, generationId, memberId, groupInstanceId: null, assignments });
    const [followerSync, leaderSync] = await Promise.all([
      syncOf(follower.memberId, []),
      syncOf(leader.memberId, [
        { memberId: leader.memberId, assignment: Buffer.from('orders-0') },
        { memberId: follower.memberId, assignment: Buffer.from('orders-1') },
      ]),
    ]);
    expect(leaderSync).toMatchObject({ errorCode: 0, assignment: Buffer.from('orders-0') });
    expect(followerSync).toMatchObject({ errorCode: 0, assignment: Buffer.from('orders-1') });

    // Heartbeat: both are current; a stale generation is refused.
    for (const memberId of [leader.memberId, follower.memberId]) {
      const beat = await call(API_KEYS.Heartbeat, versions.heartbeat, HEARTBEAT, { groupId, generationId, memberId, groupInstanceId: null });
      expect(beat.errorCode).toBe(0);
    }
    const stale = await call(API_KEYS.Heartbeat, versions.heartbeat, HEARTBEAT, { groupId, generationId: generationId - 1, memberId: leader.memberId });
    expect(stale.errorCode).toBe(22);

    // Commit with the member's generation, then read the offsets back.
    const committed = await call(API_KEYS.OffsetCommit, versions.commit, OFFSET_COMMIT, {
      groupId,
      generationIdOrMemberEpoch: generationId,
      memberId: leader.memberId,
      groupInstanceId: null,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: 'meta-0' },
            { partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: 3, committedMetadata: null },
            { partitionIndex: 9, committedOffset: 1, committedLeaderEpoch: 3, committedMetadata: null },
          ],
        },
      ],
    });
    expect(committed.topics).toEqual([
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 0 },
          { partitionIndex: 9, errorCode: 3 },
        ],
      },
    ]);
    const epoch = versions.commit >= 6 && versions.fetch >= 5 ? 3 : -1;
    const expectedTopics = [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: epoch, metadata: 'meta-0', errorCode: 0 },
          { partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: epoch, metadata: '', errorCode: 0 },
        ],
      },
      { name: 'refunds', partitions: [{ partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] },
    ];
    const wanted = [
      { name: 'orders', partitionIndexes: [0, 1] },
      { name: 'refunds', partitionIndexes: [0] },
    ];
    if (versions.fetch >= 8) {
      const fetched = await call(API_KEYS.OffsetFetch, versions.fetch, OFFSET_FETCH, {
        groups: [
          { groupId, topics: wanted },
          { groupId: 'nobody', topics: [{ name: 'orders', partitionIndexes: [0] }] },
        ],
      });
      expect(fetched.groups).toEqual([
        { groupId, topics: expectedTopics, errorCode: 0 },
        {
          groupId: 'nobody',
          topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }],
          errorCode: 0,
        },
      ]);
    } else {
      const fetched = await call(API_KEYS.OffsetFetch, versions.fetch, OFFSET_FETCH, { groupId, topics: wanted });
      expect(fetched.topics).toEqual(expectedTopics);
      expect(fetched.errorCode).toBe(0);
    }

    // Leave: one member per request before v3, a batch from v3.
    if (versions.leave >= 3) {
      const left = await call(API_KEYS.LeaveGroup, versions.leave, LEAVE_GROUP, {
        groupId,
        members: [
          { memberId: leader.memberId, groupInstanceId: null },
          { memberId: follower.memberId, groupInstanceId: null },
          { memberId: 'ghost', groupInstanceId: null },
        ],
      });
      expect(left.errorCode).toBe(0);
      expect(left.members).toEqual([
        { memberId: leader.memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: follower.memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: 'ghost', groupInstanceId: null, errorCode: 25 },
      ]);
    } else {
      for (const memberId of [leader.memberId, follower.memberId]) {
        const left = await call(API_KEYS.LeaveGroup, versions.leave, LEAVE_GROUP, { groupId, memberId });
        expect(left.errorCode).toBe(0);
      }
      const ghost = await call(API_KEYS.LeaveGroup, versions.leave, LEAVE_GROUP, { groupId, memberId: 'ghost' });
      expect(ghost.errorCode).toBe(25);
    }
    expect(harness.groups.coordinator.describeGroup(groupId).groupState).toBe('Empty');
  });
});

describe('OffsetCommit and OffsetFetch', () => {
  test('OffsetFetch v1 for an unknown group answers -1 offsets and empty metadata', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.OffsetFetch, 1, OFFSET_FETCH, { groupId: 'nobody', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] });
    expect(response.topics).toEqual([
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);
  });

  test('OffsetCommit v0 is a standalone commit, and OffsetFetch v2 with null topics returns it', async () => {
    const harness = await setup();
    const committed = await harness.call(API_KEYS.OffsetCommit, 0, OFFSET_COMMIT, {
      groupId: 'standalone',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 11, committedMetadata: 'm' }] }],
    });
    expect(committed.topics).toEqual([{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
    const fetched = await harness.call(API_KEYS.OffsetFetch, 2, OFFSET_FETCH, { groupId: 'standalone', topics: null });
    expect(fetched.errorCode).toBe(0);
    expect(fetched.topics).toEqual([
      { name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 11, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 }] },
    ]);
  });

  test('OffsetFetch v8 with null topics returns every committed partition of each group', async () => {
    const harness = await setup();
    await harness.call(API_KEYS.OffsetCommit, 8, OFFSET_COMMIT, {
      groupId: 'standalone',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: 2, committedMetadata: null }] }],
    });
    const fetched = await harness.call(API_KEYS.OffsetFetch, 8, OFFSET_FETCH, { groups: [{ groupId: 'standalone', topics: null }] });
    expect(fetched.groups).toEqual([
      {
        groupId: 'standalone',
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: 2, metadata: '', errorCode: 0 }] }],
        errorCode: 0,
      },
    ]);
  });

  test('a commit with a generation for a group that does not exist is ILLEGAL_GENERATION per partition', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.OffsetCommit, 2, OFFSET_COMMIT, {
      groupId: 'billing',
      generationIdOrMemberEpoch: 4,
      memberId: 'ghost',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }],
    });
    expect(response.topics[0]?.partitions).toEqual([{ partitionIndex: 0, errorCode: 22 }]);
  });

  test('OffsetFetch on a closed coordinator reports the error at the top (v2+) and per partition (v0-1)', async () => {
    const harness = await setup();
    harness.groups.close();
    const v1 = await harness.call(API_KEYS.OffsetFetch, 1, OFFSET_FETCH, { groupId: 'billing', topics: [{ name: 'orders', partitionIndexes: [0] }] });
    expect(v1.topics[0]?.partitions[0]?.errorCode).toBe(15);
    const v4 = await harness.call(API_KEYS.OffsetFetch, 4, OFFSET_FETCH, { groupId: 'billing', topics: null });
    expect(v4.errorCode).toBe(15);
  });
});

describe('DescribeGroups, ListGroups and DeleteGroups', () => {
  async function stableGroup(harness: Harness, groupId: string): Promise<string> {
    const memberId = await joinNew(harness, 6, groupId, 'platformatic');
    const joined = await harness.call(API_KEYS.JoinGroup, 6, JOIN_GROUP, joinBody(groupId, memberId), 'platformatic');
    const synced = await harness.call(API_KEYS.SyncGroup, 4, SYNC_GROUP, {
      groupId,
      generationId: joined.generationId,
      memberId,
      assignments: [{ memberId, assignment: Buffer.from('all of orders') }],
    });
    expect(synced.errorCode).toBe(0);
    return memberId;
  }

  test('DescribeGroups shows a Stable group with its member and an unknown group as Dead', async () => {
    const harness = await setup();
    const memberId = await stableGroup(harness, 'billing');
    for (const version of [0, 2, 4, 5]) {
      const response = await harness.call(API_KEYS.DescribeGroups, version, DESCRIBE_GROUPS, { groups: ['billing', 'nobody'], includeAuthorizedOperations: true });
      const [billing, nobody] = response.groups;
      expect(billing).toMatchObject({ errorCode: 0, groupId: 'billing', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect(billing?.members).toHaveLength(1);
      expect(billing?.members[0]).toMatchObject({
        memberId,
        clientId: 'platformatic',
        clientHost: '/127.0.0.1',
        memberMetadata: PROTOCOL_METADATA,
        memberAssignment: Buffer.from('all of orders'),
      });
      if (version >= 4) expect(billing?.members[0]?.groupInstanceId).toBeNull();
      expect(nobody).toMatchObject({ errorCode: 0, groupId: 'nobody', groupState: 'Dead', members: [] });
    }
  });

  test('ListGroups lists every group, and v4 filters by state', async () => {
    const harness = await setup();
    await stableGroup(harness, 'billing');
    await harness.call(API_KEYS.OffsetCommit, 2, OFFSET_COMMIT, {
      groupId: 'archive',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: null }] }],
    });
    const all = await harness.call(API_KEYS.ListGroups, 2, LIST_GROUPS, {});
    expect(all.errorCode).toBe(0);
    expect(all.groups.map((group) => group.groupId).sort()).toEqual(['archive', 'billing']);
    expect(all.groups.find((group) => group.groupId === 'billing')?.protocolType).toBe('consumer');
    const stable = await harness.call(API_KEYS.ListGroups, 4, LIST_GROUPS, { statesFilter: ['Stable'] });
    expect(stable.groups).toEqual([{ groupId: 'billing', protocolType: 'consumer', groupState: 'Stable', groupType: '' }]);
    const empty = await harness.call(API_KEYS.ListGroups, 4, LIST_GROUPS, { statesFilter: ['empty'] });
    expect(empty.groups.map((group) => group.groupId)).toEqual(['archive']);
  });

  test('DeleteGroups deletes an empty group, refuses one with members and reports an unknown one', async () => {
    const harness = await setup();
    await stableGroup(harness, 'billing');
    await harness.call(API_KEYS.OffsetCommit, 2, OFFSET_COMMIT, {
      groupId: 'archive',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: null }] }],
    });
    for (const version of [0, 1, 2]) {
      const groupsNames = version === 0 ? ['billing', 'archive', 'nobody'] : ['billing', 'nobody'];
      const response = await harness.call(API_KEYS.DeleteGroups, version, DELETE_GROUPS, { groupsNames });
      expect(response.throttleTimeMs).toBe(0);
      const expected = version === 0 ? [68, 0, 69] : [68, 69];
      expect(response.results).toEqual(groupsNames.map((groupId, index) => ({ groupId, errorCode: expected[index] })));
    }
    const fetched = await harness.call(API_KEYS.OffsetFetch, 1, OFFSET_FETCH, { groupId: 'archive', topics: [{ name: 'orders', partitionIndexes: [0] }] });
    expect(fetched.topics[0]?.partitions[0]?.committedOffset).toBe(-1);
  });
});

describe('every advertised version', () => {
  /** A request for a group nobody joined: answered at once by every API, at every version. */
  const BODIES = [
    { apiKey: API_KEYS.FindCoordinator, names: FIND_COORDINATOR, body: { key: 'g', keyType: 0, coordinatorKeys: ['g'] } },
    { apiKey: API_KEYS.JoinGroup, names: JOIN_GROUP, body: joinBody('g', 'ghost') },
    { apiKey: API_KEYS.SyncGroup, names: SYNC_GROUP, body: { groupId: 'g', generationId: 1, memberId: 'ghost', assignments: [] } },
    { apiKey: API_KEYS.Heartbeat, names: HEARTBEAT, body: { groupId: 'g', generationId: 1, memberId: 'ghost' } },
    { apiKey: API_KEYS.LeaveGroup, names: LEAVE_GROUP, body: { groupId: 'g', memberId: 'ghost', members: [{ memberId: 'ghost', groupInstanceId: null }] } },
    {
      apiKey: API_KEYS.OffsetCommit,
      names: OFFSET_COMMIT,
      body: { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] },
    },
    {
      apiKey: API_KEYS.OffsetFetch,
      names: OFFSET_FETCH,
      body: { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0] }], groups: [{ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0] }] }] },
    },
    { apiKey: API_KEYS.DescribeGroups, names: DESCRIBE_GROUPS, body: { groups: ['g'] } },
    { apiKey: API_KEYS.ListGroups, names: LIST_GROUPS, body: {} },
    { apiKey: API_KEYS.DeleteGroups, names: DELETE_GROUPS, body: { groupsNames: ['g'] } },
  ] as const;

  test.each(BODIES)('API key $apiKey answers and round-trips at every version it advertises', async ({ apiKey, names, body }) => {
    const harness = await setup();
    const entry = apiEntry(apiKey);
    if (entry === undefined) throw new Error(`API key ${apiKey} is not advertised`);
    for (let version = entry.minVersion; version <= entry.maxVersion; version++) {
      const call = harness.call as (apiKey: number, version: number, names: readonly [MessageName, MessageName], body: object) => Promise<object>;
      const response = await call(apiKey, version, names, body);
      expect(response).toBeTypeOf('object');
    }
  });
});
