import { sep, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import { assert } from '../core/assert.js';
import { EngineError } from '../core/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CODEC_MASK,
  CODEC_NONE,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
} from '../records/batch-layout.js';
import type { CompressionCodec, RecordInput } from '../records/record.js';
import { encodeRecordBatch, type EncodeBatchOptions, writeRecordsSection } from '../records/record-batch.js';
import type { DecodeColumnsOptions } from './decode-columns.js';
import { DecodedRecords } from './decoded-records.js';
import type { WorkerRequest, WorkerResponse } from './messages.js';
import { BufferRecycler } from './buffer-recycler.js';
import { packRecords, type PackedRecords } from './packed-records.js';
import { type ResolvedWorkPoolOptions, resolveWorkPoolOptions, type WorkPoolOptions } from './pool-options.js';
import { BackpressureError, errorFromDescription } from './task-errors.js';
import {
  compressTask,
  decodeBatchesTask,
  decompressTask,
  encodeBatchTask,
  type TaskResult,
  validateBatchTask,
} from './tasks.js';
import { asBuffer, outgoing } from './transfer.js';
import { recoveryScanTask } from './recovery-task.js';
import { compactionTask } from './compaction-task.js';
import type { RecoveryScan, RecoveryScanner } from '../storage/recovery-scan.js';
import {
  compactionJobBytes,
  type CompactionJob,
  type CompactionOutcome,
  type CompactionRunner,
} from '../storage/compactor.js';

/**
 * Recovery scans in flight per worker: two keep a worker busy while the next one's answer is
 * handled, and a scan is milliseconds long, so more would only queue in piscina.
 */
export const RECOVERY_SCANS_PER_WORKER = 2;

/**
 * Compaction passes in flight in the whole pool (Kafka's log.cleaner.threads, default 1): a pass
 * holds its worker for as long as it reads and writes its segments, so at most one worker is busy
 * with compaction. Further passes wait their turn (FIFO). piscina may still queue a short task on
 * that worker behind a pass (it balances by tasks in flight, not by their length): such a task
 * waits for the pass; the main thread does not.
 */
export const COMPACTIONS_IN_FLIGHT = 1;

export {
  MAX_QUEUE_MAX,
  resolveWorkPoolOptions,
  TASKS_PER_WORKER_DEFAULT,
  TASKS_PER_WORKER_MAX,
  WORKERS_MAX,
} from './pool-options.js';
export type { ResolvedWorkPoolOptions, WorkPoolOptions } from './pool-options.js';

/**
 * WorkPool: CPU-heavy record work (validate, encode, decode, LZ4, the recovery scans of
 * segments at open, and compaction passes) for many partitions at once. The broker keeps each partition's single
 * writer on the main thread and awaits the pool.
 *
 * - `workers: 0` runs every task inline through the same task functions (encode of RecordInput
 *   objects calls encodeRecordBatch directly: packing them would only add a copy): the
 *   baseline. With `workers: n ≥ 1`, piscina keeps exactly n threads; a task whose input is
 *   under its OffloadThresholds entry still runs inline, because a round trip costs the main
 *   thread more than the task would (thresholds.ts has the measurements).
 * - Results of offloaded tasks may settle out of submission order; a partition that needs order
 *   (appends) awaits its own tasks in order.
 * - Buffers go to workers by transfer (transfer.ts). A standalone Buffer passed to validate or
 *   decode is DETACHED (length 0) once the call returns; the bytes come back as `batch`/`bytes`
 *   of the result, which the caller must use from then on; when the task fails, the bytes are
 *   not given back (the batch is refused anyway). compress and decompress consume their input
 *   the same way. Pool slices are copied instead (the caller's Buffer stays valid) and the copy
 *   is counted in `stats.copiedBytes`.
 * - The queue is bounded: at most `workers × tasksPerWorker + maxQueue` offloaded tasks are in
 *   flight; one more is refused at once with a retriable BackpressureError, before its buffer is
 *   touched.
 * - Errors come back as the same EngineError subclasses on both paths (task-errors.ts).
 * - Threads keep the process alive until `close()`.
 *
 * Worker file: `new URL('./worker.js', import.meta.url)`, i.e. dist/src/pool/worker.js next to
 * the compiled pool. When this module runs from its TypeScript source (vitest imports src/),
 * piscina still needs compiled JavaScript, so src/pool/pool.ts maps to
 * <repo>/dist/src/pool/worker.js; `npm test` runs tsc before vitest so that file exists.
 *
 * atomics: 'disabled'. piscina's default ('sync') parks an idle worker in Atomics.wait inside a
 * microtask, so its event loop never turns; lz4-napi frees its output Buffers from the event
 * loop. 4,000 tasks of 20 LZ4 compressions of 64 KiB: RSS 107 → 206 MB and still climbing with
 * 'sync', flat at ~90 MB with 'disabled' or 'async'. Empty round trips cost about the same in
 * the three modes (within the machine's noise: 22–80 µs one at a time, 9–16 µs pipelined).
 *
 * tasksPerWorker: 4 (piscina's concurrentTasksPerWorker). With 1, a worker gets its next task
 * only after the main thread has seen its last answer, so every task pays two thread wake-ups
 * (~75 µs on the 2-core reference VM, 1 worker, 16 in flight); with 4 queued per worker it
 * works through them back to back: 14.5 µs per empty task, 13.6 µs of it on the main thread
 * (16 per worker: 12.9 µs, at the price of coarser balancing between workers).
 */

