import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CODEC_MASK,
  DELETE_HORIZON_MASK,
  TIMESTAMP_TYPE_MASK,
} from '../records/batch-layout.js';
import { codecName } from '../records/compression.js';
import { readInt64 } from '../records/int64.js';
import { decodeRecordBatch, encodeRecordBatch } from '../records/record-batch.js';
import type { Record, RecordInput } from '../records/record.js';
import type { FileIO } from './file-io.js';
import { CLEANED_SUFFIX, SWAP_SUFFIX } from './file-names.js';
import type { LogSegment } from './segment.js';

/**
 * Log compaction for cleanup.policy=compact (Kafka's LogCleaner, one pass, one partition):
 *
 * 1. Build a map key → latest offset over the dirty section (from the cleaner checkpoint up to
 *    the first uncleanable segment: the active segment, or one newer than min.compaction.lag.ms).
 * 2. Rewrite every cleanable segment: a record survives unless the map holds a later offset for
 *    its key. Offsets never change; a batch keeps its base offset, lastOffsetDelta, producer
 *    fields and codec. A batch that loses nothing is copied byte for byte.
 * 3. Tombstones (null values) stay for delete.retention.ms: the first rewrite of a batch holding
 *    one stamps the delete horizon (now + delete.retention.ms) into baseTimestamp with attribute
 *    bit 6 (KIP-534); a later pass past the horizon drops them.
 * 4. Each rewritten segment is written to `.cleaned`, fsynced, renamed `.swap`, then swapped in:
 *    a crash before the rename leaves the old segment (the `.cleaned` file is discarded at open);
 *    a crash after it finishes the swap at open.
 *
 * Not done yet: Kafka keeps the last batch of each producer id even when it becomes empty (for
 * idempotent producer state, which Brook does not persist yet); here an empty batch is dropped.
 */
export interface CompactionPlan {
  readonly segments: ReadonlyArray<LogSegment>;
  /** Offsets at or above this are dirty (not cleaned before). */
  readonly firstDirtyOffset: number;
  readonly nowMs: number;
  readonly deleteRetentionMs: number;
  readonly decompressedBytesLimit: number;
}

export interface SegmentRewrite {
  readonly segment: LogSegment;
  /** Path of the finished `.swap` file that replaces the segment's `.log`. */
  readonly swapPath: string;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRemoved: number;
}

function keyOf(record: Record): string | null {
  return record.key === null ? null : record.key.toString('latin1');
}

/** Calls `visit` for every stored batch of `segment`, decoded. */
function forEachBatch(segment: LogSegment, limit: number, visit: (batch: Buffer, records: Record[]) => void): void {
  let location = segment.findBatch(-1, { position: 0, previousLastOffset: segment.baseOffset - 1 });
  while (location !== null) {
    const bytes = segment.readBatches(location, location.batchBytes);
    const decoded = decodeRecordBatch(bytes, 0, { crcChecked: true, decompressedBytesLimit: limit });
    visit(bytes, decoded.records);
    const after = { position: location.position + location.batchBytes, previousLastOffset: location.lastOffset };
    location = segment.findBatch(-1, after);
  }
}

export function buildOffsetMap(plan: CompactionPlan): Map<string, number> {
  const latest = new Map<string, number>();
  for (const segment of plan.segments) {
    if (segment.nextOffset <= plan.firstDirtyOffset) continue;
    forEachBatch(segment, plan.decompressedBytesLimit, (_bytes, records) => {
      for (const record of records) {
        const key = keyOf(record);
        if (key !== null && record.offset >= plan.firstDirtyOffset) latest.set(key, record.offset);
      }
    });
  }
  return latest;
}

/** Rewrite one segment into a `.swap` file, or return null if nothing in it would change. */
export function rewriteSegment(
  segment: LogSegment,
  latest: Map<string, number>,
  plan: CompactionPlan,
  io: FileIO,
): SegmentRewrite | null {
  const output: Buffer[] = [];
  let changed = false;
  let recordsRemoved = 0;
  let bytesAfter = 0;
  forEachBatch(segment, plan.decompressedBytesLimit, (bytes, records) => {
    const attributes = bytes.readInt16BE(ATTRIBUTES_OFFSET);
    const hasHorizon = (attributes & DELETE_HORIZON_MASK) !== 0;
    const horizonMs = hasHorizon ? readInt64(bytes, BASE_TIMESTAMP_OFFSET) : -1;
    const kept: Record[] = [];
    let tombstones = 0;
    for (const record of records) {
      const key = keyOf(record);
      const superseded = key !== null && (latest.get(key) ?? -1) > record.offset;
      const expiredTombstone = record.value === null && hasHorizon && horizonMs <= plan.nowMs;
      if (superseded || expiredTombstone) continue;
      if (record.value === null) tombstones++;
      kept.push(record);
    }
    recordsRemoved += records.length - kept.length;
    const needsHorizon = tombstones > 0 && !hasHorizon;
    if (kept.length === records.length && !needsHorizon) {
      output.push(bytes);
      bytesAfter += bytes.length;
      return;
    }
    changed = true;
    if (kept.length === 0) return;
    const header = decodeRecordBatch(bytes, 0, { crcChecked: true, decompressedBytesLimit: plan.decompressedBytesLimit }).header;
    const inputs: RecordInput[] = kept.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
      offsetDelta: record.offset - header.baseOffset,
    }));
    const rebuilt = encodeRecordBatch(inputs, {
      baseOffset: header.baseOffset,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      compression: codecName(attributes & CODEC_MASK),
      logAppendTime: (attributes & TIMESTAMP_TYPE_MASK) !== 0,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      lastOffsetDelta: header.lastOffsetDelta,
      ...(tombstones > 0 ? { deleteHorizonMs: hasHorizon ? horizonMs : plan.nowMs + plan.deleteRetentionMs } : {}),
    });
    output.push(rebuilt);
    bytesAfter += rebuilt.length;
  });
  if (!changed) return null;
  const cleanedPath = segment.paths.log + CLEANED_SUFFIX;
  const fd = io.open(cleanedPath, 'w');
  try {
    let position = 0;
    for (const batch of output) {
      io.write(fd, batch, 0, batch.length, position);
      position += batch.length;
    }
    io.datasyncSync(fd);
  } finally {
    io.close(fd);
  }
  const swapPath = segment.paths.log + SWAP_SUFFIX;
  io.rename(cleanedPath, swapPath);
  return { segment, swapPath, bytesBefore: segment.sizeBytes, bytesAfter, recordsRemoved };
}
