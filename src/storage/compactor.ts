import { CorruptSegmentError, EngineError, StorageError } from '../core/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CODEC_MASK,
  DELETE_HORIZON_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
} from '../records/batch-layout.js';
import { codecName } from '../records/compression.js';
import { readInt64 } from '../records/int64.js';
import { decodeRecordBatch, encodeRecordBatch, validateRecordBatch } from '../records/record-batch.js';
import type { Record, RecordInput } from '../records/record.js';
import type { FileIO } from './file-io.js';
import { CLEANED_SUFFIX } from './file-names.js';
import { RECOVERY_CHUNK_BYTES, scanForRecovery, type RecoveryScan } from './recovery-scan.js';
import { recoveryReader } from './recovery-scan-file.js';

/**
 * Log compaction for cleanup.policy=compact (Kafka's LogCleaner, one pass, one partition), as a
 * job over segment FILES: it needs no LogSegment, so the same code runs on the log's thread
 * (through the log's FileIO) or on a worker (pool/compaction-task.ts, node:fs). The log plans the
 * job and applies its outcome (Log.compact); the job only reads segments and writes new files.
 *
 * 1. Build a map key → latest offset over the dirty section (from the cleaner checkpoint up to
 *    the first uncleanable segment: the active segment, or one newer than min.compaction.lag.ms).
 * 2. Rewrite every cleanable segment: a record survives unless the map holds a later offset for
 *    its key. Offsets never change; a batch keeps its base offset, lastOffsetDelta, producer
 *    fields and codec. A batch that loses nothing is copied byte for byte.
 * 3. Tombstones (null values) stay for delete.retention.ms: the first rewrite of a batch holding
 *    one stamps the delete horizon (now + delete.retention.ms) into baseTimestamp with attribute
 *    bit 6 (KIP-534); a later pass past the horizon drops them.
 * 4. A segment that changes is written to `<segment>.log.cleaned` and fsynced; a segment where
 *    nothing changes gets no file. The job ends there and reports, per file, a recovery scan of
 *    what it wrote (read back, so the log need not read it again). The log then renames each to
 *    `.swap` and swaps it in: a crash before that rename leaves the old segment (`.cleaned` files
 *    are discarded at open); a crash after it finishes the swap at open.
 *
 * Every batch read is CRC-checked and its offsets checked against its segment; a damaged segment
 * fails the job with CorruptSegmentError before anything is swapped (a failed read or write with
 * StorageError). Not done yet: Kafka keeps the last batch of each producer id even when it
 * becomes empty (for idempotent producer state, which Brook does not persist yet); here an empty
 * batch is dropped.
 */
export interface CompactionSegment {
  readonly path: string;
  readonly baseOffset: number;
  /** The segment's size when the job was planned (inactive segments do not grow). */
  readonly fileBytes: number;
  /** One past the segment's last offset. */
  readonly nextOffset: number;
  /**
   * LogSegment.largestTimestamp() when planned: it becomes the cleaned file's modification time,
   * which is what a segment left with no records reports (min.compaction.lag.ms and retention.ms
   * read it), as Kafka's cleaner keeps a cleaned segment's lastModified.
   */
  readonly largestTimestamp: number;
}

export interface CompactionJob {
  /** The cleanable segments, oldest first. */
  readonly segments: ReadonlyArray<CompactionSegment>;
  /** Offsets at or above this are dirty (not cleaned before). */
  readonly firstDirtyOffset: number;
  readonly nowMs: number;
  readonly deleteRetentionMs: number;
  readonly decompressedBytesLimit: number;
}

export interface CleanedSegment {
  readonly baseOffset: number;
  /** The finished, fsynced `.cleaned` file that is to replace the segment's `.log`. */
  readonly cleanedPath: string;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRemoved: number;
  /** Recovery scan of the cleaned file, for LogSegment.applyRecoveryScan. */
  readonly scan: RecoveryScan;
}

export interface CompactionOutcome {
  /** Segments that changed, oldest first. */
  readonly cleaned: ReadonlyArray<CleanedSegment>;
  /** Distinct keys in the dirty section. */
  readonly dirtyKeys: number;
}

/** Runs compaction jobs away from the log's thread (a worker pool); storage does not know how. */
export interface CompactionRunner {
  /** The job's outcome, or null when the caller should run it inline (too small, or no workers). */
  compactSegments(job: CompactionJob): Promise<CompactionOutcome> | null;
}

/** Total bytes a job reads at least once. */
export function compactionJobBytes(job: CompactionJob): number {
  let total = 0;
  for (const segment of job.segments) total += segment.fileBytes;
  return total;
}