/** The compiled worker next to this module, or dist/src/pool/worker.js when run from src/. */
export function workerFilename(moduleUrl: string = import.meta.url): string {
  if (!moduleUrl.endsWith('.ts')) return fileURLToPath(new URL('./worker.js', moduleUrl));
  const here = fileURLToPath(moduleUrl);
  const suffix = `${sep}src${sep}pool${sep}pool.ts`;
  assert(here.endsWith(suffix), `pool.ts must live at src/pool/pool.ts to find its compiled worker (${here})`);
  return join(here.slice(0, -suffix.length), 'dist', 'src', 'pool', 'worker.js');
}

export interface ValidatedBatch {
  /** The batch's bytes: use this Buffer from now on (the one passed in may be detached). */
  readonly batch: Buffer;
  readonly batchBytes: number;
  readonly nullKeyCount: number;
}

export interface WorkPoolStats {
  readonly inlineTasks: number;
  readonly offloadedTasks: number;
  /** Inputs copied because they were not standalone, and outputs workers had to copy. */
  readonly copiedBuffers: number;
  readonly copiedBytes: number;
  readonly rejectedTasks: number;
  /** Tasks run inline because the queue was full (whenFull: 'inline'). */
  readonly overflowInlineTasks: number;
  readonly inFlight: number;
  readonly inFlightMax: number;
  /** Input buffers of encode and seal: taken from those workers sent back, or newly allocated. */
  readonly reusedInputBuffers: number;
  readonly allocatedInputBuffers: number;
}

type MutableStats = {
  -readonly [K in Exclude<keyof WorkPoolStats, 'reusedInputBuffers' | 'allocatedInputBuffers'>]: WorkPoolStats[K];
};

function unwrap<T>(result: TaskResult<T>): T {
  if (!result.ok) throw errorFromDescription(result.error);
  return result.value;
}

/** Whether the (first) stored batch is uncompressed; too short to tell counts as plain. */
function isPlain(bytes: Buffer): boolean {
  return bytes.length < ATTRIBUTES_OFFSET + 2 || (bytes.readInt16BE(ATTRIBUTES_OFFSET) & CODEC_MASK) === CODEC_NONE;
}

/**
 * recordsCount summed over the first `batchesMax` batches, as their headers declare it: a cheap
 * estimate of the work, read without any check (the task itself checks every byte). Stops at
 * the first header that does not fit.
 */
function declaredRecords(bytes: Buffer, batchesMax: number): number {
  let records = 0;
  let position = 0;
  for (let batch = 0; batch < batchesMax && position + RECORD_BATCH_OVERHEAD <= bytes.length; batch++) {
    const batchLength = bytes.readInt32BE(position + BATCH_LENGTH_OFFSET);
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) break;
    records += Math.max(bytes.readInt32BE(position + RECORDS_COUNT_OFFSET), 0);
    position += LOG_OVERHEAD + batchLength;
  }
  return records;
}

function isPacked(records: ReadonlyArray<RecordInput> | PackedRecords): records is PackedRecords {
  return 'buffer' in records && records.buffer instanceof ArrayBuffer;
}

