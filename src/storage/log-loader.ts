import { join } from 'node:path';
import { readOffsetCheckpoint } from './checkpoint.js';
import { nodeFileIO, type FileIO } from './file-io.js';
import {
  CLEANER_OFFSET_CHECKPOINT_FILE,
  COMPACTED_BELOW_CHECKPOINT_FILE,
  CLEAN_SHUTDOWN_FILE,
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  LOG_SUFFIX,
  parseBaseOffset,
  RECOVERY_POINT_CHECKPOINT_FILE,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
} from './file-names.js';
import type { RecoveryScan, RecoveryScanner } from './recovery-scan.js';
import { LogSegment, type SegmentSettings } from './segment.js';

/**
 * Opening a log directory (Kafka's LogLoader, simplified to one partition):
 *
 * 1. Remove leftovers: `.deleted` (retention), `.cleaned` (unfinished compaction) and `.tmp`
 *    files; finish `.swap` files (finished compaction) by renaming them into place.
 * 2. Open every `.log`; drop index files whose `.log` is gone.
 * 3. After a clean shutdown (the marker file exists), load each segment's indexes and check them
 *    against the file; a segment whose check fails is walked and its indexes rebuilt.
 *    After an unclean stop, every segment from the one holding the recovery point to the end is
 *    walked: each batch's length, magic, CRC and offsets are checked, indexes rebuilt, and the
 *    file cut at the first bad byte. If a segment had to be cut, every later segment is removed
 *    (its data cannot follow a hole).
 * 4. Corruption found below the recovery point is not cut (it was acknowledged and flushed):
 *    it stays, is reported, and the CRC refuses it on every read.
 *
 * Nothing is silent: what was cut or removed is in the report.
 */
export interface SegmentDamage {
  readonly baseOffset: number;
  readonly position: number;
  readonly bytes: number;
  readonly reason: string;
}

export interface RecoveryReport {
  readonly cleanShutdown: boolean;
  readonly segmentsLoaded: number;
  /** Segments whose every batch was validated (and indexes rebuilt). */
  readonly segmentsRecovered: number;
  readonly bytesTruncated: number;
  /** Torn or corrupt tails cut off, per segment. */
  readonly truncations: ReadonlyArray<SegmentDamage>;
  /** Later segments removed because an earlier one was cut. */
  readonly segmentsDeleted: ReadonlyArray<{ baseOffset: number; bytes: number }>;
  /** Corruption found below the recovery point, left in place and refused on read. */
  readonly corruptBelowRecoveryPoint: ReadonlyArray<SegmentDamage>;
  readonly temporaryFilesRemoved: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly recoveryPoint: number;
  readonly durationMs: number;
}

export interface LoadedLog {
  readonly segments: LogSegment[];
  readonly report: RecoveryReport;
  /** The checkpoint files as read (null when absent), so an unchanged one need not be rewritten. */
  readonly checkpointed: { readonly recoveryPoint: number | null; readonly logStartOffset: number | null };
}

/**
 * Open the log in `directory` as described above. With a `scanner`, each segment to recover is
 * offered to it (RecoveryScanner: a worker pool, which scans large segments on its threads and
 * declines small ones); the scans of every segment above the recovery point are asked for at
 * once, so they overlap one another and other partitions' loads, and are then applied in
 * segment order on this thread, where the order-sensitive steps stay: offset checks, index
 * rebuilds, cutting a torn tail and removing the segments after it. The scanner reads the file
 * with node:fs, so it is used only when `io` reads as node:fs does.
 */
