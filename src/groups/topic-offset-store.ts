import type { Broker } from '../broker/broker.js';
import { EngineError } from '../core/errors.js';
import { encodeRecordBatch } from '../records/record-batch.js';
import type { CommittedOffset, OffsetCommitEntry, OffsetStore, TopicPartitionRef } from './offset-store.js';
import {
  CONSUMER_OFFSETS_TOPIC,
  coordinatorPartition,
  decodeGroupCoordinatorRecord,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  OFFSET_COMMIT_VALUE_VERSION,
  OFFSETS_TOPIC_PARTITIONS_DEFAULT,
} from './offsets-records.js';

/**
 * Committed offsets kept as records in the internal compacted topic `__consumer_offsets`, as
 * Kafka keeps them: key = OffsetCommitKey v1 (group, topic, partition), value = OffsetCommitValue
 * v3 (offset, leader epoch, metadata, commit timestamp), a null value deletes. A group's records
 * go to partition abs(groupId.hashCode()) % 50. One commit is one batch, so it is atomic.
 *
 * The latest value per key is also kept in memory (loaded by replaying the topic at open), so
 * fetches are synchronous. Compaction (cleanup.policy=compact) bounds the topic's size.
 * offsets.retention.minutes (7 days): `expire()` deletes the offsets of groups the caller says
 * are empty once their last commit is older than that.
 */
export interface TopicOffsetStoreOptions {
  readonly partitions?: number;
  readonly 'offsets.retention.minutes'?: number;
  readonly clock?: () => number;
}

interface StoredOffset extends CommittedOffset {
  readonly commitTimestampMs: number;
}

