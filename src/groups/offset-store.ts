/**
 * Where committed offsets live. The group coordinator validates an OffsetCommit (member,
 * generation, metadata size) and then hands the accepted offsets to this store; it never keeps
 * offsets itself. The production store writes them to the compacted internal topic
 * `__consumer_offsets` (kafka-storage.md §6.5) and keeps the latest commit per
 * (group, topic, partition) in memory, which is why `fetch` is synchronous.
 *
 * Contract:
 * - `commit` resolves only once the offsets are durable as the store defines it; a rejection
 *   makes the coordinator answer COORDINATOR_NOT_AVAILABLE for those partitions (retriable).
 * - After `commit` resolves, `fetch` returns the new values (read-your-writes).
 * - `fetch` returns committed partitions only; the coordinator answers -1 for the rest.
 *   Without `partitions` it returns every committed partition of the group.
 * - `deleteGroup` removes every offset of the group (tombstones, in the topic-backed store).
 * - `groups`, when present, names every group with committed offsets (others may be included).
 */
export interface OffsetCommitEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** -1 when the client did not send one. */
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  readonly commitTimestampMs: number;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface OffsetStore {
  commit(groupId: string, offsets: ReadonlyArray<OffsetCommitEntry>): Promise<void>;
  fetch(groupId: string, partitions?: ReadonlyArray<TopicPartitionRef>): CommittedOffset[];
  deleteGroup?(groupId: string): Promise<void>;
  /** Ids of the groups that may hold committed offsets (ListGroups lists them as Empty). */
  groups?(): string[];
}
