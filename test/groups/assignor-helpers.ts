import fc from 'fast-check';
import type { AssignorMember, GroupAssignment } from '../../src/groups/assignor-model.js';
import type { TopicPartitions } from '../../src/groups/consumer-protocol.js';

/** Helpers shared by the assignor tests: readable assignments and random groups. */

export function member(
  memberId: string,
  topics: readonly string[],
  extra: Partial<AssignorMember['subscription']> & { groupInstanceId?: string } = {},
): AssignorMember {
  const { groupInstanceId, ...subscription } = extra;
  return {
    memberId,
    ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
    subscription: { topics, ...subscription },
  };
}

/** memberId → ['t0p0', 't0p1', ...], the notation of Kafka's javadoc examples. */
export function readable(assignment: GroupAssignment): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [memberId, entries] of assignment) {
    result[memberId] = entries.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}p${p}`));
  }
  return result;
}

export function countOf(entries: readonly TopicPartitions[] | undefined): number {
  return (entries ?? []).reduce((sum, { partitions }) => sum + partitions.length, 0);
}

export function partitionMap(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

export interface RandomGroup {
  readonly members: AssignorMember[];
  readonly partitionsPerTopic: Map<string, number>;
}

const TOPICS = ['t0', 't1', 't2', 't3', 't4'];

/**
 * A random group: 1-8 members, each subscribed to a non-empty subset of five topics; every topic
 * has 0-12 partitions, and topic t4 is missing from metadata half the time. With `sameTopics`,
 * every member subscribes to the same subset.
 */
export function randomGroup(sameTopics: boolean): fc.Arbitrary<RandomGroup> {
  const subset = fc.subarray(TOPICS, { minLength: 1 });
  return fc
    .record({
      memberIds: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}-[0-9]{1,2}$/), { minLength: 1, maxLength: 8 }),
      shared: subset,
      own: fc.array(subset, { minLength: 8, maxLength: 8 }),
      counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 5, maxLength: 5 }),
      t4Exists: fc.boolean(),
      instanceIds: fc.array(fc.option(fc.stringMatching(/^i[0-9]$/), { nil: undefined }), {
        minLength: 8,
        maxLength: 8,
      }),
    })
    .map(({ memberIds, shared, own, counts, t4Exists, instanceIds }) => {
      const usedInstances = new Set<string>();
      const members = memberIds.map((memberId, index) => {
        const instance = instanceIds[index];
        const unique = instance !== undefined && !usedInstances.has(instance) ? instance : undefined;
        if (unique !== undefined) usedInstances.add(unique);
        const topics = sameTopics ? shared : own[index]!;
        return member(memberId, topics, unique === undefined ? {} : { groupInstanceId: unique });
      });
      const partitionsPerTopic = new Map<string, number>();
      TOPICS.forEach((topic, index) => {
        if (topic !== 't4' || t4Exists) partitionsPerTopic.set(topic, counts[index]!);
      });
      return { members, partitionsPerTopic };
    });
}

/**
 * Every partition of every subscribed topic in metadata is assigned exactly once, and only to a
 * member subscribed to its topic. Returns a description of the first violation, or null.
 */
export function assignmentViolation(group: RandomGroup, assignment: GroupAssignment): string | null {
  const owners = new Map<string, string>();
  for (const current of group.members) {
    const entries = assignment.get(current.memberId);
    if (entries === undefined) return `${current.memberId} has no entry`;
    for (const { topic, partitions } of entries) {
      if (!current.subscription.topics.includes(topic)) return `${current.memberId} got ${topic}`;
      for (const partition of partitions) {
        const key = `${topic}p${partition}`;
        if (owners.has(key)) return `${key} assigned twice`;
        owners.set(key, current.memberId);
      }
    }
  }
  for (const [topic, count] of group.partitionsPerTopic) {
    const subscribed = group.members.some((current) => current.subscription.topics.includes(topic));
    for (let partition = 0; partition < count; partition++) {
      if (subscribed !== owners.has(`${topic}p${partition}`)) return `${topic}p${partition} misassigned`;
    }
  }
  return null;
}

/**
 * Kafka's sticky balance check (AbstractStickyAssignorTest.verifyValidityAndBalance): when two
 * members' counts differ by more than one, the larger holds no partition the smaller could take.
 */
export function stickyBalanceViolation(group: RandomGroup, assignment: GroupAssignment): string | null {
  for (const small of group.members) {
    for (const large of group.members) {
      const smallCount = countOf(assignment.get(small.memberId));
      const largeCount = countOf(assignment.get(large.memberId));
      if (largeCount - smallCount <= 1) continue;
      for (const { topic } of assignment.get(large.memberId) ?? []) {
        if (small.subscription.topics.includes(topic)) {
          return `${large.memberId} (${largeCount}) could give ${topic} to ${small.memberId} (${smallCount})`;
        }
      }
    }
  }
  return null;
}