const OFFSETS_TOPIC_SEGMENT_BYTES = 104_857_600;
const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class TopicOffsetStore implements OffsetStore {
  readonly #broker: Broker;
  readonly #partitions: number;
  readonly #retentionMs: number;
  readonly #clock: () => number;
  readonly #groups = new Map<string, Map<string, StoredOffset>>();

  private constructor(broker: Broker, partitions: number, retentionMs: number, clock: () => number) {
    this.#broker = broker;
    this.#partitions = partitions;
    this.#retentionMs = retentionMs;
    this.#clock = clock;
  }

  static async open(broker: Broker, options: TopicOffsetStoreOptions = {}): Promise<TopicOffsetStore> {
    const partitions = options.partitions ?? OFFSETS_TOPIC_PARTITIONS_DEFAULT;
    const retentionMinutes = options['offsets.retention.minutes'] ?? 10_080;
    if (!Number.isSafeInteger(retentionMinutes) || retentionMinutes < 1) {
      throw new EngineError('CONFIG_INVALID', `offsets.retention.minutes=${retentionMinutes} is invalid: it must be an integer ≥ 1`);
    }
    if (!broker.hasTopic(CONSUMER_OFFSETS_TOPIC)) {
      await broker.createTopic(CONSUMER_OFFSETS_TOPIC, {
        partitions,
        config: { 'cleanup.policy': 'compact', 'segment.bytes': OFFSETS_TOPIC_SEGMENT_BYTES },
      });
    }
    const store = new TopicOffsetStore(broker, broker.partitionCount(CONSUMER_OFFSETS_TOPIC), retentionMinutes * 60_000, options.clock ?? Date.now);
    store.#load();
    return store;
  }

  /** Replay every partition of the topic; later records win, tombstones delete. */
  #load(): void {
    for (let partition = 0; partition < this.#partitions; partition++) {
      const log = this.#broker.log(CONSUMER_OFFSETS_TOPIC, partition);
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const read = log.readRecords(offset);
        if (read.nextOffset <= offset) break;
        for (const record of read.records) {
          const decoded = decodeGroupCoordinatorRecord(record.key, record.value);
          if (decoded.kind !== 'offset-commit') continue;
          const { group, topic, partition: topicPartition } = decoded.key;
          if (decoded.value === null) {
            this.#groups.get(group)?.delete(key(topic, topicPartition));
            continue;
          }
          this.#remember(group, {
            topic,
            partition: topicPartition,
            offset: decoded.value.offset,
            leaderEpoch: decoded.value.leaderEpoch,
            metadata: decoded.value.metadata,
            commitTimestampMs: decoded.value.commitTimestamp,
          });
        }
        offset = read.nextOffset;
      }
    }
  }

  #remember(group: string, stored: StoredOffset): void {
    let offsets = this.#groups.get(group);
    if (offsets === undefined) {
      offsets = new Map();
      this.#groups.set(group, offsets);
    }
    offsets.set(key(stored.topic, stored.partition), stored);
  }

  partitionFor(groupId: string): number {
    return coordinatorPartition(groupId, this.#partitions);
  }

  async commit(groupId: string, offsets: ReadonlyArray<OffsetCommitEntry>): Promise<void> {
    if (offsets.length === 0) return;
    const batch = encodeRecordBatch(
      offsets.map((entry) => ({
        key: encodeOffsetCommitKey({ group: groupId, topic: entry.topic, partition: entry.partition }),
        value: encodeOffsetCommitValue(
          {
            offset: entry.offset,
            leaderEpoch: entry.leaderEpoch,
            metadata: entry.metadata ?? '',
            commitTimestamp: entry.commitTimestampMs,
          },
          OFFSET_COMMIT_VALUE_VERSION,
        ),
        timestamp: entry.commitTimestampMs,
      })),
    );
    await this.#broker.append(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId), batch);
    for (const entry of offsets) {
      this.#remember(groupId, {
        topic: entry.topic,
        partition: entry.partition,
        offset: entry.offset,
        leaderEpoch: entry.leaderEpoch,
        metadata: entry.metadata ?? '',
        commitTimestampMs: entry.commitTimestampMs,
      });
    }
  }

  fetch(groupId: string, partitions?: ReadonlyArray<TopicPartitionRef>): CommittedOffset[] {
    const offsets = this.#groups.get(groupId);
    if (offsets === undefined) return [];
    const stored = partitions === undefined ? [...offsets.values()] : partitions.map((ref) => offsets.get(key(ref.topic, ref.partition)));
    return stored
      .filter((entry): entry is StoredOffset => entry !== undefined)
      .map(({ topic, partition, offset, leaderEpoch, metadata }) => ({ topic, partition, offset, leaderEpoch, metadata }));
  }

  async deleteGroup(groupId: string): Promise<void> {
    const offsets = this.#groups.get(groupId);
    if (offsets === undefined || offsets.size === 0) return;
    await this.#tombstone(groupId, [...offsets.values()]);
    this.#groups.delete(groupId);
  }

  async #tombstone(groupId: string, entries: ReadonlyArray<TopicPartitionRef>): Promise<void> {
    const now = this.#clock();
    const batch = encodeRecordBatch(
      entries.map((entry) => ({
        key: encodeOffsetCommitKey({ group: groupId, topic: entry.topic, partition: entry.partition }),
        value: null,
        timestamp: now,
      })),
    );
    await this.#broker.append(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId), batch);
  }

  /** offsets.retention.minutes: delete offsets of empty groups whose last commit is too old. */
  async expire(isGroupEmpty: (groupId: string) => boolean, nowMs = this.#clock()): Promise<number> {
    let removed = 0;
    for (const [groupId, offsets] of this.#groups) {
      if (!isGroupEmpty(groupId)) continue;
      const newest = Math.max(...[...offsets.values()].map((entry) => entry.commitTimestampMs));
      if (nowMs - newest <= this.#retentionMs) continue;
      await this.#tombstone(groupId, [...offsets.values()]);
      removed += offsets.size;
      this.#groups.delete(groupId);
    }
    return removed;
  }

  groups(): string[] {
    return [...this.#groups.keys()];
  }
}
