import type { CommittedOffset, OffsetCommitEntry, OffsetStore, TopicPartitionRef } from '../../src/groups/offset-store.js';

/**
 * An OffsetStore in a Map, for coordinator tests: the latest commit per (group, topic, partition),
 * as compaction of __consumer_offsets would keep it. `failNextCommit()` makes the next commit
 * reject, to test the coordinator's answer to a store failure. `commits` records every call.
 */
export class MemoryOffsetStore implements OffsetStore {
  readonly commits: Array<{ readonly groupId: string; readonly offsets: ReadonlyArray<OffsetCommitEntry> }> = [];
  readonly #groups = new Map<string, Map<string, OffsetCommitEntry>>();
  #failNext: Error | null = null;

  failNextCommit(error: Error = new Error('offset store unavailable')): void {
    this.#failNext = error;
  }

  async commit(groupId: string, offsets: ReadonlyArray<OffsetCommitEntry>): Promise<void> {
    await Promise.resolve();
    const failure = this.#failNext;
    if (failure !== null) {
      this.#failNext = null;
      throw failure;
    }
    this.commits.push({ groupId, offsets: [...offsets] });
    let partitions = this.#groups.get(groupId);
    if (partitions === undefined) this.#groups.set(groupId, (partitions = new Map()));
    for (const offset of offsets) partitions.set(key(offset), { ...offset });
  }

  fetch(groupId: string, partitions?: ReadonlyArray<TopicPartitionRef>): CommittedOffset[] {
    const stored = this.#groups.get(groupId);
    if (stored === undefined) return [];
    const entries = partitions === undefined ? [...stored.values()] : partitions.flatMap((ref) => stored.get(key(ref)) ?? []);
    return entries.map(({ topic, partition, offset, leaderEpoch, metadata }) => ({ topic, partition, offset, leaderEpoch, metadata }));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await Promise.resolve();
    this.#groups.delete(groupId);
  }
}

function key(ref: TopicPartitionRef): string {
  return `${ref.topic}\u0000${ref.partition}`;
}
