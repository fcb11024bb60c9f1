/**
 * The range and round-robin assignors, checked against hand-worked examples from Kafka's
 * RangeAssignor / RoundRobinAssignor javadoc, against KafkaJS 2.2.4's RoundRobinAssigner where
 * the two algorithms coincide, and by properties over random groups.
 *
 * KafkaJS's RoundRobinAssigner (consumer/assigners/roundRobinAssigner) differs from Kafka's
 * RoundRobinAssignor, so it is an oracle only where they agree:
 * - It deals the partitions of the topics the *leader* subscribes to over *all* members,
 *   ignoring each member's own subscription; Kafka passes over members not subscribed to the
 *   partition's topic. They agree when every member subscribes to the same topics.
 * - It takes topics in the order given and partitions in metadata order; Kafka sorts both. They
 *   agree when the topics are given sorted and metadata lists partitions in ascending order.
 * - It sorts members by member id only; Kafka puts static members (group.instance.id) first,
 *   ordered by instance id. They agree when no member is static.
 * - It leaves members with no partitions out of its result (the coordinator then hands them
 *   empty bytes); Kafka, and Brook, give them an empty assignment.
 * - Its protocol name is 'RoundRobinAssigner', Kafka's is 'roundrobin', so KafkaJS and Java
 *   consumers cannot share a group with these assignors anyway.
 * - Its assignment bytes carry an empty (length 0) userData; Java's carry null (length -1).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
import {
  ASSIGNOR_NAMES,
  assignorFor,
  rangeAssignor,
  roundRobinAssignor,
} from '../../src/groups/assignors.js';
import { decodeAssignment, encodeAssignment } from '../../src/groups/consumer-protocol.js';
import {
  assignmentViolation,
  countOf,
  member,
  partitionMap,
  randomGroup,
  readable,
} from './assignor-helpers.js';

interface KafkaJsCluster {
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
}

interface KafkaJsAssigner {
  assign(input: {
    members: { memberId: string; memberMetadata?: Buffer }[];
    topics: string[];
  }): Promise<{ memberId: string; memberAssignment: Buffer }[]>;
}

const require = createRequire(import.meta.url);
const createKafkaJsRoundRobin = require('kafkajs/src/consumer/assigners/roundRobinAssigner') as (
  options: { cluster: KafkaJsCluster },
) => KafkaJsAssigner;

const RUNS = { seed: 0x5eed_a551, numRuns: 300 } as const;

const twoByTwo = {
  members: [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])],
  partitions: partitionMap({ t0: 3, t1: 3 }),
};

describe('range assignor', () => {
  test("Kafka's javadoc example: C0 gets t0p0, t0p1, t1p0, t1p1 and C1 gets t0p2, t1p2", () => {
    const assignment = rangeAssignor.assign(twoByTwo.members, twoByTwo.partitions);
    expect(readable(assignment)).toEqual({
      C0: ['t0p0', 't0p1', 't1p0', 't1p1'],
      C1: ['t0p2', 't1p2'],
    });
  });

  test('a group of four on three partitions leaves the last member idle', () => {
    const members = ['m0', 'm1', 'm2', 'm3'].map((id) => member(id, ['t']));
    const assignment = rangeAssignor.assign(members, partitionMap({ t: 3 }));
    expect(readable(assignment)).toEqual({ m0: ['tp0'], m1: ['tp1'], m2: ['tp2'], m3: [] });
  });

  test('a group of two on three partitions splits them two and one', () => {
    const members = [member('b', ['t']), member('a', ['t'])];
    expect(readable(rangeAssignor.assign(members, partitionMap({ t: 3 })))).toEqual({
      b: ['tp2'],
      a: ['tp0', 'tp1'],
    });
  });

  test('each topic is split only among the members subscribed to it', () => {
    const members = [member('C0', ['t0', 't1']), member('C1', ['t1']), member('C2', ['t1', 't2'])];
    const assignment = rangeAssignor.assign(members, partitionMap({ t0: 2, t1: 5, t2: 1 }));
    expect(readable(assignment)).toEqual({
      C0: ['t0p0', 't0p1', 't1p0', 't1p1'],
      C1: ['t1p2', 't1p3'],
      C2: ['t1p4', 't2p0'],
    });
  });

  test('static members come first, ordered by instance id, before dynamic members', () => {
    const members = [
      member('a-dynamic', ['t']),
      member('z-static', ['t'], { groupInstanceId: 'i2' }),
      member('y-static', ['t'], { groupInstanceId: 'i1' }),
    ];
    expect(readable(rangeAssignor.assign(members, partitionMap({ t: 4 })))).toEqual({
      'a-dynamic': ['tp3'],
      'z-static': ['tp2'],
      'y-static': ['tp0', 'tp1'],
    });
  });

  test('a subscribed topic missing from metadata is skipped and members still get entries', () => {
    const members = [member('C0', ['gone', 'empty'])];
    const assignment = rangeAssignor.assign(members, partitionMap({ empty: 0 }));
    expect(assignment).toEqual(new Map([['C0', []]]));
  });

  test('no members means an empty assignment', () => {
    expect(rangeAssignor.assign([], partitionMap({ t: 3 }))).toEqual(new Map());
  });

  test('a duplicate member id is a programmer error', () => {
    const members = [member('C0', ['t']), member('C0', ['t'])];
    expect(() => rangeAssignor.assign(members, partitionMap({ t: 1 }))).toThrow(AssertionError);
  });

  test('every subscribed partition is assigned once, to a subscriber, within one per topic', () => {
    fc.assert(
      fc.property(randomGroup(false), (group) => {
        const assignment = rangeAssignor.assign(group.members, group.partitionsPerTopic);
        expect(assignmentViolation(group, assignment)).toBeNull();
        for (const topic of group.partitionsPerTopic.keys()) {
          const counts = group.members
            .filter((current) => current.subscription.topics.includes(topic))
            .map((current) => {
              const entry = assignment.get(current.memberId)!.find((item) => item.topic === topic);
              return entry?.partitions.length ?? 0;
            });
          if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
      RUNS,
    );
  });
});

describe('round-robin assignor', () => {
  test("Kafka's javadoc example: C0 gets t0p0, t0p2, t1p1 and C1 gets t0p1, t1p0, t1p2", () => {
    const assignment = roundRobinAssignor.assign(twoByTwo.members, twoByTwo.partitions);
    expect(readable(assignment)).toEqual({
      C0: ['t0p0', 't0p2', 't1p1'],
      C1: ['t0p1', 't1p0', 't1p2'],
    });
  });

  test("Kafka's javadoc example with unequal subscriptions passes over unsubscribed members", () => {
    const members = [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])];
    const assignment = roundRobinAssignor.assign(members, partitionMap({ t0: 1, t1: 2, t2: 3 }));
    expect(readable(assignment)).toEqual({
      C0: ['t0p0'],
      C1: ['t1p0'],
      C2: ['t1p1', 't2p0', 't2p1', 't2p2'],
    });
  });

  test('a group of four on three partitions leaves one member idle', () => {
    const members = ['m3', 'm1', 'm0', 'm2'].map((id) => member(id, ['t']));
    const assignment = roundRobinAssignor.assign(members, partitionMap({ t: 3 }));
    expect(readable(assignment)).toEqual({ m3: [], m1: ['tp1'], m0: ['tp0'], m2: ['tp2'] });
  });

  test('the circle continues across topics instead of restarting at the first member', () => {
    const members = [member('a', ['x', 'y']), member('b', ['x', 'y'])];
    const assignment = roundRobinAssignor.assign(members, partitionMap({ y: 2, x: 1 }));
    expect(readable(assignment)).toEqual({ a: ['xp0', 'yp1'], b: ['yp0'] });
  });

  test('static members come first in the circle', () => {
    const members = [member('a', ['t']), member('b', ['t'], { groupInstanceId: 'static' })];
    expect(readable(roundRobinAssignor.assign(members, partitionMap({ t: 3 })))).toEqual({
      a: ['tp1'],
      b: ['tp0', 'tp2'],
    });
  });

  test('every subscribed partition is assigned once and only to a subscriber', () => {
    fc.assert(
      fc.property(randomGroup(false), (group) => {
        const assignment = roundRobinAssignor.assign(group.members, group.partitionsPerTopic);
        expect(assignmentViolation(group, assignment)).toBeNull();
      }),
      RUNS,
    );
  });

  test('with identical subscriptions, member counts differ by at most one overall', () => {
    fc.assert(
      fc.property(randomGroup(true), (group) => {
        const assignment = roundRobinAssignor.assign(group.members, group.partitionsPerTopic);
        expect(assignmentViolation(group, assignment)).toBeNull();
        const counts = group.members.map((current) => countOf(assignment.get(current.memberId)));
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });
});

describe('round-robin assignor against KafkaJS RoundRobinAssigner', () => {
  const sharedGroup = fc.record({
    memberIds: fc.uniqueArray(fc.stringMatching(/^[a-zA-Z0-9-]{1,12}$/), { minLength: 1, maxLength: 7 }),
    topics: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/), { minLength: 1, maxLength: 4 }),
    counts: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 4, maxLength: 4 }),
  });

  function kafkaJsCluster(partitionsPerTopic: ReadonlyMap<string, number>): KafkaJsCluster {
    return {
      findTopicPartitionMetadata: (topic) =>
        Array.from({ length: partitionsPerTopic.get(topic) ?? 0 }, (_, partitionId) => ({ partitionId })),
    };
  }

  test('with identical subscriptions and no static members, both assign alike, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(sharedGroup, async ({ memberIds, topics, counts }) => {
        const sortedTopics = [...topics].sort();
        const partitionsPerTopic = new Map(sortedTopics.map((topic, index) => [topic, counts[index]!]));
        const members = memberIds.map((memberId) => member(memberId, topics));
        const ours = roundRobinAssignor.assign(members, partitionsPerTopic);

        const assigner = createKafkaJsRoundRobin({ cluster: kafkaJsCluster(partitionsPerTopic) });
        const theirs = await assigner.assign({
          members: memberIds.map((memberId) => ({ memberId })),
          topics: sortedTopics,
        });
        const theirsById = new Map(theirs.map((entry) => [entry.memberId, entry.memberAssignment]));
        for (const memberId of memberIds) {
          const assigned = ours.get(memberId)!;
          const bytes = theirsById.get(memberId);
          if (bytes === undefined) {
            expect(assigned).toEqual([]); // KafkaJS omits idle members.
            continue;
          }
          expect(decodeAssignment(bytes).assignedPartitions).toEqual(assigned);
          const ourBytes = encodeAssignment({
            version: 0,
            assignedPartitions: assigned,
            userData: Buffer.alloc(0),
          });
          expect(ourBytes).toEqual(bytes);
        }
      }),
      { seed: 0x0ca1_ab1e, numRuns: 200 },
    );
  });

  test('with unequal subscriptions KafkaJS ignores them and Brook follows Kafka', async () => {
    const members = [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])];
    const partitionsPerTopic = partitionMap({ t0: 1, t1: 2, t2: 3 });
    const assigner = createKafkaJsRoundRobin({ cluster: kafkaJsCluster(partitionsPerTopic) });
    const theirs = await assigner.assign({
      members: members.map(({ memberId }) => ({ memberId })),
      topics: ['t0', 't1', 't2'],
    });
    const theirsReadable = Object.fromEntries(
      theirs.map(({ memberId, memberAssignment }) => [
        memberId,
        decodeAssignment(memberAssignment).assignedPartitions.flatMap(({ topic, partitions }) =>
          partitions.map((partition) => `${topic}p${partition}`),
        ),
      ]),
    );
    // KafkaJS gives C0 partitions of t1 and t2, to which C0 did not subscribe.
    expect(theirsReadable).toEqual({
      C0: ['t0p0', 't2p0'],
      C1: ['t1p0', 't2p1'],
      C2: ['t1p1', 't2p2'],
    });
    expect(readable(roundRobinAssignor.assign(members, partitionsPerTopic))['C0']).toEqual(['t0p0']);
  });
});

describe('assignor registry', () => {
  test("names are Kafka's protocol names", () => {
    expect(ASSIGNOR_NAMES).toEqual(['range', 'roundrobin', 'sticky', 'cooperative-sticky']);
    for (const name of ASSIGNOR_NAMES) expect(assignorFor(name)?.name).toBe(name);
  });

  test('an unknown protocol name has no assignor', () => {
    expect(assignorFor('RoundRobinAssigner')).toBeUndefined();
  });
});
