import { scanSegmentFile } from '../storage/recovery-scan-file.js';
import type { RecoveryScan } from '../storage/recovery-scan.js';
import type { TaskResult } from './tasks.js';
import { taskFailure } from './task-errors.js';

/**
 * The recovery scan as a pool task: unlike the tasks in tasks.ts it does I/O, reading the
 * segment file with node:fs (storage/recovery-scan-file.ts) on whichever thread runs it, so the
 * thread that owns the segment neither reads nor copies it. The walk itself is the pure
 * storage/recovery-scan.ts, the same code LogSegment.recover runs inline.
 *
 * A damaged batch is not an error here: it ends the scan and is described in it. Errors are a
 * file that cannot be read (an EngineError, described; anything else, such as ENOENT, thrown).
 */

export interface RecoveryScanTaskInput {
  readonly path: string;
  readonly fileBytes: number;
}

export function recoveryScanTask(input: RecoveryScanTaskInput): TaskResult<RecoveryScan> {
  try {
    return { ok: true, value: scanSegmentFile(input.path, input.fileBytes) };
  } catch (error) {
    return taskFailure(error);
  }
}
