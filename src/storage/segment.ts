import { assert } from '../core/assert.js';
import { CorruptRecordError, CorruptSegmentError } from '../core/errors.js';
import { INT32_MAX, KiB } from '../core/units.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_COVERED_OFFSET,
  CRC_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  TIMESTAMP_TYPE_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../records/batch-layout.js';
import { crc32c } from '../records/crc32c.js';
import { readInt64, writeInt64 } from '../records/int64.js';
import { validateRecordBatch } from '../records/record-batch.js';
import type { FileIO } from './file-io.js';
import { segmentPaths, type SegmentPaths } from './file-names.js';
import { OffsetIndex } from './offset-index.js';
import {
  RECOVERY_BATCH_FIELDS,
  SCANNED_BASE_OFFSET,
  SCANNED_BYTES,
  SCANNED_LAST_OFFSET,
  SCANNED_MAX_TIMESTAMP,
  SCANNED_POSITION,
  scanForRecovery,
  type RecoveryScan,
} from './recovery-scan.js';
import { recoveryReader } from './recovery-scan-file.js';
import { TimeIndex } from './time-index.js';

/**
 * One segment: a `.log` file of record batches back to back, with its sparse `.index` and
 * `.timeindex`.
 *
 * Writes are memory-mapped in style: the active segment copies each appended batch into a
 * preallocated write buffer (a memcpy) and writes the buffer to the file in large positional
 * writes (`drain`). Bytes not yet drained are served to readers straight from the buffer. Once a
 * slice of the buffer has been handed to a reader, the next drain starts a fresh buffer instead of
 * overwriting it, so a slice stays valid for as long as its holder keeps it.
 *
 * Invariants:
 * - fileBytes ≤ sizeBytes; bytes [fileBytes, sizeBytes) are in the write buffer.
 * - batches are whole and back to back in [0, sizeBytes); their offsets increase strictly and
 *   lie in [baseOffset, nextOffset).
 * - every index entry points at a batch start below sizeBytes.
 *
 * Not thread-safe: a segment has exactly one writer, its log.
 */

/** Read size when walking batch headers from an index position. */
const SCAN_CHUNK_BYTES = 16 * KiB;

export interface SegmentSettings {
  readonly indexIntervalBytes: number;
  readonly indexBytesMax: number;
  readonly writeBufferBytes: number;
  /** min(segment.jitter.ms, segment.ms): each segment draws its roll jitter below this, once. */
  readonly rollJitterMsMax: number;
}

/** Where a batch is, as found by a header scan. */
export interface BatchLocation {
  readonly position: number;
  readonly batchBytes: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

/** Offsets and stamps the log assigns to a batch as it is appended. */
export interface AssignedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The batch's max timestamp as stored (the append time for LogAppendTime logs). */
  readonly maxTimestamp: number;
  readonly leaderEpoch: number;
  /** -1 for CreateTime logs. */
  readonly logAppendTimeMs: number;
}

/** Where a header scan starts (see LogSegment.findBatch). */
export interface ScanStart {
  readonly position: number;
  /** Last offset of the batch before `position` (baseOffset − 1 at position 0); null when unknown. */
  readonly previousLastOffset: number | null;
  /** The last offset the offset index records for the batch at `position`. */
  readonly expectedLastOffset?: number;
}

/** What can be rolled back if a drain of the write buffer fails. */
export interface SegmentState {
  readonly sizeBytes: number;
  readonly nextOffset: number;
  readonly bytesSinceLastIndexEntry: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestamp: number;
  readonly firstBatchTimestamp: number;
  readonly offsetIndexEntries: number;
  readonly timeIndexEntries: number;
}

export interface RecoveryResult {
  readonly validBytes: number;
  readonly truncatedBytes: number;
  readonly reason: string | null;
}

