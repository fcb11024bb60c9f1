/**
 * The sticky assignors. Exact expectations come from Kafka's StickyAssignor javadoc examples,
 * worked by hand through the algorithm; everything else is checked as properties that Kafka's own
 * AbstractStickyAssignorTest checks: validity, balance (verifyValidityAndBalance), stickiness,
 * and for cooperative-sticky that no partition is handed over before its owner revoked it.
 *
 * No KafkaJS oracle here: KafkaJS ships no sticky assignor.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AssignorMember, GroupAssignment } from '../../src/groups/assignor-model.js';
import type { TopicPartitions } from '../../src/groups/consumer-protocol.js';
import {
  cooperativeStickyAssignor,
  decodeStickyAssignorUserData,
  encodeStickyAssignorUserData,
  stickyAssign,
  stickyAssignor,
} from '../../src/groups/sticky-assignor.js';
import {
  assignmentViolation,
  countOf,
  member,
  partitionMap,
  randomGroup,
  readable,
  stickyBalanceViolation,
  type RandomGroup,
} from './assignor-helpers.js';

const RUNS = { seed: 0x571c_4e11, numRuns: 300 } as const;

/** Members as cooperative-sticky sees them after a generation: owning their last assignment. */
function owning(
  members: readonly AssignorMember[],
  previous: GroupAssignment,
  generationId: number,
): AssignorMember[] {
  return members.map((current) => ({
    ...current,
    subscription: {
      ...current.subscription,
      ownedPartitions: previous.get(current.memberId) ?? [],
      generationId,
    },
  }));
}

