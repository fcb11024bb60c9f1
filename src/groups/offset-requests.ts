import { outcome, type GroupErrorCode, type GroupResultCode } from './group-errors.js';
import type {
  OffsetCommitRequest,
  OffsetCommitRequestPartition,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  OffsetFetchResponsePartition,
  OffsetFetchResponseTopic,
} from './group-messages.js';
import type { CommittedOffset, OffsetCommitEntry, OffsetStore } from './offset-store.js';

/**
 * OffsetCommit and OffsetFetch between the coordinator and the OffsetStore. The coordinator
 * decides whether the committer may commit at all (member, generation, group state); this file
 * checks each partition, hands the accepted ones to the store and shapes the responses.
 */

export interface OffsetCommitLimits {
  /** offset.metadata.max.bytes, in UTF-8 bytes. */
  readonly metadataBytesMax: number;
  readonly partitionExists: (topic: string, partition: number) => boolean;
}

interface CheckedPartition {
  readonly partition: OffsetCommitRequestPartition;
  code: GroupResultCode;
}

/**
 * `refusal` (from the coordinator's membership checks) applies to every partition. Otherwise an
 * unknown partition or oversized metadata refuses that partition only, and the rest are stored
 * in one `commit` call; if the store rejects, they answer COORDINATOR_NOT_AVAILABLE (retriable),
 * as Kafka answers when the offsets topic cannot take the write.
 */
export async function commitToStore(
  store: OffsetStore,
  request: OffsetCommitRequest,
  refusal: GroupErrorCode | null,
  limits: OffsetCommitLimits,
  commitTimestampMs: number,
): Promise<OffsetCommitResponse> {
  const checked = request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition): CheckedPartition => ({
      partition,
      code: refusal ?? checkPartition(topic.name, partition, limits),
    })),
  }));
  const accepted = checked.flatMap((topic) => topic.partitions.filter((entry) => entry.code === 'NONE').map((entry) => ({ topic: topic.name, entry })));
  if (accepted.length > 0) {
    const offsets: OffsetCommitEntry[] = accepted.map(({ topic, entry }) => ({
      topic,
      partition: entry.partition.partitionIndex,
      offset: entry.partition.committedOffset,
      leaderEpoch: entry.partition.committedLeaderEpoch,
      metadata: entry.partition.committedMetadata,
      commitTimestampMs,
    }));
    try {
      await store.commit(request.groupId, offsets);
    } catch {
      for (const { entry } of accepted) entry.code = 'COORDINATOR_NOT_AVAILABLE';
    }
  }
  return {
    topics: checked.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((entry) => ({ partitionIndex: entry.partition.partitionIndex, ...outcome(entry.code) })),
    })),
  };
}

function checkPartition(topic: string, partition: OffsetCommitRequestPartition, limits: OffsetCommitLimits): GroupResultCode {
  const index = partition.partitionIndex;
  if (!Number.isInteger(index) || index < 0 || !limits.partitionExists(topic, index)) return 'UNKNOWN_TOPIC_OR_PARTITION';
  const metadata = partition.committedMetadata;
  if (metadata !== null && Buffer.byteLength(metadata, 'utf8') > limits.metadataBytesMax) return 'OFFSET_METADATA_TOO_LARGE';
  return 'NONE';
}

/**
 * OffsetFetch, whatever the group's state (standalone consumers fetch without a group). A
 * partition with no commit gets offset -1, leader epoch -1 and metadata '' (sarama cannot take
 * null); `topics: null` returns every committed partition of the group.
 */
export function fetchFromStore(store: OffsetStore, request: OffsetFetchRequest): OffsetFetchResponse {
  if (request.topics === null) return { ...outcome('NONE'), topics: groupByTopic(store.fetch(request.groupId)) };
  const wanted = request.topics.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition })));
  const committed = new Map<string, Map<number, CommittedOffset>>();
  for (const offset of wanted.length === 0 ? [] : store.fetch(request.groupId, wanted)) {
    let partitions = committed.get(offset.topic);
    if (partitions === undefined) committed.set(offset.topic, (partitions = new Map()));
    partitions.set(offset.partition, offset);
  }
  const topics = request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitionIndexes.map((index) => {
      const offset = committed.get(topic.name)?.get(index);
      return offset === undefined ? noCommit(index, 'NONE') : fetchedPartition(offset);
    }),
  }));
  return { ...outcome('NONE'), topics };
}

/** The error both at the top (v2+) and on every requested partition (v0-1 have only those). */
export function refuseFetch(request: OffsetFetchRequest, code: GroupErrorCode): OffsetFetchResponse {
  const topics = (request.topics ?? []).map((topic) => ({
    name: topic.name,
    partitions: topic.partitionIndexes.map((index) => noCommit(index, code)),
  }));
  return { ...outcome(code), topics };
}

function noCommit(partitionIndex: number, code: GroupResultCode): OffsetFetchResponsePartition {
  return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', ...outcome(code) };
}

function fetchedPartition(offset: CommittedOffset): OffsetFetchResponsePartition {
  return {
    partitionIndex: offset.partition,
    committedOffset: offset.offset,
    committedLeaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata ?? '',
    ...outcome('NONE'),
  };
}

function groupByTopic(offsets: ReadonlyArray<CommittedOffset>): OffsetFetchResponseTopic[] {
  const topics = new Map<string, OffsetFetchResponsePartition[]>();
  for (const offset of offsets) {
    let partitions = topics.get(offset.topic);
    if (partitions === undefined) topics.set(offset.topic, (partitions = []));
    partitions.push(fetchedPartition(offset));
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}
