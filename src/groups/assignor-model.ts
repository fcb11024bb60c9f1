import { assert } from '../core/assert.js';
import type { TopicPartitions } from './consumer-protocol.js';

/**
 * What every partition assignor takes and returns, and the small helpers they share. An assignor
 * runs on the group leader between JoinGroup and SyncGroup: it sees every member's decoded
 * subscription and the partition count of each subscribed topic, and decides who reads what.
 *
 * Shared rules, as in Kafka's AbstractPartitionAssignor:
 * - A subscribed topic missing from `partitionsPerTopic` (not in metadata) is skipped.
 * - Every member gets an entry, possibly empty.
 * - Output is normalised: topics in ascending order, partitions ascending, only topics with at
 *   least one partition. (Kafka groups by topic through a HashMap, so its order is arbitrary.)
 * - Strings compare by UTF-16 code unit, which is both JavaScript's default and Java's
 *   String.compareTo.
 */

export interface AssignorSubscription {
  readonly topics: readonly string[];
  /** Partitions the member owned in the previous generation (subscription v1+). */
  readonly ownedPartitions?: readonly TopicPartitions[];
  /** The member's generation (subscription v2+); -1 or absent when unknown. */
  readonly generationId?: number;
  readonly userData?: Buffer | null;
}

export interface AssignorMember {
  readonly memberId: string;
  /** Static membership (KIP-345): orders members before member ids do. */
  readonly groupInstanceId?: string | null;
  readonly subscription: AssignorSubscription;
}

/** memberId → the partitions assigned to that member. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

export interface PartitionAssignor {
  /** The protocol name sent in JoinGroup, e.g. 'range'. */
  readonly name: string;
  assign(
    members: readonly AssignorMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): GroupAssignment;
}

/** One partition of one topic, as a flat value. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export function compareStrings(left: string, right: string): number {
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

/**
 * Kafka's MemberInfo order: static members (with a group instance id) first, ordered by
 * instance id; then dynamic members ordered by member id.
 */
export function compareMembers(left: AssignorMember, right: AssignorMember): number {
  const leftInstance = left.groupInstanceId ?? null;
  const rightInstance = right.groupInstanceId ?? null;
  if (leftInstance !== null && rightInstance !== null) {
    return compareStrings(leftInstance, rightInstance);
  }
  if (leftInstance !== null) return -1;
  if (rightInstance !== null) return 1;
  return compareStrings(left.memberId, right.memberId);
}

export function compareTopicPartitions(left: TopicPartition, right: TopicPartition): number {
  return compareStrings(left.topic, right.topic) || left.partition - right.partition;
}

/**
 * A string key for a partition, for maps and sets. The partition number holds no NUL, so the last
 * NUL splits the key uniquely whatever the topic contains.
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function keyOf(entry: TopicPartition): string {
  return partitionKey(entry.topic, entry.partition);
}

/** Checks the input every assignor relies on: unique member ids, sane partition counts. */
export function checkAssignorInput(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): void {
  const memberIds = new Set<string>();
  for (const member of members) {
    assert(!memberIds.has(member.memberId), `member id ${member.memberId} appears twice`);
    memberIds.add(member.memberId);
  }
  for (const [topic, count] of partitionsPerTopic) {
    assert(Number.isInteger(count) && count >= 0, `topic ${topic} has partition count ${count}`);
  }
}

/** Subscribed topics that exist in metadata, in ascending order (Kafka's TreeSet). */
export function sortedSubscribedTopics(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): string[] {
  const topics = new Set<string>();
  for (const member of members) {
    for (const topic of member.subscription.topics) {
      if (partitionsPerTopic.has(topic)) topics.add(topic);
    }
  }
  return [...topics].sort(compareStrings);
}

/** Builds the normalised output from flat per-member partition lists. */
export function toGroupAssignment(
  members: readonly AssignorMember[],
  partitionsByMember: ReadonlyMap<string, readonly TopicPartition[]>,
): GroupAssignment {
  const assignment: GroupAssignment = new Map();
  for (const member of members) {
    const partitions = [...(partitionsByMember.get(member.memberId) ?? [])];
    partitions.sort(compareTopicPartitions);
    const entries: { topic: string; partitions: number[] }[] = [];
    for (const { topic, partition } of partitions) {
      const last = entries[entries.length - 1];
      if (last !== undefined && last.topic === topic) last.partitions.push(partition);
      else entries.push({ topic, partitions: [partition] });
    }
    assignment.set(member.memberId, entries);
  }
  return assignment;
}

/**
 * Postcondition shared by all assignors: each partition of every subscribed topic goes to at
 * most one member, and only to a member subscribed to its topic. `complete` additionally requires
 * every such partition to be assigned (false for cooperative-sticky, which withholds partitions).
 */
export function assertValidAssignment(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
  assignment: GroupAssignment,
  complete: boolean,
): void {
  const seen = new Set<string>();
  for (const member of members) {
    const subscribed = new Set(member.subscription.topics);
    for (const { topic, partitions } of assignment.get(member.memberId) ?? []) {
      assert(subscribed.has(topic), `${member.memberId} got ${topic} without subscribing`);
      const count = partitionsPerTopic.get(topic) ?? 0;
      for (const partition of partitions) {
        assert(partition >= 0 && partition < count, `${topic}-${partition} does not exist`);
        const key = partitionKey(topic, partition);
        assert(!seen.has(key), `${topic}-${partition} assigned twice`);
        seen.add(key);
      }
    }
  }
  if (!complete) return;
  let total = 0;
  for (const topic of sortedSubscribedTopics(members, partitionsPerTopic)) {
    total += partitionsPerTopic.get(topic) ?? 0;
  }
  assert(seen.size === total, `${seen.size} of ${total} partitions assigned`);
}