export class LogSegment {
  readonly paths: SegmentPaths;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly createdAtMs: number;
  /** Kafka's per-segment jitter, subtracted from segment.ms so that partitions do not roll together. */
  readonly rollJitterMs: number;
  #fd: number;
  #sizeBytes: number;
  #fileBytes: number;
  #buffer: Buffer | null = null;
  #bufferExposed = false;
  #nextOffset: number;
  #bytesSinceLastIndexEntry = 0;
  #maxTimestamp = -1;
  #offsetOfMaxTimestamp: number;
  #firstBatchTimestamp = -1;
  #closed = false;
  /** fdatasyncs of the log file queued on the libuv pool (datasyncFile), and a close() waiting for them. */
  #syncsInFlight = 0;
  #closeDeferred = false;
  /**
   * Without compaction a segment's batches are back to back in offsets too: each baseOffset is the
   * previous lastOffset + 1, the first is the segment's base. Compaction may leave gaps, so the log
   * clears this for segments below its cleaner checkpoint.
   */
  offsetsContiguous = true;

  private constructor(
    readonly directory: string,
    readonly baseOffset: number,
    private readonly settings: SegmentSettings,
    private readonly io: FileIO,
    fd: number,
    sizeBytes: number,
    nowMs: number,
  ) {
    this.paths = segmentPaths(directory, baseOffset);
    this.offsetIndex = new OffsetIndex(this.paths.index, baseOffset, settings.indexBytesMax, io);
    this.timeIndex = new TimeIndex(this.paths.timeIndex, baseOffset, settings.indexBytesMax, io);
    this.#fd = fd;
    this.#sizeBytes = sizeBytes;
    this.#fileBytes = sizeBytes;
    this.#nextOffset = baseOffset;
    this.#offsetOfMaxTimestamp = baseOffset;
    this.createdAtMs = nowMs;
    this.rollJitterMs = settings.rollJitterMsMax > 0 ? Math.floor(Math.random() * settings.rollJitterMsMax) : 0;
  }

  /** A new, empty segment. Refuses to reuse a non-empty file of the same name. */
  static create(directory: string, baseOffset: number, settings: SegmentSettings, io: FileIO, nowMs: number): LogSegment {
    const paths = segmentPaths(directory, baseOffset);
    const fd = io.open(paths.log, io.exists(paths.log) ? 'r+' : 'w+');
    if (io.size(fd) !== 0) {
      io.close(fd);
      throw new CorruptSegmentError('CORRUPT_SEGMENT', `cannot create segment ${paths.log}: a non-empty file exists`);
    }
    for (const path of [paths.index, paths.timeIndex]) io.unlink(path);
    return new LogSegment(directory, baseOffset, settings, io, fd, 0, nowMs);
  }

