import type { Broker } from '../broker/broker.js';
import { EARLIEST, LATEST, type RemoteBroker } from '../client/remote-broker.js';
import { EngineError } from '../core/errors.js';
import { ConsumerGroups } from '../groups/consumer-groups.js';
import { decodeAssignment, type TopicPartitions } from '../groups/consumer-protocol.js';
import { CONSUMER_OFFSETS_TOPIC } from '../groups/offsets-records.js';
import { withTarget, type Target } from './broker-target.js';

/**
 * What `brook groups …` needs, the same on a data directory (the group coordinator over
 * `__consumer_offsets`, so commits land where a broker reads them) and through a running broker
 * (ListGroups, DescribeGroups, OffsetFetch, ListOffsets, OffsetCommit as a simple consumer).
 */
export interface GroupSummary {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
}

export interface MemberView {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly host: string;
  /** Decoded from a consumer group's assignment; null when unknown (not Stable, or another protocol). */
  readonly assigned: ReadonlyArray<TopicPartitions> | null;
}

export interface GroupView {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  /** The chosen assignor while Stable, else ''. */
  readonly protocol: string;
  readonly members: ReadonlyArray<MemberView>;
}

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface PartitionBounds {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface GroupAdmin {
  listGroups(): Promise<GroupSummary[]>;
  describeGroup(groupId: string): Promise<GroupView>;
  /** Committed partitions only (none: the group has no offsets). */
  committedOffsets(groupId: string): Promise<PartitionOffset[]>;
  /** Throws UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist. */
  partitionCount(topic: string): Promise<number>;
  bounds(topic: string, partitions: ReadonlyArray<number>): Promise<Map<number, PartitionBounds>>;
  /** The first offset with a timestamp ≥ timestampMs per partition; null when there is none. */
  offsetsForTime(topic: string, partitions: ReadonlyArray<number>, timestampMs: number): Promise<Map<number, number | null>>;
  /** Commit as a simple consumer (generation -1): refused while the group has members. */
  commit(groupId: string, offsets: ReadonlyArray<PartitionOffset>): Promise<void>;
}

function assignmentOf(protocolType: string, bytes: Buffer): ReadonlyArray<TopicPartitions> | null {
  if (protocolType !== 'consumer' || bytes.length === 0) return null;
  try {
    return decodeAssignment(bytes).assignedPartitions;
  } catch {
    return null; // a client's own assignment format: shown as unknown
  }
}

interface DescribedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly memberAssignment: Buffer;
}

function groupView(group: { groupId: string; groupState: string; protocolType: string; protocolData: string; members: ReadonlyArray<DescribedMember> }): GroupView {
  return {
    groupId: group.groupId,
    state: group.groupState,
    protocolType: group.protocolType,
    protocol: group.protocolData,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      host: member.clientHost,
      assigned: assignmentOf(group.protocolType, member.memberAssignment),
    })),
  };
}

class LocalGroupAdmin implements GroupAdmin {
  readonly #broker: Broker;
  /** null when the data directory has no __consumer_offsets (no group ever committed). */
  readonly #groups: ConsumerGroups | null;

  constructor(broker: Broker, groups: ConsumerGroups | null) {
    this.#broker = broker;
    this.#groups = groups;
  }

  async listGroups(): Promise<GroupSummary[]> {
    const groups = this.#groups;
    if (groups === null) return [];
    // A fresh coordinator lists groups known only by their committed offsets, as Empty.
    return groups.coordinator
      .listGroups()
      .groups.map((group) => ({ groupId: group.groupId, state: group.groupState, protocolType: group.protocolType }))
      .sort((left, right) => (left.groupId < right.groupId ? -1 : 1));
  }