export function runCompaction(job: CompactionJob, io: FileIO): CompactionOutcome {
  try {
    return compactFiles(job, io);
  } catch (error) {
    // A failed read or write (ENOSPC, EIO): typed the same whether the pass ran here or on a
    // worker. Anything else (an EngineError, a bug) passes as it is.
    const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
    if (error instanceof EngineError || typeof code !== 'string') throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new StorageError('STORAGE_ERROR', `compaction stopped, nothing was swapped: ${detail}`, { retriable: true, cause: error });
  }
}

function compactFiles(job: CompactionJob, io: FileIO): CompactionOutcome {
  const latest = buildOffsetMap(job, io);
  const cleaned: CleanedSegment[] = [];
  try {
    for (const segment of job.segments) {
      const result = rewriteSegment(segment, latest, job, io);
      if (result !== null) cleaned.push(result);
    }
  } catch (error) {
    for (const done of cleaned) removeQuietly(io, done.cleanedPath);
    throw error;
  }
  return { cleaned, dirtyKeys: latest.size };
}

function keyOf(record: Record): string | null {
  return record.key === null ? null : record.key.toString('latin1');
}

/**
 * Calls `visit` with every batch of a segment file, in order, CRC-checked, with its offsets
 * checked against the segment (baseOffset lies outside the CRC): each batch starts above the
 * previous one's last offset, at or above the segment's base offset, and ends below its
 * nextOffset. The batch is a view of a scratch buffer that the next read reuses: valid until
 * `visit` returns.
 */
function forEachFileBatch(
  segment: CompactionSegment,
  io: FileIO,
  visit: (batch: Buffer, position: number) => void,
): void {
  const fd = io.open(segment.path, 'r');
  try {
    const read = recoveryReader(io, fd, segment.path);
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    let position = 0;
    let previousLastOffset = segment.baseOffset - 1;
    const ensure = (bytes: number): number => {
      if (position + bytes > chunkStart + chunk.length) {
        chunkStart = position;
        chunk = read(position, Math.min(Math.max(bytes, RECOVERY_CHUNK_BYTES), segment.fileBytes - position));
      }
      return position - chunkStart;
    };
    while (position < segment.fileBytes) {
      const left = segment.fileBytes - position;
      if (left < RECORD_BATCH_OVERHEAD) throw damaged(segment, position, `${left} bytes left, under a batch header`);
      let at = ensure(RECORD_BATCH_OVERHEAD);
      const batchBytes = chunk.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      if (batchBytes < RECORD_BATCH_OVERHEAD || batchBytes > left) {
        throw damaged(segment, position, `batch of ${batchBytes} bytes does not fit the ${left} bytes left`);
      }
      at = ensure(batchBytes);
      let baseOffset: number;
      try {
        validateRecordBatch(chunk, at, at + batchBytes);
        baseOffset = readInt64(chunk, at);
      } catch (error) {
        throw damaged(segment, position, error instanceof Error ? error.message : String(error));
      }
      const lastOffset = baseOffset + chunk.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
      if (baseOffset <= previousLastOffset || lastOffset >= segment.nextOffset) {
        throw damaged(
          segment,
          position,
          `batch offsets ${baseOffset}..${lastOffset} do not follow ${previousLastOffset} within [${segment.baseOffset}, ${segment.nextOffset})`,
        );
      }
      previousLastOffset = lastOffset;
      visit(chunk.subarray(at, at + batchBytes), position);
      position += batchBytes;
    }
  } finally {
    io.close(fd);
  }
}

function damaged(segment: CompactionSegment, position: number, why: string): CorruptSegmentError {
  return new CorruptSegmentError(
    'CORRUPT_SEGMENT',
    `compaction stopped: segment ${segment.path} is damaged at byte ${position} (${why}); ` +
      'nothing was swapped; run `brook verify` on the data directory, or reopen the log to recover it',
  );
}

function buildOffsetMap(job: CompactionJob, io: FileIO): Map<string, number> {
  const latest = new Map<string, number>();
  for (const segment of job.segments) {
    if (segment.nextOffset <= job.firstDirtyOffset) continue;
    forEachFileBatch(segment, io, (batch) => {
      const { records } = decodeRecordBatch(batch, 0, { crcChecked: true, decompressedBytesLimit: job.decompressedBytesLimit });
      for (const record of records) {
        const key = keyOf(record);
        if (key !== null && record.offset >= job.firstDirtyOffset) latest.set(key, record.offset);
      }
    });
  }
  return latest;
}

/**
 * Rewrite one segment into `<log>.cleaned`, or return null if nothing in it would change. The
 * file is opened at the first batch that changes; the unchanged batches before it are copied then.
 */