  /** An existing segment file; its indexes are loaded or rebuilt by the log. */
  static open(directory: string, baseOffset: number, settings: SegmentSettings, io: FileIO, nowMs: number): LogSegment {
    const paths = segmentPaths(directory, baseOffset);
    const fd = io.open(paths.log, 'r+');
    const segment = new LogSegment(directory, baseOffset, settings, io, fd, io.size(fd), nowMs);
    return segment;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  get fileBytes(): number {
    return this.#fileBytes;
  }

  /** One past the last offset stored here; baseOffset when empty. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  get maxTimestamp(): number {
    return this.#maxTimestamp;
  }

  get offsetOfMaxTimestamp(): number {
    return this.#offsetOfMaxTimestamp;
  }

  get isEmpty(): boolean {
    return this.#sizeBytes === 0;
  }

  /** Largest record timestamp, or the file's mtime when no record carries one (retention). */
  largestTimestamp(): number {
    return this.#maxTimestamp >= 0 ? this.#maxTimestamp : this.io.mtimeMs(this.paths.log);
  }

  /** Kafka's roll rules, checked before appending `batchBytes` whose last offset is `lastOffset`. */
  shouldRoll(batchBytes: number, lastOffset: number, batchMaxTimestamp: number, nowMs: number, segmentBytes: number, segmentMs: number): boolean {
    if (this.#sizeBytes > segmentBytes - batchBytes) return true;
    if (this.#sizeBytes > 0) {
      const waitedMs =
        this.#firstBatchTimestamp >= 0 ? batchMaxTimestamp - this.#firstBatchTimestamp : nowMs - this.createdAtMs;
      if (waitedMs > segmentMs - this.rollJitterMs) return true;
    }
    if (this.offsetIndex.isFull() || this.timeIndex.isFull()) return true;
    const relative = lastOffset - this.baseOffset;
    return relative > INT32_MAX || relative < 0;
  }

  snapshot(): SegmentState {
    return {
      sizeBytes: this.#sizeBytes,
      nextOffset: this.#nextOffset,
      bytesSinceLastIndexEntry: this.#bytesSinceLastIndexEntry,
      maxTimestamp: this.#maxTimestamp,
      offsetOfMaxTimestamp: this.#offsetOfMaxTimestamp,
      firstBatchTimestamp: this.#firstBatchTimestamp,
      offsetIndexEntries: this.offsetIndex.entries,
      timeIndexEntries: this.timeIndex.entries,
    };
  }

  /** Undo appends that were never drained to the file. */
  restore(state: SegmentState): void {
    assert(state.sizeBytes >= this.#fileBytes, 'cannot roll back bytes already written to the file');
    this.#sizeBytes = state.sizeBytes;
    this.#nextOffset = state.nextOffset;
    this.#bytesSinceLastIndexEntry = state.bytesSinceLastIndexEntry;
    this.#maxTimestamp = state.maxTimestamp;
    this.#offsetOfMaxTimestamp = state.offsetOfMaxTimestamp;
    this.#firstBatchTimestamp = state.firstBatchTimestamp;
    this.offsetIndex.truncateToEntries(state.offsetIndexEntries);
    this.timeIndex.truncateToEntries(state.timeIndexEntries);
  }

  /**
   * Copy a validated batch into the write buffer, then assign it in the copy: baseOffset (bytes
   * 0..7) and the leader epoch (12..15), both outside the CRC, so the CRC is not recomputed.
   * A LogAppendTime log also stamps maxTimestamp and the timestamp-type bit, which the CRC covers,
   * so only then is the CRC recomputed. The caller's buffer is never modified.
   * Returns the batch's position in the segment.
   */
  append(batch: Buffer, assigned: AssignedBatch): number {
    assert(!this.#closed, `segment ${this.paths.log} is closed`);
    assert(assigned.baseOffset >= this.#nextOffset, `offset ${assigned.baseOffset} is below ${this.#nextOffset}`);
    assert(assigned.lastOffset - this.baseOffset <= INT32_MAX, 'relative offset overflow must roll first');
    const position = this.#sizeBytes;
    const at = this.#copyIntoBuffer(batch);
    const copy = this.#buffer!;
    writeInt64(copy, assigned.baseOffset, at);
    copy.writeInt32BE(assigned.leaderEpoch, at + PARTITION_LEADER_EPOCH_OFFSET);
    if (assigned.logAppendTimeMs >= 0) {
      writeInt64(copy, assigned.logAppendTimeMs, at + MAX_TIMESTAMP_OFFSET);
      copy.writeInt16BE(copy.readInt16BE(at + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, at + ATTRIBUTES_OFFSET);
      copy.writeUInt32BE(crc32c(copy, at + CRC_COVERED_OFFSET, at + batch.length), at + CRC_OFFSET);
    }
    this.#indexBatch(position, batch.length, assigned.lastOffset, assigned.maxTimestamp);
    return position;
  }

  /** Returns where in the write buffer the batch was copied. */
  #copyIntoBuffer(batch: Buffer): number {
    let used = this.#sizeBytes - this.#fileBytes;
    if (this.#buffer === null || this.#buffer.length - used < batch.length) {
      if (used > 0) this.drain();
      used = 0;
      if (this.#buffer === null || this.#bufferExposed || this.#buffer.length < batch.length) {
        this.#buffer = Buffer.allocUnsafeSlow(Math.max(this.settings.writeBufferBytes, batch.length));
        this.#bufferExposed = false;
      }
    }
    batch.copy(this.#buffer, used);
    this.#sizeBytes += batch.length;
    return used;
  }

  /** Kafka's index rule: an entry once more than index.interval.bytes built up since the last. */
  #indexBatch(position: number, batchBytes: number, lastOffset: number, batchMaxTimestamp: number): void {
    if (this.#firstBatchTimestamp < 0 && position === 0) this.#firstBatchTimestamp = batchMaxTimestamp;
    if (batchMaxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = batchMaxTimestamp;
      this.#offsetOfMaxTimestamp = lastOffset;
    }
    if (this.#bytesSinceLastIndexEntry > this.settings.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += batchBytes;
    this.#nextOffset = lastOffset + 1;
  }

  /** Bytes appended but not yet written to the file. */
  get pendingBytes(): number {
    return this.#sizeBytes - this.#fileBytes;
  }

  /**
   * Write the buffered bytes to the file in one positional write. On failure the file is cut
   * back to what it held before and the error is rethrown; the caller rolls the state back.
   */
  drain(): void {
    const pending = this.#sizeBytes - this.#fileBytes;
    if (pending === 0) return;
    const buffer = this.#buffer;
    assert(buffer !== null, 'pending bytes without a write buffer');
    try {
      this.io.write(this.#fd, buffer, 0, pending, this.#fileBytes);
    } catch (error) {
      try {
        this.io.truncate(this.#fd, this.#fileBytes);
      } catch {
        // The torn bytes past fileBytes are a torn tail; recovery cuts them at the next open.
      }
      throw error;
    }
    this.#fileBytes = this.#sizeBytes;
    if (this.#bufferExposed) {
      this.#buffer = null;
      this.#bufferExposed = false;
    }
  }

  /**
   * `length` bytes at `position`, from the file or the write buffer. Slices of the buffer are
   * handed out without copying; file bytes are read into a new Buffer.
   */
  read(position: number, length: number): Buffer {
    assert(position >= 0 && length >= 0, `bad read ${position}+${length}`);
    assert(position + length <= this.#sizeBytes, `read ${position}+${length} past segment size ${this.#sizeBytes}`);
    if (position >= this.#fileBytes) {
      const start = position - this.#fileBytes;
      this.#bufferExposed = true;
      return this.#buffer!.subarray(start, start + length);
    }
    const output = Buffer.allocUnsafe(length);
    const fromFile = Math.min(length, this.#fileBytes - position);
    const count = this.io.read(this.#fd, output, 0, fromFile, position);
    if (count !== fromFile) {
      throw new CorruptSegmentError(
        'CORRUPT_SEGMENT',
        `segment ${this.paths.log} is shorter than expected: read ${count} of ${fromFile} bytes at ${position}`,
      );
    }
    if (fromFile < length) this.#buffer!.copy(output, fromFile, 0, length - fromFile);
    return output;
  }

  /**
   * Where a header scan starts: a batch position, the last offset of the batch before it (-1 when
   * unknown), and, when the position came from the offset index, the last offset that the index
   * says the batch there holds.
   */
  #scanStart(targetOffset: number): ScanStart {
    const entry = this.offsetIndex.lookupEntry(targetOffset);
    if (entry === null) return { position: 0, previousLastOffset: this.baseOffset - 1 };
    return { position: entry.position, previousLastOffset: null, expectedLastOffset: entry.offset };
  }

  /**
   * Check a batch's offsets against what must hold: within the segment, after the previous batch,
   * and — unless compaction may have left gaps in this segment — exactly after it. baseOffset lies
   * outside the CRC, so this is what catches a damaged baseOffset.
   */
  #checkOffsets(position: number, baseOffset: number, lastOffset: number, previousLastOffset: number | null): void {
    const known = previousLastOffset !== null;
    const contiguousBreak = known && this.offsetsContiguous && baseOffset !== previousLastOffset + 1;
    const outOfOrder = known && baseOffset <= previousLastOffset;
    if (baseOffset < this.baseOffset || lastOffset < baseOffset || outOfOrder || contiguousBreak) {
      throw this.#corrupt(position, `offsets ${baseOffset}..${lastOffset} after ${previousLastOffset}`);
    }
  }

  /**
   * Walk batch headers to the first batch whose last offset is ≥ `targetOffset`, from the offset
   * index's floor entry unless told where to start. Checks each header's length, magic and offsets;
   * returns null when no batch qualifies, CorruptSegmentError when a header is damaged.
   */
  findBatch(targetOffset: number, start: ScanStart = this.#scanStart(targetOffset)): BatchLocation | null {
    let chunk: Buffer | null = null;
    let chunkStart = 0;
    let position = start.position;
    let previousLastOffset: number | null = start.previousLastOffset;
    let expectedLastOffset = start.expectedLastOffset ?? -1;
    while (position < this.#sizeBytes) {
      if (chunk === null || position + RECORD_BATCH_OVERHEAD > chunkStart + chunk.length) {
        if (this.#sizeBytes - position < RECORD_BATCH_OVERHEAD) throw this.#corrupt(position, 'a partial batch header');
        chunkStart = position;
        chunk = this.read(position, Math.min(SCAN_CHUNK_BYTES, this.#sizeBytes - position));
      }
      const at = position - chunkStart;
      const batchBytes = chunk.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      if (batchBytes < RECORD_BATCH_OVERHEAD || position + batchBytes > this.#sizeBytes) {
        throw this.#corrupt(position, `batch length ${batchBytes - LOG_OVERHEAD}`);
      }
      if (chunk[at + MAGIC_OFFSET] !== MAGIC_V2) throw this.#corrupt(position, `magic ${chunk[at + MAGIC_OFFSET]}`);
      let baseOffset: number;
      let maxTimestamp: number;
      try {
        baseOffset = readInt64(chunk, at);
        maxTimestamp = readInt64(chunk, at + MAX_TIMESTAMP_OFFSET);
      } catch {
        throw this.#corrupt(position, 'an int64 header field outside ±2^53');
      }
      const lastOffset = baseOffset + chunk.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
      this.#checkOffsets(position, baseOffset, lastOffset, previousLastOffset);
      if (expectedLastOffset >= 0 && lastOffset !== expectedLastOffset) {
        throw this.#corrupt(position, `last offset ${lastOffset} where the index says ${expectedLastOffset}`);
      }
      expectedLastOffset = -1;
      previousLastOffset = lastOffset;
      if (lastOffset >= targetOffset) return { position, batchBytes, baseOffset, lastOffset, maxTimestamp };
      position += batchBytes;
    }
    return null;
  }

  #corrupt(position: number, what: string): CorruptSegmentError {
    return new CorruptSegmentError('CORRUPT_SEGMENT', `segment ${this.paths.log} has ${what} at byte ${position}`);
  }

  /**
   * Whole batches from the batch `location` found, up to `maxBytes` (at least one batch, however
   * large), each CRC-checked and offset-checked. A corrupt batch ends the result; if it is the
   * first, CorruptSegmentError: a corrupt byte is never served.
   */
  readBatches(location: BatchLocation, maxBytes: number): Buffer {
    const position = location.position;
    assert(position < this.#sizeBytes, `read position ${position} at or past segment end`);
    const wanted = Math.max(maxBytes, location.batchBytes);
    const data = this.read(position, Math.min(wanted, this.#sizeBytes - position));
    let end = 0;
    let previousLastOffset = location.baseOffset - 1;
    while (end < data.length) {
      if (data.length - end < RECORD_BATCH_OVERHEAD) break;
      const declared = data.readInt32BE(end + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      if (declared > data.length - end && end > 0) break; // a trailing batch cut by maxBytes
      try {
        const batchBytes = validateRecordBatch(data, end, data.length);
        const baseOffset = readInt64(data, end);
        const lastOffset = baseOffset + data.readInt32BE(end + LAST_OFFSET_DELTA_OFFSET);
        this.#checkOffsets(position + end, baseOffset, lastOffset, previousLastOffset);
        previousLastOffset = lastOffset;
        end += batchBytes;
      } catch (error) {
        if (end > 0) break;
        if (error instanceof CorruptRecordError || error instanceof CorruptSegmentError) {
          throw new CorruptSegmentError(
            'CORRUPT_SEGMENT',
            `segment ${this.paths.log}: stored batch at byte ${position} is corrupt and is not served (${error.message})`,
            { cause: error },
          );
        }
        throw error;
      }
    }
    return data.subarray(0, end);
  }

  /**
   * Validate every batch (length, magic, CRC, offsets) from the start, rebuild both indexes as
   * appends would have built them, and cut the file at the first invalid byte when `truncate`
   * (a torn tail). Without `truncate` the bytes stay, to be refused by the CRC on read.
   * Inline: the scan (recovery-scan.ts) reads through this segment's FileIO, then the scan is
   * applied (applyRecoveryScan); a worker can make the same scan of the file (recoveryFile).
   */
  recover(truncate: boolean): RecoveryResult {
    this.drain();
    const scan = scanForRecovery(this.#sizeBytes, recoveryReader(this.io, this.#fd, this.paths.log));
    return this.applyRecoveryScan(scan, truncate);
  }

  /** The file and byte count a recovery scan made elsewhere must walk (nothing is pending). */
  get recoveryFile(): { readonly path: string; readonly fileBytes: number } {
    assert(!this.#closed, `segment ${this.paths.log} is closed`);
    assert(this.#fileBytes === this.#sizeBytes, 'a segment with undrained bytes cannot be scanned from its file');
    return { path: this.paths.log, fileBytes: this.#fileBytes };
  }

  /**
   * The second half of recovery, on the segment's own thread: reset the indexes and state, check
   * each scanned batch's offsets (#checkOffsets, and that it fits a relative offset) in order,
   * index it as an append would, and stop at the first offset error or where the scan stopped,
   * whichever comes first; then cut the file there when `truncate`. Same result, same index
   * files and same reasons as a walk that checks each batch completely before the next.
   */
  applyRecoveryScan(scan: RecoveryScan, truncate: boolean): RecoveryResult {
    assert(!this.#closed, `segment ${this.paths.log} is closed`);
    assert(this.#fileBytes === this.#sizeBytes, 'drain before recovery');
    assert(scan.scannedBytes === this.#sizeBytes, `scan of ${scan.scannedBytes} bytes for a segment of ${this.#sizeBytes}`);
    assert(scan.batches.length === scan.batchCount * RECOVERY_BATCH_FIELDS, 'scan batches and count disagree');
    this.#resetForRecovery();
    const batches = scan.batches;
    let position = 0;
    let reason: string | null = null;
    for (let batch = 0; batch < scan.batchCount; batch++) {
      const at = batch * RECOVERY_BATCH_FIELDS;
      assert(batches[at + SCANNED_POSITION] === position, `scanned batch ${batch} is not at byte ${position}`);
      const batchBytes = batches[at + SCANNED_BYTES]!;
      const lastOffset = batches[at + SCANNED_LAST_OFFSET]!;
      reason = this.#recoveredOffsetsProblem(position, batches[at + SCANNED_BASE_OFFSET]!, lastOffset);
      if (reason !== null) break;
      this.#indexBatch(position, batchBytes, lastOffset, batches[at + SCANNED_MAX_TIMESTAMP]!);
      position += batchBytes;
    }
    if (reason === null) {
      assert(position === scan.validBytes, `scanned batches end at ${position}, the scan at ${scan.validBytes}`);
      const failedAfterOffsets = !Number.isNaN(scan.failedBaseOffset);
      if (failedAfterOffsets) reason = this.#recoveredOffsetsProblem(position, scan.failedBaseOffset, scan.failedLastOffset);
      reason ??= scan.reason;
    }
    const fileBytes = this.#sizeBytes;
    const truncatedBytes = fileBytes - position;
    assert((reason === null) === (truncatedBytes === 0), `recovery stopped at ${position} of ${fileBytes}: ${reason}`);
    if (truncatedBytes > 0 && truncate) {
      this.io.truncate(this.#fd, position);
      this.#sizeBytes = position;
      this.#fileBytes = position;
    }
    return { validBytes: position, truncatedBytes, reason };
  }

  #resetForRecovery(): void {
    this.offsetIndex.discardFile();
    this.timeIndex.discardFile();
    this.#bytesSinceLastIndexEntry = 0;
    this.#maxTimestamp = -1;
    this.#offsetOfMaxTimestamp = this.baseOffset;
    this.#firstBatchTimestamp = -1;
    this.#nextOffset = this.baseOffset;
  }

  /** Why a recovered batch's offsets cannot follow what was recovered before it, or null. */
  #recoveredOffsetsProblem(position: number, baseOffset: number, lastOffset: number): string | null {
    try {
      this.#checkOffsets(position, baseOffset, lastOffset, this.#nextOffset - 1);
    } catch (error) {
      return `byte ${position}: ${(error as Error).message}`;
    }
    if (lastOffset - this.baseOffset > INT32_MAX) return `byte ${position}: offset ${lastOffset} overflows the segment`;
    return null;
  }

  /**
   * After a clean shutdown: load the indexes, checking them against the file, and find the next
   * offset by walking headers from the last index entry. Returns false if anything is off (the
   * caller then recovers the segment).
   */
  loadClean(upperBoundOffset: number): boolean {
    if (!this.offsetIndex.loadChecked(this.#sizeBytes)) return false;
    try {
      const entries = this.offsetIndex.entries;
      let start: ScanStart =
        entries === 0
          ? { position: 0, previousLastOffset: this.baseOffset - 1 }
          : {
              position: this.offsetIndex.valueAt(entries - 1),
              previousLastOffset: null,
              expectedLastOffset: this.offsetIndex.lastOffset(),
            };
      const tailStart = start.position;
      let last: BatchLocation | null = null;
      for (;;) {
        const batch = this.findBatch(-1, start);
        if (batch === null) break;
        // The tail after the last index entry is CRC-checked too: it decides the log end offset.
        validateRecordBatch(this.read(batch.position, batch.batchBytes), 0, batch.batchBytes);
        last = batch;
        start = { position: batch.position + batch.batchBytes, previousLastOffset: batch.lastOffset };
      }
      this.#nextOffset = last === null ? this.baseOffset : last.lastOffset + 1;
      if (last === null && this.#sizeBytes > 0) return false;
      if (this.#nextOffset > upperBoundOffset) return false;
      if (!this.timeIndex.loadChecked(this.#nextOffset)) return false;
      this.#maxTimestamp = this.timeIndex.lastTimestamp();
      this.#offsetOfMaxTimestamp = this.timeIndex.lastOffset();
      if (this.#sizeBytes >= RECORD_BATCH_OVERHEAD) {
        this.#firstBatchTimestamp = readInt64(this.read(0, RECORD_BATCH_OVERHEAD), MAX_TIMESTAMP_OFFSET);
      }
      // Entries from here on follow Kafka's rule again, counting from the last indexed batch.
      this.#bytesSinceLastIndexEntry = this.#sizeBytes - tailStart;
      return true;
    } catch (error) {
      if (error instanceof CorruptSegmentError || error instanceof CorruptRecordError) return false;
      throw error;
    }
  }

  /** Called when the segment stops being active: final time entry, indexes written out. */
  onBecomeInactive(): void {
    this.drain();
    if (this.#maxTimestamp >= 0) this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp, true);
    this.offsetIndex.persist(false);
    this.timeIndex.persist(false);
    this.#buffer = null;
  }

  /** Drain, then write index entries; fdatasync everything when `sync`. */
  flush(sync: boolean): void {
    this.drain();
    if (sync) this.io.datasyncSync(this.#fd);
    this.offsetIndex.persist(sync);
    this.timeIndex.persist(sync);
  }

  /**
   * Group commit: fdatasync what has been drained to the log file, on the libuv pool. While one
   * is queued there the file descriptor stays open even if the segment is closed (close() defers
   * it): a compaction swap or retention closing the segment meanwhile would otherwise turn the
   * sync into EBADF or, once the number is reused, into a sync of another file, which could take
   * that file's one report of a writeback error.
   */
  datasyncFile(): Promise<void> {
    this.#syncsInFlight++;
    return this.io.datasync(this.#fd).finally(() => {
      this.#syncsInFlight--;
      if (this.#syncsInFlight === 0 && this.#closeDeferred) {
        this.#closeDeferred = false;
        this.io.close(this.#fd);
      }
    });
  }

  /** Rename all three files with `suffix` (e.g. `.deleted`), after closing them. */
  renameAll(suffix: string): void {
    this.close();
    for (const path of [this.paths.log, this.paths.index, this.paths.timeIndex]) {
      if (this.io.exists(path)) this.io.rename(path, path + suffix);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.offsetIndex.close();
    this.timeIndex.close();
    // An fdatasync still queued on the libuv pool keeps the descriptor until it settles.
    if (this.#syncsInFlight > 0) this.#closeDeferred = true;
    else this.io.close(this.#fd);
  }

  get closed(): boolean {
    return this.#closed;
  }
}