function keys(entries: readonly TopicPartitions[] | undefined): Set<string> {
  return new Set((entries ?? []).flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}p${p}`)));
}

const fourTopics = partitionMap({ t0: 2, t1: 2, t2: 2, t3: 2 });
const allFour = ['t0', 't1', 't2', 't3'];

describe('sticky assignors, javadoc examples', () => {
  test('example 1: three members on four topics of two partitions start as Kafka documents', () => {
    const members = ['C0', 'C1', 'C2'].map((id) => member(id, allFour));
    const expected = {
      C0: ['t0p0', 't1p1', 't3p0'],
      C1: ['t0p1', 't2p0', 't3p1'],
      C2: ['t1p0', 't2p1'],
    };
    expect(readable(stickyAssignor.assign(members, fourTopics))).toEqual(expected);
    expect(readable(cooperativeStickyAssignor.assign(members, fourTopics))).toEqual(expected);
  });

  test('example 1: when C1 leaves, C0 and C2 keep what they had and split the rest 4 and 4', () => {
    const members = ['C0', 'C1', 'C2'].map((id) => member(id, allFour));
    const first = cooperativeStickyAssignor.assign(members, fourTopics);
    const remaining = owning(members, first, 1).filter(({ memberId }) => memberId !== 'C1');
    const result = stickyAssign(remaining, fourTopics, 'cooperative');
    expect(result.algorithm).toBe('constrained');
    expect(result.transferring.size).toBe(0);
    const second = readable(result.assignment);
    expect(second['C0']).toHaveLength(4);
    expect(second['C2']).toHaveLength(4);
    expect(second['C0']).toEqual(expect.arrayContaining(['t0p0', 't1p1', 't3p0']));
    expect(second['C2']).toEqual(expect.arrayContaining(['t1p0', 't2p1']));
  });

  test('example 2: unequal subscriptions are assigned and then rebalanced as Kafka documents', () => {
    const partitions = partitionMap({ t0: 1, t1: 2, t2: 3 });
    const members = [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])];
    const first = stickyAssign(members, partitions, 'cooperative');
    expect(first.algorithm).toBe('general');
    expect(readable(first.assignment)).toEqual({
      C0: ['t0p0'],
      C1: ['t1p0', 't1p1'],
      C2: ['t2p0', 't2p1', 't2p2'],
    });
    const withoutC0 = owning(members, first.assignment, 1).filter(({ memberId }) => memberId !== 'C0');
    expect(readable(cooperativeStickyAssignor.assign(withoutC0, partitions))).toEqual({
      C1: ['t0p0', 't1p0', 't1p1'],
      C2: ['t2p0', 't2p1', 't2p2'],
    });
  });
});

describe('cooperative-sticky two-phase rebalance', () => {
  const partitions = partitionMap({ t: 6 });
  const owners = [
    member('A', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0, 1, 2] }], generationId: 3 }),
    member('B', ['t'], { ownedPartitions: [{ topic: 't', partitions: [3, 4, 5] }], generationId: 3 }),
  ];

  test('a joining member gets nothing until the owners have revoked what moves to it', () => {
    const members = [...owners, member('C', ['t'])];
    const first = stickyAssign(members, partitions, 'cooperative');
    expect(readable(first.balancedAssignment)).toEqual({ A: ['tp0', 'tp1'], B: ['tp3', 'tp4'], C: ['tp2', 'tp5'] });
    expect(readable(first.assignment)).toEqual({ A: ['tp0', 'tp1'], B: ['tp3', 'tp4'], C: [] });
    expect([...first.transferring.values()]).toEqual([
      { topic: 't', partition: 2, memberId: 'C' },
      { topic: 't', partition: 5, memberId: 'C' },
    ]);

    // The owners revoke tp2 and tp5 and rejoin; the follow-up rebalance hands them over.
    const second = stickyAssign(owning(members, first.assignment, 4), partitions, 'cooperative');
    expect(second.transferring.size).toBe(0);
    expect(readable(second.assignment)).toEqual({ A: ['tp0', 'tp1'], B: ['tp3', 'tp4'], C: ['tp2', 'tp5'] });
  });

  test('the eager sticky assignor moves the partitions at once', () => {
    const eager = owners.map((current) => ({
      ...current,
      subscription: {
        topics: current.subscription.topics,
        userData: encodeStickyAssignorUserData(current.subscription.ownedPartitions ?? [], 3),
      },
    }));
    const assignment = stickyAssignor.assign([...eager, member('C', ['t'])], partitions);
    expect(readable(assignment)).toEqual({ A: ['tp0', 'tp1'], B: ['tp3', 'tp4'], C: ['tp2', 'tp5'] });
  });

  test('the eager sticky assignor ignores ownedPartitions, as the eager protocol sends none', () => {
    const assignment = stickyAssignor.assign([member('C', ['t']), ...owners], partitions);
    expect(readable(assignment)).toEqual({ A: ['tp0', 'tp3'], B: ['tp1', 'tp4'], C: ['tp2', 'tp5'] });
  });

  test('of two members claiming a partition, the higher generation keeps it', () => {
    const members = [
      member('A', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0] }], generationId: 5 }),
      member('B', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0, 1] }], generationId: 4 }),
    ];
    const result = stickyAssign(members, partitionMap({ t: 2 }), 'cooperative');
    expect(readable(result.assignment)).toEqual({ A: ['tp0'], B: ['tp1'] });
    expect(result.transferring.size).toBe(0);
  });

  test('a partition claimed twice in one generation is withheld from whoever gets it', () => {
    const members = [
      member('A', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0] }], generationId: 5 }),
      member('B', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0, 1] }], generationId: 5 }),
    ];
    const result = stickyAssign(members, partitionMap({ t: 2 }), 'cooperative');
    expect(readable(result.balancedAssignment)).toEqual({ A: ['tp0'], B: ['tp1'] });
    expect(readable(result.assignment)).toEqual({ A: [], B: ['tp1'] });
  });

  test('the generation can come from a 4-byte cooperative-sticky userData', () => {
    const generation = (value: number): Buffer => {
      const bytes = Buffer.alloc(4);
      bytes.writeInt32BE(value);
      return bytes;
    };
    const members = [
      member('A', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0] }], userData: generation(2) }),
      member('B', ['t'], { ownedPartitions: [{ topic: 't', partitions: [0] }], userData: generation(7) }),
    ];
    expect(readable(cooperativeStickyAssignor.assign(members, partitionMap({ t: 2 })))).toEqual({
      A: ['tp1'],
      B: ['tp0'],
    });
  });

  test('owned partitions of vanished topics or beyond the partition count are ignored', () => {
    const members = [
      member('A', ['t'], {
        ownedPartitions: [
          { topic: 'gone', partitions: [0] },
          { topic: 't', partitions: [7, 1] },
        ],
        generationId: 1,
      }),
    ];
    expect(readable(cooperativeStickyAssignor.assign(members, partitionMap({ t: 2 })))).toEqual({
      A: ['tp0', 'tp1'],
    });
  });
});

describe('sticky assignor user data', () => {
  test('version 1 user data is the previous assignment then the generation, with no prefix', () => {
    const bytes = encodeStickyAssignorUserData([{ topic: 't', partitions: [1] }], 9);
    expect(bytes).toEqual(Buffer.from('00000001' + '000174' + '00000001' + '00000001' + '00000009', 'hex'));
    expect(decodeStickyAssignorUserData(bytes)).toEqual({
      partitions: [{ topic: 't', partitions: [1] }],
      generation: 9,
    });
  });

  test('version 0 user data has no generation, and unreadable user data is ignored', () => {
    const version0 = Buffer.from('00000001' + '000174' + '00000001' + '00000002', 'hex');
    expect(decodeStickyAssignorUserData(version0)).toEqual({
      partitions: [{ topic: 't', partitions: [2] }],
      generation: null,
    });
    expect(decodeStickyAssignorUserData(Buffer.from('7fffffff', 'hex'))).toBeNull();
  });
});

// ---- Properties over random groups with random (partly invalid, partly conflicting) claims. ----

interface ClaimingGroup extends RandomGroup {
  readonly claims: Map<string, TopicPartitions[]>;
}

function claimingGroup(sameTopics: boolean): fc.Arbitrary<ClaimingGroup> {
  return randomGroup(sameTopics).chain((group) =>
    fc
      .array(
        fc.record({
          owned: fc.array(
            fc.record({
              topic: fc.constantFrom('t0', 't1', 't2', 't3', 't4', 'gone'),
              partitions: fc.uniqueArray(fc.integer({ min: 0, max: 13 }), { maxLength: 4 }),
            }),
            { maxLength: 3 },
          ),
          generationId: fc.constantFrom(-1, 1, 2, 3),
        }),
        { minLength: group.members.length, maxLength: group.members.length },
      )
      .map((claims) => {
        const members = group.members.map((current, index) => ({
          ...current,
          subscription: {
            ...current.subscription,
            ownedPartitions: claims[index]!.owned,
            generationId: claims[index]!.generationId,
          },
        }));
        const claimed = new Map(members.map((current, index) => [current.memberId, claims[index]!.owned]));
        return { ...group, members, claims: claimed };
      }),
  );
}

describe('sticky assignor properties', () => {
  test('the balanced assignment is valid and balanced in the sense of Kafka\'s sticky tests', () => {
    fc.assert(
      fc.property(claimingGroup(false), fc.constantFrom('eager', 'cooperative' as const), (group, mode) => {
        const result = stickyAssign(group.members, group.partitionsPerTopic, mode);
        expect(assignmentViolation(group, result.balancedAssignment)).toBeNull();
        expect(stickyBalanceViolation(group, result.balancedAssignment)).toBeNull();
      }),
      RUNS,
    );
  });

  test('with identical subscriptions, member counts differ by at most one', () => {
    fc.assert(
      fc.property(claimingGroup(true), (group) => {
        const assignment = stickyAssign(group.members, group.partitionsPerTopic, 'cooperative').balancedAssignment;
        const counts = group.members.map((current) => countOf(assignment.get(current.memberId)));
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  test('cooperative-sticky never hands a member a partition that another member still claims', () => {
    fc.assert(
      fc.property(claimingGroup(false), (group) => {
        const result = stickyAssign(group.members, group.partitionsPerTopic, 'cooperative');
        for (const receiver of group.members) {
          const ownClaims = keys(group.claims.get(receiver.memberId));
          for (const key of keys(result.assignment.get(receiver.memberId))) {
            if (ownClaims.has(key)) continue;
            for (const other of group.members) {
              if (other.memberId === receiver.memberId) continue;
              expect(keys(group.claims.get(other.memberId)).has(key)).toBe(false);
            }
          }
        }
      }),
      RUNS,
    );
  });

  test('cooperative-sticky hands out the balanced assignment minus exactly the transferring partitions', () => {
    fc.assert(
      fc.property(claimingGroup(false), (group) => {
        const result = stickyAssign(group.members, group.partitionsPerTopic, 'cooperative');
        for (const current of group.members) {
          const balanced = keys(result.balancedAssignment.get(current.memberId));
          const given = keys(result.assignment.get(current.memberId));
          const withheld = [...result.transferring.values()]
            .filter(({ memberId }) => memberId === current.memberId)
            .map(({ topic, partition }) => `${topic}p${partition}`);
          expect([...given, ...withheld].sort()).toEqual([...balanced].sort());
        }
      }),
      RUNS,
    );
  });

  test('after a membership change each remaining member keeps its owned partitions up to its quota', () => {
    const change = fc.record({
      group: randomGroup(true),
      leaving: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      joining: fc.integer({ min: 0, max: 3 }),
      mode: fc.constantFrom('eager' as const, 'cooperative' as const),
    });
    fc.assert(
      fc.property(change, ({ group, leaving, joining, mode }) => {
        const previous = cooperativeStickyAssignor.assign(group.members, group.partitionsPerTopic);
        const topics = group.members[0]!.subscription.topics;
        // Eager members report ownership in StickyAssignor userData, cooperative ones in
        // ownedPartitions.
        const stayed = (
          mode === 'cooperative'
            ? owning(group.members, previous, 1)
            : group.members.map((current) => ({
                ...current,
                subscription: {
                  ...current.subscription,
                  userData: encodeStickyAssignorUserData(previous.get(current.memberId) ?? [], 1),
                },
              }))
        ).filter((_, index) => !leaving[index]);
        const joined = Array.from({ length: joining }, (_, index) => member(`new-${index}`, topics));
        const members = [...stayed, ...joined];
        if (members.length === 0) return;
        const result = stickyAssign(members, group.partitionsPerTopic, mode);
        let total = 0;
        for (const topic of new Set(topics)) total += group.partitionsPerTopic.get(topic) ?? 0;
        const minQuota = Math.floor(total / members.length);
        for (const current of stayed) {
          const owned = keys(previous.get(current.memberId));
          const balanced = keys(result.balancedAssignment.get(current.memberId));
          const kept = [...balanced].filter((key) => owned.has(key));
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(owned.size, minQuota));
        }
      }),
      RUNS,
    );
  });

  test('repeated cooperative rebalances settle: nothing withheld and the assignment stops changing', () => {
    fc.assert(
      fc.property(claimingGroup(false), (group) => {
        let members = group.members;
        let generation = 10;
        let last = stickyAssign(members, group.partitionsPerTopic, 'cooperative');
        for (let round = 0; round < 4 && last.transferring.size > 0; round++) {
          members = owning(members, last.assignment, generation++);
          last = stickyAssign(members, group.partitionsPerTopic, 'cooperative');
        }
        expect(last.transferring.size).toBe(0);
        expect(assignmentViolation(group, last.assignment)).toBeNull();
        const settled = owning(members, last.assignment, generation);
        const again = stickyAssign(settled, group.partitionsPerTopic, 'cooperative');
        expect(readable(again.assignment)).toEqual(readable(last.assignment));
      }),
      RUNS,
    );
  });
});