function rewriteSegment(
  segment: CompactionSegment,
  latest: Map<string, number>,
  job: CompactionJob,
  io: FileIO,
): CleanedSegment | null {
  const cleanedPath = segment.path + CLEANED_SUFFIX;
  let fd: number | null = null;
  let written = 0;
  let recordsRemoved = 0;
  const write = (bytes: Buffer): void => {
    io.write(fd!, bytes, 0, bytes.length, written);
    written += bytes.length;
  };
  try {
    forEachFileBatch(segment, io, (batch, position) => {
      const rebuilt = compactBatch(batch, latest, job);
      if (rebuilt === null) {
        if (fd !== null) write(batch);
        return;
      }
      recordsRemoved += rebuilt.removed;
      if (fd === null) {
        fd = io.open(cleanedPath, 'w');
        copyPrefix(segment, io, fd, position);
        written = position;
      }
      if (rebuilt.bytes !== null) write(rebuilt.bytes);
    });
    if (fd === null) return null;
    // Set before the sync. fdatasync need not persist an mtime; if a crash loses it, an emptied
    // segment looks as new as its rewrite until the next pass rewrites nothing in it: a delay.
    io.setMtimeMs(cleanedPath, Math.max(0, segment.largestTimestamp));
    io.datasyncSync(fd);
  } catch (error) {
    if (fd !== null) {
      io.close(fd);
      fd = null;
      removeQuietly(io, cleanedPath);
    }
    throw error;
  } finally {
    if (fd !== null) io.close(fd);
  }
  const readFd = io.open(cleanedPath, 'r');
  let scan: RecoveryScan;
  try {
    scan = scanForRecovery(written, recoveryReader(io, readFd, cleanedPath));
  } finally {
    io.close(readFd);
  }
  if (scan.reason !== null) {
    removeQuietly(io, cleanedPath);
    throw new CorruptSegmentError('CORRUPT_SEGMENT', `compaction wrote ${cleanedPath} but it does not read back: ${scan.reason}`);
  }
  return { baseOffset: segment.baseOffset, cleanedPath, bytesBefore: segment.fileBytes, bytesAfter: written, recordsRemoved, scan };
}

/** Null when nothing in the batch changes; else what replaces it (null bytes: nothing). */
function compactBatch(
  batch: Buffer,
  latest: Map<string, number>,
  job: CompactionJob,
): { readonly bytes: Buffer | null; readonly removed: number } | null {
  const decoded = decodeRecordBatch(batch, 0, { crcChecked: true, decompressedBytesLimit: job.decompressedBytesLimit });
  const { header, records } = decoded;
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const hasHorizon = (attributes & DELETE_HORIZON_MASK) !== 0;
  const horizonMs = hasHorizon ? readInt64(batch, BASE_TIMESTAMP_OFFSET) : -1;
  const kept: Record[] = [];
  let tombstones = 0;
  for (const record of records) {
    const key = keyOf(record);
    const superseded = key !== null && (latest.get(key) ?? -1) > record.offset;
    const expiredTombstone = record.value === null && hasHorizon && horizonMs <= job.nowMs;
    if (superseded || expiredTombstone) continue;
    if (record.value === null) tombstones++;
    kept.push(record);
  }
  const needsHorizon = tombstones > 0 && !hasHorizon;
  if (kept.length === records.length && !needsHorizon) return null;
  const removed = records.length - kept.length;
  if (kept.length === 0) return { bytes: null, removed };
  const inputs: RecordInput[] = kept.map((record) => ({
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
    offsetDelta: record.offset - header.baseOffset,
  }));
  const bytes = encodeRecordBatch(inputs, {
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression: codecName(attributes & CODEC_MASK),
    logAppendTime: (attributes & TIMESTAMP_TYPE_MASK) !== 0,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    lastOffsetDelta: header.lastOffsetDelta,
    ...(tombstones > 0 ? { deleteHorizonMs: hasHorizon ? horizonMs : job.nowMs + job.deleteRetentionMs } : {}),
  });
  return { bytes, removed };
}

/** Copy the segment's first `bytes` bytes (batches that did not change) to the start of `fd`. */
function copyPrefix(segment: CompactionSegment, io: FileIO, fd: number, bytes: number): void {
  if (bytes === 0) return;
  const source = io.open(segment.path, 'r');
  try {
    const read = recoveryReader(io, source, segment.path);
    for (let position = 0; position < bytes; ) {
      const chunk = read(position, Math.min(RECOVERY_CHUNK_BYTES, bytes - position));
      io.write(fd, chunk, 0, chunk.length, position);
      position += chunk.length;
    }
  } finally {
    io.close(source);
  }
}

/** Remove a file this job wrote, if it is there (used when a job fails or is abandoned). */
export function removeQuietly(io: FileIO, path: string): void {
  try {
    if (io.exists(path)) io.unlink(path);
  } catch {
    // Best effort: a leftover `.cleaned` file is discarded at the next open.
  }
}