  async describeGroup(groupId: string): Promise<GroupView> {
    if (this.#groups === null) return { groupId, state: 'Dead', protocolType: '', protocol: '', members: [] };
    return groupView(this.#groups.coordinator.describeGroup(groupId));
  }

  async committedOffsets(groupId: string): Promise<PartitionOffset[]> {
    if (this.#groups === null) return [];
    const response = this.#groups.coordinator.fetchOffsets({ groupId, topics: null });
    return response.topics.flatMap((topic) =>
      topic.partitions
        .filter((partition) => partition.committedOffset >= 0)
        .map((partition) => ({ topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset })),
    );
  }

  async partitionCount(topic: string): Promise<number> {
    return this.#broker.partitionCount(topic);
  }

  async bounds(topic: string, partitions: ReadonlyArray<number>): Promise<Map<number, PartitionBounds>> {
    return new Map(
      partitions.map((partition) => {
        const log = this.#broker.log(topic, partition);
        return [partition, { logStartOffset: log.logStartOffset, logEndOffset: log.highWatermark }];
      }),
    );
  }

  async offsetsForTime(topic: string, partitions: ReadonlyArray<number>, timestampMs: number): Promise<Map<number, number | null>> {
    return new Map(partitions.map((partition) => [partition, this.#broker.log(topic, partition).offsetForTimestamp(timestampMs)?.offset ?? null]));
  }

  async commit(groupId: string, offsets: ReadonlyArray<PartitionOffset>): Promise<void> {
    if (this.#groups === null) throw new EngineError('COORDINATOR_NOT_AVAILABLE', 'consumer groups are not open on this data directory');
    const byTopic = new Map<string, PartitionOffset[]>();
    for (const entry of offsets) byTopic.set(entry.topic, [...(byTopic.get(entry.topic) ?? []), entry]);
    const response = await this.#groups.coordinator.commitOffsets({
      groupId,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [...byTopic].map(([name, entries]) => ({
        name,
        partitions: entries.map((entry) => ({ partitionIndex: entry.partition, committedOffset: entry.offset, committedLeaderEpoch: -1, committedMetadata: null })),
      })),
    });
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        if (partition.errorCode !== 'NONE') {
          throw new EngineError(partition.errorCode, `commit of ${topic.name}-${partition.partitionIndex} for group "${groupId}" was refused (${partition.errorCode})`);
        }
      }
    }
  }
}

class RemoteGroupAdmin implements GroupAdmin {
  readonly #client: RemoteBroker;

  constructor(client: RemoteBroker) {
    this.#client = client;
  }

  async listGroups(): Promise<GroupSummary[]> {
    const groups = await this.#client.listGroups();
    return groups.map((group) => ({ groupId: group.groupId, state: group.state, protocolType: group.protocolType })).sort((left, right) => (left.groupId < right.groupId ? -1 : 1));
  }

  async describeGroup(groupId: string): Promise<GroupView> {
    const group = await this.#client.describeGroup(groupId);
    return groupView(group);
  }

  async committedOffsets(groupId: string): Promise<PartitionOffset[]> {
    const offsets = await this.#client.committedOffsets(groupId);
    return offsets.filter((entry) => entry.offset >= 0).map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  async partitionCount(topic: string): Promise<number> {
    const found = (await this.#client.topics([topic]))[0];
    if (found === undefined) throw new EngineError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" does not exist`);
    return found.partitions;
  }

  async bounds(topic: string, partitions: ReadonlyArray<number>): Promise<Map<number, PartitionBounds>> {
    const starts = await this.#client.listOffsets(topic, partitions, EARLIEST);
    const ends = await this.#client.listOffsets(topic, partitions, LATEST);
    return new Map(partitions.map((partition) => [partition, { logStartOffset: starts.get(partition) ?? 0, logEndOffset: ends.get(partition) ?? 0 }]));
  }

  async offsetsForTime(topic: string, partitions: ReadonlyArray<number>, timestampMs: number): Promise<Map<number, number | null>> {
    const found = await this.#client.listOffsets(topic, partitions, timestampMs);
    return new Map(partitions.map((partition) => {
      const offset = found.get(partition) ?? -1;
      return [partition, offset < 0 ? null : offset];
    }));
  }

  async commit(groupId: string, offsets: ReadonlyArray<PartitionOffset>): Promise<void> {
    await this.#client.commitOffsets(groupId, offsets);
  }
}

/**
 * Run `body` with a GroupAdmin for the target. On a data directory, consumer groups are opened
 * only when needed: a read on a directory without __consumer_offsets must not create it.
 */
export async function withGroupAdmin<T>(target: Target, options: { readonly write: boolean }, body: (admin: GroupAdmin) => Promise<T>): Promise<T> {
  return withTarget(target, {
    local: async (broker) => {
      const open = options.write || broker.hasTopic(CONSUMER_OFFSETS_TOPIC);
      const groups = open ? await ConsumerGroups.open(broker, { 'offsets.retention.check.interval.ms': 0 }) : null;
      try {
        return await body(new LocalGroupAdmin(broker, groups));
      } finally {
        groups?.close();
      }
    },
    remote: (client) => body(new RemoteGroupAdmin(client)),
  });
}
