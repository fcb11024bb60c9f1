import { join } from 'node:path';

/**
 * Segment file names as Kafka lays them out: the base offset zero-padded to 20 digits, so that
 * lexical order is numeric order, plus a suffix naming the file's role or state.
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** A segment scheduled for deletion (retention); removed after file.delete.delay.ms. */
export const DELETED_SUFFIX = '.deleted';
/** Compactor output being written; discarded at open. */
export const CLEANED_SUFFIX = '.cleaned';
/** Compactor output complete and about to replace its segment; finished at open. */
export const SWAP_SUFFIX = '.swap';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
/** Where the next compaction pass's dirty section starts; written once a pass has swapped everything in. */
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
/**
 * Brook's own: offsets below it may have gaps (compacted segments). Written before a pass swaps
 * anything in, so a crash mid-swap leaves it ahead of the cleaner checkpoint, never behind.
 */
export const COMPACTED_BELOW_CHECKPOINT_FILE = 'compacted-below-checkpoint';

const OFFSET_DIGITS = 20;

export function filenamePrefix(offset: number): string {
  return String(offset).padStart(OFFSET_DIGITS, '0');
}

export function segmentPaths(directory: string, baseOffset: number): SegmentPaths {
  const prefix = join(directory, filenamePrefix(baseOffset));
  return { log: prefix + LOG_SUFFIX, index: prefix + INDEX_SUFFIX, timeIndex: prefix + TIME_INDEX_SUFFIX };
}

export interface SegmentPaths {
  readonly log: string;
  readonly index: string;
  readonly timeIndex: string;
}

/** The base offset in a segment file name, or null if the name is not one of ours. */
export function parseBaseOffset(fileName: string): number | null {
  const match = /^(\d{20,})\./.exec(fileName);
  if (match === null) return null;
  const offset = Number(match[1]);
  return Number.isSafeInteger(offset) ? offset : null;
}
