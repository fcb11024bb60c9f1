import { ConfigError } from '../core/errors.js';
import { DECOMPRESSED_BYTES_LIMIT_DEFAULT } from '../records/record-batch.js';
import { OFFLOAD_THRESHOLDS_DEFAULT, type OffloadThresholds } from './thresholds.js';

/**
 * WorkPool options (style item 14): the public partial type, the resolved type, the defaults and
 * the one validator, which throws ConfigError naming the key, its value and the allowed range.
 */

export interface WorkPoolOptions {
  /** Worker threads; 0 runs every task inline. Integer in [0, 64]. */
  readonly workers: number;
  /** Offloaded tasks that may wait for a thread; default workers² × 4. Integer in [0, 65536]. */
  readonly maxQueue?: number;
  /** Tasks sent to one worker before its first answers (pipelining); default 4. In [1, 64]. */
  readonly tasksPerWorker?: number;
  /** Per-kind input sizes below which a task runs inline (thresholds.ts). */
  readonly thresholds?: Partial<OffloadThresholds>;
  /**
   * A task that finds the queue full: 'reject' (default) fails it with a BackpressureError;
   * 'inline' runs it on the calling thread instead, trading event-loop time for throughput.
   */
  readonly whenFull?: 'reject' | 'inline';
  /** Cap on one decompressed records section, for validate, decode and decompress. */
  readonly decompressedBytesLimit?: number;
}

export interface ResolvedWorkPoolOptions {
  readonly workers: number;
  readonly maxQueue: number;
  readonly tasksPerWorker: number;
  readonly thresholds: OffloadThresholds;
  readonly whenFull: 'reject' | 'inline';
  readonly decompressedBytesLimit: number;
}

export const WORKERS_MAX = 64;
export const MAX_QUEUE_MAX = 65_536;
export const TASKS_PER_WORKER_MAX = 64;
export const TASKS_PER_WORKER_DEFAULT = 4;

export function resolveWorkPoolOptions(options: WorkPoolOptions): ResolvedWorkPoolOptions {
  const { workers } = options;
  if (!Number.isInteger(workers) || workers < 0 || workers > WORKERS_MAX) {
    throw new ConfigError('workers', workers, `an integer in [0, ${WORKERS_MAX}]`);
  }
  const maxQueue = options.maxQueue ?? workers * workers * 4;
  if (!Number.isInteger(maxQueue) || maxQueue < 0 || maxQueue > MAX_QUEUE_MAX) {
    throw new ConfigError('maxQueue', maxQueue, `an integer in [0, ${MAX_QUEUE_MAX}]`);
  }
  const tasksPerWorker = options.tasksPerWorker ?? TASKS_PER_WORKER_DEFAULT;
  if (!Number.isInteger(tasksPerWorker) || tasksPerWorker < 1 || tasksPerWorker > TASKS_PER_WORKER_MAX) {
    throw new ConfigError('tasksPerWorker', tasksPerWorker, `an integer in [1, ${TASKS_PER_WORKER_MAX}]`);
  }
  const thresholds = { ...OFFLOAD_THRESHOLDS_DEFAULT, ...options.thresholds };
  for (const [key, value] of Object.entries(thresholds)) {
    if (!(value >= 0)) {
      throw new ConfigError(`thresholds.${key}`, value, 'a number of bytes ≥ 0 (Infinity: never offload)');
    }
  }
  const whenFull = options.whenFull ?? 'reject';
  if (whenFull !== 'reject' && whenFull !== 'inline') {
    throw new ConfigError('whenFull', whenFull, "'reject' or 'inline'");
  }
  const decompressedBytesLimit = options.decompressedBytesLimit ?? DECOMPRESSED_BYTES_LIMIT_DEFAULT;
  if (!Number.isSafeInteger(decompressedBytesLimit) || decompressedBytesLimit < 1) {
    throw new ConfigError('decompressedBytesLimit', decompressedBytesLimit, 'a positive integer number of bytes');
  }
  return { workers, maxQueue, tasksPerWorker, thresholds, whenFull, decompressedBytesLimit };
}
