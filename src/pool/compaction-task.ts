import { runCompaction, type CompactionJob, type CompactionOutcome } from '../storage/compactor.js';
import { nodeFileIO } from '../storage/file-io.js';
import type { TaskResult } from './tasks.js';
import { taskFailure } from './task-errors.js';

/**
 * A compaction pass as a pool task: like the recovery scan it does its own I/O, reading the
 * segment files and writing the `.cleaned` files with node:fs on whichever thread runs it, so no
 * segment byte crosses threads. What comes back is the outcome: per cleaned file its sizes and a
 * recovery scan of it (one Float64Array, transferred), for Log.compact to swap in.
 */
export function compactionTask(job: CompactionJob): TaskResult<CompactionOutcome> {
  try {
    return { ok: true, value: runCompaction(job, nodeFileIO) };
  } catch (error) {
    return taskFailure(error);
  }
}

/** The ArrayBuffers of an outcome, for the transfer list. */
export function compactionTransferList(outcome: CompactionOutcome): ArrayBuffer[] {
  return outcome.cleaned.map((cleaned) => cleaned.scan.batches.buffer);
}