export async function loadSegments(
  directory: string,
  settings: SegmentSettings,
  io: FileIO,
  nowMs: number,
  scanner: RecoveryScanner | null = null,
): Promise<LoadedLog> {
  const startedAt = performance.now();
  io.makeDirectory(directory);
  const markerPath = join(directory, CLEAN_SHUTDOWN_FILE);
  const cleanShutdown = io.exists(markerPath);
  const { removed, swapped } = removeTemporaryFiles(directory, io);
  const names = io.list(directory);
  const logOffsets = names
    .filter((name) => name.endsWith(LOG_SUFFIX))
    .map(parseBaseOffset)
    .filter((offset): offset is number => offset !== null)
    .sort((a, b) => a - b);
  const logSet = new Set(logOffsets);
  for (const name of names) {
    if (!name.endsWith(INDEX_SUFFIX) && !name.endsWith(TIME_INDEX_SUFFIX)) continue;
    const offset = parseBaseOffset(name);
    if (offset !== null && !logSet.has(offset)) io.unlink(join(directory, name));
  }
  const checkpointedRecoveryPoint = readOffsetCheckpoint(io, directory, RECOVERY_POINT_CHECKPOINT_FILE);
  const checkpointedLogStart = readOffsetCheckpoint(io, directory, LOG_START_OFFSET_CHECKPOINT_FILE);
  const segments = logOffsets.map((offset) => LogSegment.open(directory, offset, settings, io, nowMs));
  // Compaction may have left offset gaps below either checkpoint; elsewhere offsets are contiguous.
  const compactedBelow = Math.max(
    readOffsetCheckpoint(io, directory, CLEANER_OFFSET_CHECKPOINT_FILE) ?? 0,
    readOffsetCheckpoint(io, directory, COMPACTED_BELOW_CHECKPOINT_FILE) ?? 0,
  );
  for (const segment of segments) {
    segment.offsetsContiguous = segment.baseOffset >= compactedBelow && !swapped.has(segment.baseOffset);
  }
  const recoveryPoint = cleanShutdown ? Infinity : (checkpointedRecoveryPoint ?? 0);
  const scans = new ScanRequests(io.read === nodeFileIO.read ? scanner : null);
  // Every segment above the recovery point is recovered whatever its state: ask for them all now.
  for (let index = 0; index < segments.length; index++) {
    if (upperBoundOffset(segments, index) > recoveryPoint) scans.request(segments[index]!);
  }

  let segmentsRecovered = 0;
  const recovered = new Set<LogSegment>();
  const truncations: SegmentDamage[] = [];
  const corruptBelowRecoveryPoint: SegmentDamage[] = [];
  const segmentsDeleted: Array<{ baseOffset: number; bytes: number }> = [];
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    const isLast = index === segments.length - 1;
    const upperBound = upperBoundOffset(segments, index);
    const aboveRecoveryPoint = upperBound > recoveryPoint;
    if (!aboveRecoveryPoint && !swapped.has(segment.baseOffset) && segment.loadClean(upperBound)) continue;
    // Data at or above the recovery point, and any tail, may be torn: cut it. Older data may not.
    const truncate = aboveRecoveryPoint || isLast;
    const scan = scans.take(segment);
    const result = scan === null ? segment.recover(truncate) : segment.applyRecoveryScan(await scan, truncate);
    segmentsRecovered++;
    recovered.add(segment);
    if (result.reason === null) continue;
    const damage = {
      baseOffset: segment.baseOffset,
      position: result.validBytes,
      bytes: result.truncatedBytes,
      reason: result.reason,
    };
    if (!truncate) {
      corruptBelowRecoveryPoint.push(damage);
      continue;
    }
    truncations.push(damage);
    for (const later of segments.splice(index + 1)) {
      // A scan already asked for is left to finish; its result is never applied.
      scans.discard(later);
      segmentsDeleted.push({ baseOffset: later.baseOffset, bytes: later.sizeBytes });
      later.close();
      for (const path of [later.paths.log, later.paths.index, later.paths.timeIndex]) io.unlink(path);
    }
  }

  // Rebuilt indexes of inactive segments are written out now, with the final time-index entry
  // (the active segment's go out with its next flush).
  for (const segment of segments.slice(0, -1)) if (recovered.has(segment)) segment.onBecomeInactive();

  const firstBase = segments[0]?.baseOffset ?? checkpointedLogStart ?? 0;
  if (segments.length === 0) segments.push(LogSegment.create(directory, firstBase, settings, io, nowMs));
  const last = segments[segments.length - 1]!;
  const logEndOffset = Math.max(last.nextOffset, last.baseOffset);
  const logStartOffset = Math.min(Math.max(checkpointedLogStart ?? firstBase, firstBase), logEndOffset);
  const report: RecoveryReport = {
    cleanShutdown,
    segmentsLoaded: logOffsets.length,
    segmentsRecovered,
    bytesTruncated: truncations.reduce((sum, damage) => sum + damage.bytes, 0),
    truncations,
    segmentsDeleted,
    corruptBelowRecoveryPoint,
    temporaryFilesRemoved: removed,
    logStartOffset,
    logEndOffset,
    recoveryPoint: cleanShutdown ? logEndOffset : Math.min(checkpointedRecoveryPoint ?? 0, logEndOffset),
    durationMs: performance.now() - startedAt,
  };
  // The marker goes before anything new is written, so a crash from here on recovers again.
  if (cleanShutdown) {
    io.unlink(markerPath);
    io.syncDirectory(directory);
  }
  return { segments, report, checkpointed: { recoveryPoint: checkpointedRecoveryPoint, logStartOffset: checkpointedLogStart } };
}

/** The offset segment `index` must stay below: the next segment's base, or none for the last. */
function upperBoundOffset(segments: ReadonlyArray<LogSegment>, index: number): number {
  return segments[index + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER;
}

/**
 * The scans asked of a RecoveryScanner, by segment. A scan the scanner declines (null) is made
 * inline when its segment's turn comes; a segment not asked for in advance is offered then.
 */
class ScanRequests {
  readonly #scanner: RecoveryScanner | null;
  readonly #pending = new Map<LogSegment, Promise<RecoveryScan> | null>();

  constructor(scanner: RecoveryScanner | null) {
    this.#scanner = scanner;
  }

  request(segment: LogSegment): void {
    if (this.#scanner === null || this.#pending.has(segment)) return;
    const { path, fileBytes } = segment.recoveryFile;
    const scan = this.#scanner.scanSegment(path, fileBytes);
    // Settled here too, so that a scan whose segment is removed before its turn never goes unhandled.
    scan?.catch(() => undefined);
    this.#pending.set(segment, scan);
  }

  /** The scan of `segment`, or null: recover it inline. */
  take(segment: LogSegment): Promise<RecoveryScan> | null {
    this.request(segment);
    const scan = this.#pending.get(segment) ?? null;
    this.#pending.delete(segment);
    return scan;
  }

  discard(segment: LogSegment): void {
    this.#pending.delete(segment);
  }
}

function removeTemporaryFiles(directory: string, io: FileIO): { removed: number; swapped: Set<number> } {
  let removed = 0;
  const swapped = new Set<number>();
  for (const name of io.list(directory)) {
    const path = join(directory, name);
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
      io.unlink(path);
      removed++;
    } else if (name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) {
      // A finished compaction: its output replaces the segment of the same base offset.
      io.rename(path, path.slice(0, -SWAP_SUFFIX.length));
      const offset = parseBaseOffset(name);
      if (offset !== null) swapped.add(offset);
    } else if (name.endsWith(SWAP_SUFFIX)) {
      io.unlink(path);
      removed++;
    }
  }
  return { removed, swapped };
}
