import {
  assertValidAssignment,
  checkAssignorInput,
  compareMembers,
  sortedSubscribedTopics,
  toGroupAssignment,
  type AssignorMember,
  type GroupAssignment,
  type PartitionAssignor,
  type TopicPartition,
} from './assignor-model.js';
import { cooperativeStickyAssignor, stickyAssignor } from './sticky-assignor.js';

/**
 * Kafka's client-side partition assignors, by protocol name. The leader picks the one every
 * member listed (the coordinator chose the protocol), decodes the subscriptions, runs it, and
 * encodes one ConsumerProtocolAssignment per member for SyncGroup.
 *
 * - `range` (Kafka's RangeAssignor): per topic, the subscribed members in MemberInfo order each
 *   get a contiguous range of ⌊P/C⌋ partitions, and the first P mod C members one more. With
 *   C0, C1 and topics t0, t1 of 3 partitions: C0 = t0p0, t0p1, t1p0, t1p1; C1 = t0p2, t1p2.
 * - `roundrobin` (Kafka's RoundRobinAssignor): all partitions, topics ascending then partition
 *   ascending, dealt one at a time round a circle of the members in MemberInfo order; a member
 *   not subscribed to the partition's topic is passed over. Same example: C0 = t0p0, t0p2, t1p1;
 *   C1 = t0p1, t1p0, t1p2.
 * - `sticky`, `cooperative-sticky`: see sticky-assignor.ts.
 *
 * Rack-aware assignment (KIP-881, consumer rackId) is not implemented: Brook's assignors behave
 * as Kafka's do when no rack information is available.
 */

export const rangeAssignor: PartitionAssignor = {
  name: 'range',
  assign(members, partitionsPerTopic) {
    checkAssignorInput(members, partitionsPerTopic);
    const partitionsByMember = emptyPartitionLists(members);
    for (const topic of sortedSubscribedTopics(members, partitionsPerTopic)) {
      const consumers = members.filter((member) => member.subscription.topics.includes(topic));
      consumers.sort(compareMembers);
      const partitionCount = partitionsPerTopic.get(topic) ?? 0;
      const perConsumer = Math.floor(partitionCount / consumers.length);
      const withExtra = partitionCount % consumers.length;
      consumers.forEach((consumer, index) => {
        const start = perConsumer * index + Math.min(index, withExtra);
        const length = perConsumer + (index < withExtra ? 1 : 0);
        const target = partitionsByMember.get(consumer.memberId)!;
        for (let partition = start; partition < start + length; partition++) {
          target.push({ topic, partition });
        }
      });
    }
    return finish(members, partitionsPerTopic, partitionsByMember);
  },
};

export const roundRobinAssignor: PartitionAssignor = {
  name: 'roundrobin',
  assign(members, partitionsPerTopic) {
    checkAssignorInput(members, partitionsPerTopic);
    const partitionsByMember = emptyPartitionLists(members);
    const circle = [...members].sort(compareMembers);
    const subscriptions = circle.map((member) => new Set(member.subscription.topics));
    let next = 0;
    for (const topic of sortedSubscribedTopics(members, partitionsPerTopic)) {
      const partitionCount = partitionsPerTopic.get(topic) ?? 0;
      for (let partition = 0; partition < partitionCount; partition++) {
        // Some member subscribes to the topic (that is how it got here), so this ends within
        // one turn of the circle.
        while (!subscriptions[next]!.has(topic)) next = (next + 1) % circle.length;
        partitionsByMember.get(circle[next]!.memberId)!.push({ topic, partition });
        next = (next + 1) % circle.length;
      }
    }
    return finish(members, partitionsPerTopic, partitionsByMember);
  },
};

const ASSIGNORS: ReadonlyMap<string, PartitionAssignor> = new Map(
  [rangeAssignor, roundRobinAssignor, stickyAssignor, cooperativeStickyAssignor].map(
    (assignor) => [assignor.name, assignor],
  ),
);

/** Protocol names Brook has an assignor for. */
export const ASSIGNOR_NAMES: readonly string[] = [...ASSIGNORS.keys()];

/** The assignor for a JoinGroup protocol name, or undefined if Brook has none by that name. */
export function assignorFor(name: string): PartitionAssignor | undefined {
  return ASSIGNORS.get(name);
}

function emptyPartitionLists(members: readonly AssignorMember[]): Map<string, TopicPartition[]> {
  return new Map(members.map((member) => [member.memberId, []]));
}

function finish(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
  partitionsByMember: ReadonlyMap<string, readonly TopicPartition[]>,
): GroupAssignment {
  const assignment = toGroupAssignment(members, partitionsByMember);
  assertValidAssignment(members, partitionsPerTopic, assignment, true);
  return assignment;
}
