import { assert } from '../core/assert.js';
import { MiB } from '../core/units.js';
import {
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../records/batch-layout.js';
import { readInt64 } from '../records/int64.js';
import { validateRecordBatch } from '../records/record-batch.js';

/**
 * The first half of segment recovery: walk a segment's batches from byte 0 and check what can
 * be checked without the segment's state (length and fit, validateRecordBatch's magic, CRC-32C,
 * codec and counts, the int64 header fields). The second half, LogSegment.applyRecoveryScan,
 * checks offsets against the segment and rebuilds its indexes on the thread that owns it.
 *
 * The scan is pure apart from the reader it is given, so the same code runs inline (reading
 * through the segment's FileIO) and on a worker (recovery-scan-file.ts reads the file there).
 *
 * - The walk, its chunking and its reason strings are those LogSegment.recover has always had:
 *   chunks of RECOVERY_CHUNK_BYTES (more for a larger batch) start at the first batch that does
 *   not fit the current one, so a message that names a byte within a chunk names the same byte.
 * - What it returns crosses threads cheaply: one Float64Array of RECOVERY_BATCH_FIELDS numbers per
 *   valid batch (offsets and timestamps are below 2^53, exact as doubles), 40 bytes a batch:
 *   about 0.04% of a segment of 100 KB batches, 60% of one of minimal 61-byte batches.
 * - The walk stops at the first failure; a batch after a failure is never described.
 */

/** Read size when recovery walks a whole segment. */
export const RECOVERY_CHUNK_BYTES = 8 * MiB;

/** Numbers per batch in RecoveryScan.batches, at these indexes. */
export const RECOVERY_BATCH_FIELDS = 5;
export const SCANNED_POSITION = 0;
export const SCANNED_BYTES = 1;
export const SCANNED_BASE_OFFSET = 2;
export const SCANNED_LAST_OFFSET = 3;
export const SCANNED_MAX_TIMESTAMP = 4;

const BATCHES_CAPACITY_INITIAL = 256;

export interface RecoveryScan {
  /** Bytes of the file the scan walked (the segment's size when it was asked for). */
  readonly scannedBytes: number;
  readonly batchCount: number;
  /** batchCount × RECOVERY_BATCH_FIELDS numbers; standalone, so it can be transferred. */
  readonly batches: Float64Array<ArrayBuffer>;
  /** One past the last valid batch: where the walk stopped. */
  readonly validBytes: number;
  /** Why the walk stopped before scannedBytes (`byte N: …`), or null when every byte is valid. */
  readonly reason: string | null;
  /**
   * The offsets of the batch at validBytes when it failed only after they were read (its
   * maxTimestamp is outside ±2^53): recovery checks them first, and an offset error there wins
   * over `reason`, as it always has. NaN otherwise.
   */
  readonly failedBaseOffset: number;
  readonly failedLastOffset: number;
}

/** `length` bytes at `position`; the Buffer returned need only stay valid until the next call. */
export type RecoveryRead = (position: number, length: number) => Buffer;

/** Runs recovery scans away from the calling thread (a worker pool); storage does not know how. */
export interface RecoveryScanner {
  /**
   * A scan of the first `fileBytes` bytes of the segment file at `path`, or null when the caller
   * should scan it inline (too small to be worth a hand-off, or no workers).
   */
  scanSegment(path: string, fileBytes: number): Promise<RecoveryScan> | null;
}

/** A Float64Array that doubles as batches are added. */
class BatchList {
  #values = new Float64Array(BATCHES_CAPACITY_INITIAL * RECOVERY_BATCH_FIELDS);
  count = 0;

  add(position: number, batchBytes: number, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    let at = this.count * RECOVERY_BATCH_FIELDS;
    if (at + RECOVERY_BATCH_FIELDS > this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    const values = this.#values;
    values[at++] = position;
    values[at++] = batchBytes;
    values[at++] = baseOffset;
    values[at++] = lastOffset;
    values[at] = maxTimestamp;
    this.count++;
  }

  /** The batches in an ArrayBuffer of their own size. */
  take(): Float64Array<ArrayBuffer> {
    return this.#values.slice(0, this.count * RECOVERY_BATCH_FIELDS);
  }
}

/** Walk the first `fileBytes` bytes from `read` as recovery does; see the module comment. */
export function scanForRecovery(fileBytes: number, read: RecoveryRead): RecoveryScan {
  assert(Number.isSafeInteger(fileBytes) && fileBytes >= 0, `bad segment size ${fileBytes}`);
  const batches = new BatchList();
  let position = 0;
  let reason: string | null = null;
  let failedBaseOffset = Number.NaN;
  let failedLastOffset = Number.NaN;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = 0;
  const ensure = (bytes: number): number => {
    if (position + bytes > chunkStart + chunk.length) {
      chunkStart = position;
      const length = Math.min(Math.max(bytes, RECOVERY_CHUNK_BYTES), fileBytes - position);
      chunk = read(position, length);
      assert(chunk.length === length, `recovery read ${chunk.length} of ${length} bytes at ${position}`);
    }
    return position - chunkStart;
  };
  while (position < fileBytes) {
    if (fileBytes - position < RECORD_BATCH_OVERHEAD) {
      reason = `byte ${position}: partial batch header`;
      break;
    }
    let at = ensure(RECORD_BATCH_OVERHEAD);
    const declared = chunk.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    if (declared < RECORD_BATCH_OVERHEAD || declared > fileBytes - position) {
      reason = `byte ${position}: batch length ${declared - LOG_OVERHEAD} does not fit the ${fileBytes - position} bytes left`;
      break;
    }
    at = ensure(declared);
    try {
      validateRecordBatch(chunk, at, at + declared);
      const baseOffset = readInt64(chunk, at);
      const lastOffset = baseOffset + chunk.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
      failedBaseOffset = baseOffset;
      failedLastOffset = lastOffset;
      const maxTimestamp = readInt64(chunk, at + MAX_TIMESTAMP_OFFSET);
      batches.add(position, declared, baseOffset, lastOffset, maxTimestamp);
      failedBaseOffset = Number.NaN;
      failedLastOffset = Number.NaN;
    } catch (error) {
      reason = `byte ${position}: ${(error as Error).message}`;
      break;
    }
    position += declared;
  }
  return {
    scannedBytes: fileBytes,
    batchCount: batches.count,
    batches: batches.take(),
    validBytes: position,
    reason,
    failedBaseOffset,
    failedLastOffset,
  };
}

/** Scan a segment held in memory (tests, and callers that already have the bytes). */
export function scanBytesForRecovery(bytes: Buffer): RecoveryScan {
  return scanForRecovery(bytes.length, (position, length) => bytes.subarray(position, position + length));
}