/** Bytes the records carry, cheaply: string lengths in UTF-16 units (exact for ASCII). */
function recordBytes(records: ReadonlyArray<RecordInput>): number {
  let total = 0;
  for (const record of records) total += (record.key?.length ?? 0) + (record.value?.length ?? 0);
  return total;
}

export class WorkPool implements RecoveryScanner, CompactionRunner {
  readonly options: ResolvedWorkPoolOptions;
  readonly #piscina: Piscina<WorkerRequest, WorkerResponse> | null;
  readonly #stats: MutableStats = {
    inlineTasks: 0,
    offloadedTasks: 0,
    copiedBuffers: 0,
    copiedBytes: 0,
    rejectedTasks: 0,
    overflowInlineTasks: 0,
    inFlight: 0,
    inFlightMax: 0,
  };
  #closed = false;
  /** Input buffers of encode and seal that the workers sent back, written into again (buffer-recycler.ts). */
  readonly #inputBuffers = new BufferRecycler();
  readonly #takePacked = (bytes: number): ArrayBuffer => this.#inputBuffers.take(bytes);
  readonly #takeSection = (bytes: number): Buffer => Buffer.from(this.#inputBuffers.take(bytes), 0, bytes);
  /**
   * Recovery scans holding a slot, and those waiting for one (scanSegment). The waiters are
   * bounded by the segments of the logs being opened, at most 4 logs per worker in Broker.open.
   */
  #scanSlotsUsed = 0;
  readonly #scanSlotWaiters: Array<() => void> = [];
  #compactionsRunning = 0;
  readonly #compactionWaiters: Array<() => void> = [];

  private constructor(options: ResolvedWorkPoolOptions) {
    this.options = options;
    this.#piscina =
      options.workers === 0
        ? null
        : new (loadPiscina())<WorkerRequest, WorkerResponse>({
            filename: workerFilename(),
            minThreads: options.workers,
            maxThreads: options.workers,
            maxQueue: options.maxQueue,
            concurrentTasksPerWorker: options.tasksPerWorker,
            idleTimeout: Number.POSITIVE_INFINITY,
            atomics: 'disabled',
            recordTiming: false,
          });
  }

  static create(options: WorkPoolOptions): WorkPool {
    return new WorkPool(resolveWorkPoolOptions(options));
  }

  get workers(): number {
    return this.options.workers;
  }

  get stats(): WorkPoolStats {
    const recycled = this.#inputBuffers.stats;
    return { ...this.#stats, reusedInputBuffers: recycled.reused, allocatedInputBuffers: recycled.allocated };
  }

  /** Tasks waiting for a worker (piscina's queue; tasks running on a worker are not counted). */
  get queueDepth(): number {
    return this.#piscina?.queueSize ?? 0;
  }

  /** piscina's utilisation: the share of the workers' capacity spent running tasks, in [0, 1]. */
  get utilization(): number {
    return this.#piscina?.utilization ?? 0;
  }

  /** Validate one batch as Log.append does (CRC-32C, lengths, every record); see ValidatedBatch. */
  async validate(batch: Buffer): Promise<ValidatedBatch> {
    const decompressedBytesLimit = this.options.decompressedBytesLimit;
    if (!this.#route(this.#storedWorthOffloading(batch, 'validate'))) {
      const info = unwrap(validateBatchTask(batch, { decompressedBytesLimit }));
      return { batch, ...info };
    }
    const out = this.#outgoing(batch);
    const response = await this.#run({ kind: 'validate', batch: out.view, decompressedBytesLimit }, out.transfer);
    assert(response.kind === 'validate', `validate got a ${response.kind} response`);
    const info = unwrap(response.result);
    return { batch: out.copiedBytes > 0 ? batch : asBuffer(response.batch), ...info };
  }

  /**
   * Encode records into one batch. Inline, RecordInput objects go straight to encodeRecordBatch.
   * Offloaded:
   * - compressed: this thread writes the uncompressed records section (the one copy of every
   *   value, as inline) into a buffer the worker sends back afterwards (buffer-recycler.ts), and
   *   the worker compresses it and writes the header and CRC ('seal');
   * - plain, or PackedRecords given by the caller: the records are packed into one ArrayBuffer
   *   (packed-records.ts, a copy of every byte on this thread, into a recycled buffer too) and
   *   the worker encodes them ('encode').
   * The default timestamp is taken now, not when a worker gets to the task.
   */
  async encode(records: ReadonlyArray<RecordInput> | PackedRecords, options: EncodeBatchOptions = {}): Promise<Buffer> {
    const recordCount = isPacked(records) ? records.recordCount : records.length;
    // An empty batch keeps encodeRecordBatch's meaning of an absent timestamp (maxTimestamp -1).
    const resolved: EncodeBatchOptions =
      options.timestamp !== undefined || recordCount === 0 ? options : { ...options, timestamp: Date.now() };
    const inputBytes = isPacked(records) ? records.dataBytes : recordBytes(records);
    const plain = (resolved.compression ?? 'none') === 'none';
    const threshold = this.options.thresholds[plain ? 'encodePlainBytes' : 'encodeCompressedBytes'];
    if (!this.#route(inputBytes >= threshold)) {
      if (isPacked(records)) return unwrap(encodeBatchTask({ packed: records, options: resolved }));
      return encodeRecordBatch(records, resolved);
    }
    if (isPacked(records)) {
      // A caller's own PackedRecords is theirs (detached now); its buffer is not kept.
      return this.#bufferResponse(await this.#run({ kind: 'encode', packed: records, options: resolved }, records.buffer), 'encode');
    }
    if (!plain) {
      const { target, values } = writeRecordsSection(records, resolved, this.#takeSection, 0);
      const request: WorkerRequest = { kind: 'seal', section: target, options: resolved, values };
      return this.#recycledResponse(await this.#run(request, target.buffer as ArrayBuffer), 'seal');
    }
    const packed = packRecords(records, this.#takePacked);
    return this.#recycledResponse(await this.#run({ kind: 'encode', packed, options: resolved }, packed.buffer), 'encode');
  }

  /** Decode every record of the whole batches in `bytes` (see DecodedRecords for ownership). */
  async decode(bytes: Buffer, options: Pick<DecodeColumnsOptions, 'crcChecked'> = {}): Promise<DecodedRecords> {
    const decompressedBytesLimit = this.options.decompressedBytesLimit;
    const crcChecked = options.crcChecked === true;
    if (!this.#route(this.#storedWorthOffloading(bytes, 'decode'))) {
      return new DecodedRecords(bytes, unwrap(decodeBatchesTask(bytes, { decompressedBytesLimit, crcChecked })));
    }
    const out = this.#outgoing(bytes);
    const request: WorkerRequest = { kind: 'decode', bytes: out.view, decompressedBytesLimit, crcChecked };
    const response = await this.#run(request, out.transfer);
    assert(response.kind === 'decode', `decode got a ${response.kind} response`);
    const columns = unwrap(response.result);
    return new DecodedRecords(out.copiedBytes > 0 ? bytes : asBuffer(response.bytes), columns);
  }

  /** Compress a records section. The input is transferred when standalone (then detached). */
  async compress(section: Buffer, codec: CompressionCodec): Promise<Buffer> {
    if (!this.#route(section.length >= this.options.thresholds.compressBytes)) {
      return unwrap(compressTask({ codec, section }));
    }
    const out = this.#outgoing(section);
    const response = await this.#run({ kind: 'compress', codec, section: out.view }, out.transfer);
    return this.#bufferResponse(response, 'compress');
  }

  /** Decompress a records section. The input is transferred when standalone (then detached). */
  async decompress(compressed: Buffer, codec: CompressionCodec): Promise<Buffer> {
    const decompressedBytesLimit = this.options.decompressedBytesLimit;
    if (!this.#route(compressed.length >= this.options.thresholds.decompressBytes)) {
      return unwrap(decompressTask({ codec, compressed, decompressedBytesLimit }));
    }
    const out = this.#outgoing(compressed);
    const request: WorkerRequest = { kind: 'decompress', codec, compressed: out.view, decompressedBytesLimit };
    return this.#bufferResponse(await this.#run(request, out.transfer), 'decompress');
  }

  /**
   * Recovery scan of a segment file (RecoveryScanner, for Log.open): null when the file is under
   * thresholds.recoveryScanBytes or there are no workers, and the caller scans it inline through
   * its own FileIO. Otherwise a worker opens and reads the file, so no byte of it crosses.
   *
   * A log asks for the scans of all its segments above the recovery point at once, and a broker
   * opens several logs together: scans wait for one of RECOVERY_SCANS_PER_WORKER × workers slots
   * (FIFO) instead of being refused, since an open cannot usefully retry. A scan that finds the
   * pool's queue full of other tasks runs inline in the pool (recovery-task.ts on this thread).
   */
  scanSegment(path: string, fileBytes: number): Promise<RecoveryScan> | null {
    assert(!this.#closed, 'WorkPool used after close()');
    assert(Number.isSafeInteger(fileBytes) && fileBytes >= 0, `bad segment size ${fileBytes}`);
    if (this.#piscina === null || fileBytes < this.options.thresholds.recoveryScanBytes) {
      this.#stats.inlineTasks++;
      return null;
    }
    return this.#scanSegmentInSlot(path, fileBytes);
  }

  async #scanSegmentInSlot(path: string, fileBytes: number): Promise<RecoveryScan> {
    if (this.#scanSlotsUsed >= this.options.workers * RECOVERY_SCANS_PER_WORKER) {
      await new Promise<void>((resolve) => this.#scanSlotWaiters.push(resolve));
    } else {
      this.#scanSlotsUsed++;
    }
    try {
      if (!this.#hasRoom()) {
        this.#stats.overflowInlineTasks++;
        return unwrap(recoveryScanTask({ path, fileBytes }));
      }
      const response = await this.#run({ kind: 'recovery-scan', path, fileBytes }, null);
      assert(response.kind === 'recovery-scan', `recovery-scan got a ${response.kind} response`);
      return unwrap(response.result);
    } finally {
      // The slot passes straight to the next waiter, if any; otherwise it is freed.
      const next = this.#scanSlotWaiters.shift();
      if (next === undefined) this.#scanSlotsUsed--;
      else next();
    }
  }

  /**
   * A log's compaction pass (CompactionRunner, for Log.compact): null when the segments it reads
   * come to less than thresholds.compactionBytes or there are no workers, and the log runs it
   * inline. Otherwise a worker reads the segment files and writes the cleaned ones; passes wait
   * for one of COMPACTIONS_IN_FLIGHT places. With the queue full of other work, it runs inline.
   */
  compactSegments(job: CompactionJob): Promise<CompactionOutcome> | null {
    assert(!this.#closed, 'WorkPool used after close()');
    if (this.#piscina === null || compactionJobBytes(job) < this.options.thresholds.compactionBytes) {
      this.#stats.inlineTasks++;
      return null;
    }
    return this.#compactInTurn(job);
  }

  async #compactInTurn(job: CompactionJob): Promise<CompactionOutcome> {
    if (this.#compactionsRunning >= COMPACTIONS_IN_FLIGHT) {
      await new Promise<void>((resolve) => this.#compactionWaiters.push(resolve));
    } else {
      this.#compactionsRunning++;
    }
    try {
      if (!this.#hasRoom()) {
        this.#stats.overflowInlineTasks++;
        return unwrap(compactionTask(job));
      }
      const response = await this.#run({ kind: 'compaction', job }, null);
      assert(response.kind === 'compaction', `compaction got a ${response.kind} response`);
      return unwrap(response.result);
    } finally {
      const next = this.#compactionWaiters.shift();
      if (next === undefined) this.#compactionsRunning--;
      else next();
    }
  }

  /** An empty round trip through a worker (benchmarks measure the pool's fixed cost with it). */
  async echo(bytes: Buffer): Promise<Buffer> {
    if (this.#piscina === null) return bytes;
    if (!this.#admit()) return bytes;
    const out = this.#outgoing(bytes);
    const response = await this.#run({ kind: 'noop', bytes: out.view }, out.transfer);
    assert(response.kind === 'noop', `echo got a ${response.kind} response`);
    return asBuffer(response.bytes);
  }

  /** Let in-flight tasks finish, then end the worker threads. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#piscina?.close();
  }

  /**
   * True: run on a worker. False: run inline (`worthIt` false, no workers, or the queue full
   * with whenFull: 'inline'). A full queue with whenFull: 'reject' throws BackpressureError.
   */
  #route(worthIt: boolean): boolean {
    assert(!this.#closed, 'WorkPool used after close()');
    const offload = worthIt && this.#piscina !== null && this.#admit();
    if (!offload) this.#stats.inlineTasks++;
    return offload;
  }

  /** Stored batches: plain ones by size; compressed ones by size or record count (thresholds.ts). */
  #storedWorthOffloading(bytes: Buffer, kind: 'validate' | 'decode'): boolean {
    if (this.#piscina === null) return false;
    const thresholds = this.options.thresholds;
    if (isPlain(bytes)) return bytes.length >= thresholds[`${kind}PlainBytes`];
    if (bytes.length >= thresholds[`${kind}CompressedBytes`]) return true;
    return declaredRecords(bytes, kind === 'validate' ? 1 : bytes.length) >= thresholds[`${kind}CompressedRecords`];
  }

  /**
   * Whether the bounded queue can take one more task. When it cannot, either run inline
   * (whenFull: 'inline') or refuse with a BackpressureError, before any buffer is touched.
   */
  #admit(): boolean {
    const { workers, tasksPerWorker, maxQueue } = this.options;
    if (this.#hasRoom()) return true;
    if (this.options.whenFull === 'inline') {
      this.#stats.overflowInlineTasks++;
      return false;
    }
    this.#stats.rejectedTasks++;
    throw new BackpressureError(
      'BACKPRESSURE',
      `the worker pool is full: ${this.#stats.inFlight} tasks in flight for ${workers} workers × ` +
        `${tasksPerWorker} and maxQueue=${maxQueue}; retry when a task settles, or raise maxQueue`,
      { retriable: true },
    );
  }

  /** Whether one more task fits the bounded queue: workers × tasksPerWorker + maxQueue in flight. */
  #hasRoom(): boolean {
    const { workers, tasksPerWorker, maxQueue } = this.options;
    return this.#stats.inFlight < workers * tasksPerWorker + maxQueue;
  }

  #outgoing(view: Buffer): ReturnType<typeof outgoing> {
    const out = outgoing(view);
    if (out.copiedBytes > 0) {
      this.#stats.copiedBuffers++;
      this.#stats.copiedBytes += out.copiedBytes;
    }
    return out;
  }

  async #run(request: WorkerRequest, transfer: ArrayBuffer | null): Promise<WorkerResponse> {
    assert(this.#piscina !== null, 'an inline pool has no workers to run on');
    const stats = this.#stats;
    stats.offloadedTasks++;
    stats.inFlight++;
    if (stats.inFlight > stats.inFlightMax) stats.inFlightMax = stats.inFlight;
    try {
      return await this.#piscina.run(request, { transferList: transfer === null ? [] : [transfer] });
    } catch (error) {
      // piscina's own bound (kept equal to ours) can only trip if ours did not; same answer.
      if (error instanceof Error && !(error instanceof EngineError) && /queue is at limit/i.test(error.message)) {
        stats.rejectedTasks++;
        throw new BackpressureError('BACKPRESSURE', `the worker pool is full: ${error.message}`, {
          retriable: true,
          cause: error,
        });
      }
      throw error;
    } finally {
      stats.inFlight--;
    }
  }

  /** A buffer response whose input buffer came back as `spent`: keep that for the next task. */
  #recycledResponse(response: WorkerResponse, kind: 'encode' | 'seal'): Buffer {
    if (response.kind === kind && response.spent !== undefined) this.#inputBuffers.give(response.spent);
    return this.#bufferResponse(response, kind);
  }

  #bufferResponse(response: WorkerResponse, kind: 'encode' | 'seal' | 'compress' | 'decompress'): Buffer {
    assert(response.kind === kind, `${kind} got a ${response.kind} response`);
    assert('copiedBytes' in response, `${kind} response without copiedBytes`);
    if (response.copiedBytes > 0) {
      this.#stats.copiedBuffers++;
      this.#stats.copiedBytes += response.copiedBytes;
    }
    return asBuffer(unwrap(response.result));
  }
}

const require = createRequire(import.meta.url);

/** piscina is loaded only when a pool with workers is made (`workers: 0` never pays for it). */
function loadPiscina(): typeof Piscina {
  return (require('piscina') as { Piscina: typeof Piscina }).Piscina;
}
