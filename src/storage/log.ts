import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { assert } from '../core/assert.js';
import {
  CorruptSegmentError,
  EngineError,
  InvalidRecordError,
  LogClosedError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  StorageError,
} from '../core/errors.js';
import { MiB } from '../core/units.js';
import {
  BASE_SEQUENCE_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
} from '../records/batch-layout.js';
import { readInt64 } from '../records/int64.js';
import type { Record } from '../records/record.js';
import {
  checkedBatchBytes,
  DECOMPRESSED_BYTES_LIMIT_DEFAULT,
  decodeRecordBatch,
  SEALED_RECORDS,
  walkProducedBatch,
  isControlBatch,
  validateRecordBatch,
} from '../records/record-batch.js';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint.js';
import {
  type CleanedSegment,
  type CompactionJob,
  type CompactionOutcome,
  type CompactionRunner,
  removeQuietly,
  runCompaction,
} from './compactor.js';
import { hasPolicy, resolveLogConfig, type LogConfig, type LogConfigInput } from './config.js';
import { nodeFileIO, type FileIO } from './file-io.js';
import {
  CLEANER_OFFSET_CHECKPOINT_FILE,
  COMPACTED_BELOW_CHECKPOINT_FILE,
  CLEAN_SHUTDOWN_FILE,
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  SWAP_SUFFIX,
} from './file-names.js';
import { loadSegments, type LoadedLog, type RecoveryReport } from './log-loader.js';
import {
  PRODUCER_ID_EXPIRATION_MS_DEFAULT,
  ProducerStateTable,
  type BatchIdentity,
  type BatchMetadata,
} from './producer-state.js';
import {
  RECOVERY_BATCH_FIELDS,
  SCANNED_BASE_OFFSET,
  SCANNED_LAST_OFFSET,
  type RecoveryScan,
  type RecoveryScanner,
} from './recovery-scan.js';
import { decideRetention, type RetentionReason } from './retention.js';
import type { SegmentFacts } from './retention-report.js';
import { LogSegment, type SegmentSettings, type SegmentState } from './segment.js';

/**
 * One partition's log: an ordered list of segments, the last one active. Public, so that an
 * application can embed a Log directly as a storage backend.
 *
 * Durability (what an acknowledged append survives):
 * - 'pagecache' (default, Kafka's): an append resolves once its bytes are written to the file,
 *   i.e. in the OS page cache; it survives a crash of the process, not of the machine. Appends
 *   made in the same tick share one write. flush.messages / flush.ms add periodic fsyncs.
 * - 'fsync': an append resolves only after an fdatasync that covers it; appends that arrive while
 *   a sync is running share the next one (group commit). It survives power loss.
 * After a failed fsync nothing more is acknowledged until the log is reopened (a retried fsync
 * can report success after the kernel dropped the dirty pages).
 *
 * Not thread-safe: one writer (the thread that opened it) per log.
 */
export type Durability = 'pagecache' | 'fsync';

export interface LogOptions {
  readonly config?: LogConfigInput;
  readonly durability?: Durability;
  /** Size of the active segment's write buffer. */
  readonly writeBufferBytes?: number;
  readonly io?: FileIO;
  /** Milliseconds since the epoch; injectable so tests control time. */
  readonly clock?: () => number;
  /** Stamped into every appended batch's partitionLeaderEpoch. */
  readonly leaderEpoch?: number;
  /** Run retention checks and flush.ms on timers (default true). Tests call the methods directly. */
  readonly scheduleTasks?: boolean;
  readonly decompressedBytesLimit?: number;
  /** Called with the recovery report before open() resolves. */
  readonly onRecovery?: (report: RecoveryReport) => void;
  /**
   * Where recovery scans of large segments may run instead of this thread (a WorkPool: it
   * declines small segments, which are then scanned inline). Used only with node:fs reads.
   */
  readonly recoveryScanner?: RecoveryScanner;
  /**
   * Where compaction passes may run instead of this thread (a WorkPool: it declines small jobs,
   * which then run inline). Used only with node:fs reads, as recoveryScanner.
   */
  readonly compactionRunner?: CompactionRunner;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly recordsCount: number;
  /** The broker's append time for LogAppendTime logs, else -1. */
  readonly logAppendTimeMs: number;
}

export interface ReadResult {
  /** Whole stored batches, as stored (CRC-checked on the way out). */
  readonly records: Buffer;
  /** Offset to read next: one past the last batch returned, or the requested offset if none. */
  readonly nextOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface CompactionResult {
  readonly segmentsRewritten: number;
  readonly recordsRemoved: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

export interface TimestampLookup {
  readonly offset: number;
  readonly timestamp: number;
}

export type { RecoveryReport } from './log-loader.js';

/** diagnostics_channel names; publishing costs nothing when nobody subscribes. */
export const RECOVERY_CHANNEL = 'brook:log:recovery';
export const CORRUPTION_CHANNEL = 'brook:log:corruption';
const recoveryChannel = channel(RECOVERY_CHANNEL);
const corruptionChannel = channel(CORRUPTION_CHANNEL);

type MutableSegmentSettings = { -readonly [K in keyof SegmentSettings]: SegmentSettings[K] };

interface PendingAppend {
  readonly result: AppendResult;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
  readonly flushAfter: boolean;
}

export class Log extends EventEmitter {
  readonly directory: string;
  #config: LogConfig;
  readonly durability: Durability;
  readonly recoveryReport: RecoveryReport;
  readonly #io: FileIO;
  readonly #clock: () => number;
  /** Shared with every segment; reconfigure() updates it in place. */
  readonly #settings: MutableSegmentSettings;
  #scheduleTasks: boolean;
  readonly #leaderEpoch: number;
  readonly #decompressedBytesLimit: number;
  #segments: LogSegment[];
  #logStartOffset: number;
  /** The recovery point and log start offset the checkpoint files on disk hold, if known. */
  #checkpointed: { recoveryPoint: number | null; logStartOffset: number | null };
  #logEndOffset: number;
  #highWatermark: number;
  readonly #highWatermarkListeners = new Set<(highWatermark: number) => void>();
  #recoveryPoint: number;
  readonly #producers = new ProducerStateTable();
  readonly #idempotentInFlight = new Map<number, Promise<AppendResult>>();
  #pending: PendingAppend[] = [];
  #rollbackState: SegmentState | null = null;
  #drainScheduled = false;
  #syncWaiters: PendingAppend[] = [];
  #syncInFlight = false;
  #syncScheduled = false;
  #flushChain: Promise<void> = Promise.resolve();
  #lastFlushMs: number;
  #failure: StorageError | null = null;
  #closed = false;
  #timers: NodeJS.Timeout[] = [];
  #deletions = new Set<{ timer: NodeJS.Timeout; segment: LogSegment }>();
  readonly #compactionRunner: CompactionRunner | null;
  /** The compaction pass in progress (one at a time per log), or null. */
  #compaction: Promise<CompactionResult> | null = null;
  #closing = false;

  private constructor(
    directory: string,
    config: LogConfig,
    options: LogOptions,
    io: FileIO,
    clock: () => number,
    settings: MutableSegmentSettings,
    loaded: LoadedLog,
  ) {
    super();
    this.directory = directory;
    this.#config = config;
    this.durability = options.durability ?? 'pagecache';
    this.#io = io;
    this.#clock = clock;
    this.#leaderEpoch = options.leaderEpoch ?? 0;
    this.#decompressedBytesLimit = options.decompressedBytesLimit ?? DECOMPRESSED_BYTES_LIMIT_DEFAULT;
    this.#scheduleTasks = options.scheduleTasks !== false;
    this.#compactionRunner = io.read === nodeFileIO.read ? (options.compactionRunner ?? null) : null;
    // Shared with every segment, which keeps a reference: reconfigure() changes it in place.
    this.#settings = settings;
    // An absent checkpoint reads as 0 for an empty log, so a new log need not write one.
    const empty = loaded.report.logEndOffset === 0 && loaded.report.logStartOffset === 0;
    this.#checkpointed = {
      recoveryPoint: loaded.checkpointed.recoveryPoint ?? (empty ? 0 : null),
      logStartOffset: loaded.checkpointed.logStartOffset ?? (empty ? 0 : null),
    };
    this.#segments = loaded.segments;
    this.recoveryReport = loaded.report;
    this.#logStartOffset = loaded.report.logStartOffset;
    this.#logEndOffset = loaded.report.logEndOffset;
    this.#highWatermark = loaded.report.logEndOffset;
    this.#recoveryPoint = loaded.report.recoveryPoint;
    this.#lastFlushMs = clock();
    try {
      this.#rebuildProducerState(clock());
    } catch {
      // Damaged headers were already reported by recovery or will be refused on read; the
      // producer state of what cannot be read is simply not known (any sequence is accepted).
    }
  }

  /**
   * Open (or create) the log in `directory`, recovering it if it was not closed cleanly. With a
   * `recoveryScanner` (a WorkPool), the scans of large segments run on its threads.
   */
  static async open(directory: string, options: LogOptions = {}): Promise<Log> {
    const config = resolveLogConfig(options.config ?? {});
    const io = options.io ?? nodeFileIO;
    const durability = options.durability ?? 'pagecache';
    if (durability !== 'pagecache' && durability !== 'fsync') {
      throw new EngineError('CONFIG_INVALID', `durability=${String(durability)} is invalid: use 'pagecache' or 'fsync'`);
    }
    const clock = options.clock ?? Date.now;
    const settings: MutableSegmentSettings = {
      indexIntervalBytes: config['index.interval.bytes'],
      indexBytesMax: config['segment.index.bytes'],
      writeBufferBytes: options.writeBufferBytes ?? MiB,
      rollJitterMsMax: Math.min(config['segment.jitter.ms'], config['segment.ms']),
    };
    const loaded = await loadSegments(directory, settings, io, clock(), options.recoveryScanner ?? null);
    const log = new Log(directory, config, options, io, clock, settings, loaded);
    // Checkpoints reflect what recovery established before anything new is written (after a clean
    // shutdown they usually already do: rewriting them costs two fsyncs and renames per partition).
    log.#writeCheckpoints();
    options.onRecovery?.(log.recoveryReport);
    if (recoveryChannel.hasSubscribers) recoveryChannel.publish({ directory, report: log.recoveryReport });
    if (log.#scheduleTasks) log.#startTimers();
    return log;
  }

  get config(): LogConfig {
    return this.#config;
  }

  /**
   * Change settings while the log is open (Kafka's alter-config): validated like at open; segment
   * and index settings apply to the next roll and index decision, retention and flush timers restart.
   */
  reconfigure(input: LogConfigInput): LogConfig {
    this.#ensureWritable();
    const config = resolveLogConfig(input);
    this.#config = config;
    this.#settings.indexIntervalBytes = config['index.interval.bytes'];
    this.#settings.indexBytesMax = config['segment.index.bytes'];
    this.#settings.rollJitterMsMax = Math.min(config['segment.jitter.ms'], config['segment.ms']);
    if (this.#scheduleTasks) {
      for (const timer of this.#timers.splice(0)) clearInterval(timer);
      this.#startTimers();
    }
    return config;
  }

  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  get logEndOffset(): number {
    return this.#logEndOffset;
  }

  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  get sizeBytes(): number {
    return this.#segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.#segments.map((segment) => segment.baseOffset);
  }

  /**
   * What the retention and roll rules look at, per segment, oldest first (read-only): sizes,
   * largest timestamps and roll baselines, for explanations such as `brook topics describe`.
   */
  segmentSummaries(): SegmentFacts[] {
    return this.#segments.map((segment) => ({
      baseOffset: segment.baseOffset,
      nextOffset: segment.nextOffset,
      sizeBytes: segment.sizeBytes,
      largestTimestampMs: segment.largestTimestamp(),
      largestTimestampSource: segment.maxTimestamp >= 0 ? 'record' : 'file-mtime',
      firstBatchTimestampMs: segment.snapshot().firstBatchTimestamp,
      createdAtMs: segment.createdAtMs,
      rollJitterMs: segment.rollJitterMs,
    }));
  }

  get #active(): LogSegment {
    return this.#segments[this.#segments.length - 1]!;
  }

  /**
   * Append one RecordBatch v2 as a producer sent it. Validates it (length, magic, CRC, records),
   * assigns offsets in the stored copy and resolves with them once the durability mode is met.
   */
  append(batch: Buffer): Promise<AppendResult> {
    try {
      return this.#append(batch, null);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Append a batch whose CRC and records were already checked by the same rules off this thread
   * (WorkPool.validate). Only the cheap header checks run here; the expensive ones are not repeated.
   * Reads still check every stored batch's CRC, so a batch wrongly passed here is never served.
   */
  appendValidated(batch: Buffer, validation: { readonly nullKeyCount: number }): Promise<AppendResult> {
    try {
      return this.#append(batch, validation.nullKeyCount);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  #append(batch: Buffer, validatedNullKeys: number | null): Promise<AppendResult> {
    if (this.#closed) throw new LogClosedError('LOG_CLOSED', `log ${this.directory} is closed`);
    if (this.#failure !== null) throw this.#failure;
    this.#validate(batch, validatedNullKeys);
    const count = batch.readInt32BE(RECORDS_COUNT_OFFSET);
    const lastOffsetDelta = batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    const nowMs = this.#clock();
    const logAppendTimeMs = this.#config['message.timestamp.type'] === 'LogAppendTime' ? nowMs : -1;
    const maxTimestamp = logAppendTimeMs >= 0 ? logAppendTimeMs : readInt64(batch, MAX_TIMESTAMP_OFFSET);
    const identity = batchIdentity(batch);
    const sequence = this.#producers.check(identity);
    if (sequence.kind === 'duplicate') return this.#answerDuplicate(sequence.original, count);
    const baseOffset = this.#logEndOffset;
    const lastOffset = baseOffset + lastOffsetDelta;
    const segmentBytes = this.#config['segment.bytes'];
    if (this.#active.shouldRoll(batch.length, lastOffset, maxTimestamp, nowMs, segmentBytes, this.#config['segment.ms'])) {
      this.#roll();
    }
    const active = this.#active;
    if (this.#pending.length === 0) this.#rollbackState = active.snapshot();
    active.append(batch, { baseOffset, lastOffset, maxTimestamp, leaderEpoch: this.#leaderEpoch, logAppendTimeMs });
    this.#logEndOffset = lastOffset + 1;
    this.#producers.update(identity, baseOffset, maxTimestamp);
    const result: AppendResult = { baseOffset, lastOffset, recordsCount: count, logAppendTimeMs };
    const flushAfter = this.#logEndOffset - this.#recoveryPoint >= this.#config['flush.messages'];
    const acknowledged = new Promise<AppendResult>((resolve, reject) => {
      this.#pending.push({ result, resolve, reject, flushAfter });
      if (!this.#drainScheduled) {
        this.#drainScheduled = true;
        queueMicrotask(() => this.#drainPending());
      }
    });
    if (identity.producerId >= 0) {
      this.#idempotentInFlight.set(baseOffset, acknowledged);
      const forget = (): void => void this.#idempotentInFlight.delete(baseOffset);
      acknowledged.then(forget, forget);
    }
    return acknowledged;
  }

  /**
   * A retried batch of an idempotent producer: nothing is written; the answer is the original
   * batch's offsets, once the original is acknowledged (or its failure, if it fails).
   */
  #answerDuplicate(original: BatchMetadata, count: number): Promise<AppendResult> {
    const result: AppendResult = {
      baseOffset: original.firstOffset,
      lastOffset: original.lastOffset,
      recordsCount: count,
      logAppendTimeMs: this.#config['message.timestamp.type'] === 'LogAppendTime' ? original.timestampMs : -1,
    };
    const inFlight = this.#idempotentInFlight.get(original.firstOffset);
    return inFlight === undefined ? Promise.resolve(result) : inFlight.then(() => result);
  }

  /** Rebuild idempotent-producer state from the batch headers of segments young enough to matter. */
  #rebuildProducerState(nowMs: number): void {
    for (const segment of this.#segments) {
      if (segment.isEmpty) continue;
      if (segment.maxTimestamp >= 0 && nowMs - segment.maxTimestamp > PRODUCER_ID_EXPIRATION_MS_DEFAULT) continue;
      let location = segment.findBatch(-1, { position: 0, previousLastOffset: null });
      while (location !== null) {
        const header = segment.read(location.position, RECORD_BATCH_OVERHEAD);
        const identity = batchIdentity(header);
        if (identity.producerId >= 0) {
          if (this.#producers.check(identity).kind === 'append') {
            this.#producers.update(identity, location.baseOffset, location.maxTimestamp);
          }
        }
        const after = { position: location.position + location.batchBytes, previousLastOffset: location.lastOffset };
        location = segment.findBatch(-1, after);
      }
    }
  }

  #validate(batch: Buffer, validatedNullKeys: number | null): void {
    const maxMessageBytes = this.#config['max.message.bytes'];
    if (batch.length > maxMessageBytes) {
      throw new RecordTooLargeError(
        'RECORD_TOO_LARGE',
        `batch of ${batch.length} bytes exceeds max.message.bytes=${maxMessageBytes}; raise max.message.bytes or send smaller batches`,
      );
    }
    if (batch.length > this.#config['segment.bytes']) {
      throw new RecordTooLargeError(
        'RECORD_TOO_LARGE',
        `batch of ${batch.length} bytes exceeds segment.bytes=${this.#config['segment.bytes']}`,
      );
    }
    const batchBytes =
      validatedNullKeys === null ? validateRecordBatch(batch, 0, batch.length) : checkedBatchBytes(batch, 0, batch.length);
    if (batchBytes !== batch.length) {
      throw new InvalidRecordError(
        'INVALID_RECORD',
        `append takes exactly one record batch; got ${batch.length} bytes with a first batch of ${batchBytes}`,
      );
    }
    if (isControlBatch(batch)) {
      throw new InvalidRecordError('INVALID_RECORD', 'producers may not append control batches');
    }
    const count = batch.readInt32BE(RECORDS_COUNT_OFFSET);
    const lastOffsetDelta = batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    if (count <= 0 || lastOffsetDelta !== count - 1) {
      throw new InvalidRecordError(
        'INVALID_RECORD',
        `a produced batch needs recordsCount > 0 and lastOffsetDelta = recordsCount - 1 (got ${count}, ${lastOffsetDelta})`,
      );
    }
    const nullKeys = validatedNullKeys ?? walkProducedBatch(batch, 0, batchBytes, this.#decompressedBytesLimit);
    if (nullKeys === SEALED_RECORDS && hasPolicy(this.#config, 'compact')) {
      throw new EngineError(
        'UNSUPPORTED_CODEC',
        'a compacted topic needs records Brook can read to compact them: produce with compression none, gzip or lz4',
      );
    }
    if (nullKeys > 0 && hasPolicy(this.#config, 'compact')) {
      throw new InvalidRecordError('INVALID_RECORD', 'a compacted topic cannot accept a record without a key');
    }
  }

  /** Write what this tick appended to the file, then settle those appends. */
  #drainPending(): void {
    this.#drainScheduled = false;
    if (this.#pending.length === 0) return;
    const drained = this.#pending;
    try {
      this.#active.drain();
    } catch (error) {
      this.#rollBack(error);
      return;
    }
    this.#pending = [];
    this.#rollbackState = null;
    for (const append of drained) {
      if (this.durability === 'fsync') this.#syncWaiters.push(append);
      else if (append.flushAfter) this.flush().then(() => append.resolve(append.result), append.reject);
      else append.resolve(append.result);
    }
    if (this.durability === 'pagecache') this.#advanceHighWatermark(drained[drained.length - 1]!.result.lastOffset + 1);
    this.#scheduleGroupCommit();
  }

  /** A write failed (ENOSPC, EIO): undo the appends it carried and fail them. Nothing acked is lost. */
  #rollBack(error: unknown): void {
    const failed = this.#pending;
    const state = this.#rollbackState;
    assert(state !== null, 'pending appends without a rollback state');
    this.#active.restore(state);
    this.#logEndOffset = state.nextOffset;
    this.#producers.truncateFrom(state.nextOffset);
    this.#pending = [];
    this.#rollbackState = null;
    const storageError = new StorageError('STORAGE_ERROR', `write to ${this.directory} failed; nothing was acknowledged`, {
      retriable: true,
      cause: error,
    });
    for (const append of failed) append.reject(storageError);
  }

  /** Settle the pending appends now (before a roll, a flush or close); throws if the write fails. */
  #drainNow(): void {
    if (this.#pending.length === 0) return;
    this.#drainPending();
    if (this.#pending.length > 0 || this.#rollbackState !== null) {
      throw new StorageError('STORAGE_ERROR', `write to ${this.directory} failed`);
    }
  }

  /**
   * Start the next fdatasync once the current macrotask is done, so that every append made in it
   * (each appender resuming after its previous ack, for instance) joins the same sync instead of
   * the first one syncing alone.
   */
  #scheduleGroupCommit(): void {
    if (this.#syncWaiters.length === 0 || this.#syncInFlight || this.#syncScheduled) return;
    this.#syncScheduled = true;
    setImmediate(() => {
      this.#syncScheduled = false;
      if (this.#syncWaiters.length > 0 && !this.#syncInFlight && !this.#closed) this.#startGroupCommit();
    });
  }

  #startGroupCommit(): void {
    this.#syncInFlight = true;
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    this.#active.datasyncFile().then(
      () => {
        for (const append of waiters) append.resolve(append.result);
        this.#advanceHighWatermark(waiters[waiters.length - 1]!.result.lastOffset + 1);
      },
      (error: unknown) => {
        this.#fail(error, 'fdatasync');
        for (const append of waiters) append.reject(this.#failure!);
      },
    ).finally(() => {
      this.#syncInFlight = false;
      if (this.#syncWaiters.length === 0) return;
      if (this.#failure !== null) {
        for (const append of this.#syncWaiters.splice(0)) append.reject(this.#failure);
      } else {
        this.#scheduleGroupCommit();
      }
    });
  }

  /**
   * The high watermark: one past the last acknowledged offset (written to the file in page-cache
   * mode, fsynced in fsync mode). Consumers read below it, so they never see a record whose append
   * can still fail and be rolled back. Listeners registered with onHighWatermark() are told each
   * time it moves (long-polling fetches wait on this, not on a timer).
   */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  onHighWatermark(listener: (highWatermark: number) => void): () => void {
    this.#highWatermarkListeners.add(listener);
    return () => this.#highWatermarkListeners.delete(listener);
  }

  #advanceHighWatermark(offset: number): void {
    if (offset <= this.#highWatermark) return;
    this.#highWatermark = offset;
    for (const listener of this.#highWatermarkListeners) listener(offset);
  }

  #fail(error: unknown, operation: string): void {
    if (this.#failure !== null) return;
    this.#failure = new StorageError(
      'STORAGE_ERROR',
      `${operation} failed in ${this.directory}; nothing more is acknowledged until the log is reopened`,
      { cause: error },
    );
    this.emit('failure', this.#failure);
  }

  #roll(): void {
    this.#drainNow();
    const previous = this.#active;
    previous.onBecomeInactive();
    if (this.durability === 'fsync') {
      // Waiters queued for a group commit are covered by this sync of the old segment. A failed
      // sync fails the log, as a failed group commit does: nothing more is acknowledged.
      try {
        previous.flush(true);
      } catch (error) {
        this.#fail(error, 'fdatasync');
        for (const append of this.#syncWaiters.splice(0)) append.reject(this.#failure!);
        throw this.#failure ?? error;
      }
      const covered = this.#syncWaiters.splice(0);
      for (const append of covered) append.resolve(append.result);
      if (covered.length > 0) this.#advanceHighWatermark(covered[covered.length - 1]!.result.lastOffset + 1);
    }
    const segment = LogSegment.create(this.directory, this.#logEndOffset, this.#settings, this.#io, this.#clock());
    if (this.durability === 'fsync') this.#io.syncDirectory(this.directory);
    this.#segments.push(segment);
    this.emit('roll', { baseOffset: segment.baseOffset });
    // As Kafka does, flush the rolled segment in the background; the recovery point follows.
    this.flush().catch(() => undefined);
  }

  /** Force a roll to a new active segment (if the active one holds anything). */
  roll(): void {
    this.#ensureWritable();
    if (!this.#active.isEmpty) this.#roll();
  }

  #ensureWritable(): void {
    if (this.#closed) throw new LogClosedError('LOG_CLOSED', `log ${this.directory} is closed`);
    if (this.#failure !== null) throw this.#failure;
  }

  /**
   * Kafka's flush: write out and fdatasync every segment from the recovery point on, write their
   * indexes, then move the recovery point to the log end offset and checkpoint it.
   */
  flush(): Promise<void> {
    const run = this.#flushChain.then(() => this.#flushOnce());
    this.#flushChain = run.catch(() => undefined);
    return run;
  }

  async #flushOnce(): Promise<void> {
    if (this.#closed) return;
    if (this.#failure !== null) throw this.#failure;
    this.#drainNow();
    const upTo = this.#logEndOffset;
    // Appends waiting for a group commit are covered by this flush's syncs.
    const covered = this.#syncWaiters.splice(0);
    const dirty = this.#segments.filter((segment) => segment.nextOffset > this.#recoveryPoint || segment === this.#active);
    try {
      for (const segment of dirty) {
        if (segment.closed) continue;
        segment.drain();
        // A segment closed meanwhile (a compaction swap, retention) kept its descriptor for this.
        await segment.datasyncFile();
        if (segment.closed) continue;
        segment.offsetIndex.persist(true);
        segment.timeIndex.persist(true);
      }
    } catch (error) {
      this.#fail(error, 'flush');
      for (const append of covered) append.reject(this.#failure!);
      throw this.#failure!;
    }
    for (const append of covered) append.resolve(append.result);
    if (covered.length > 0) this.#advanceHighWatermark(covered[covered.length - 1]!.result.lastOffset + 1);
    if (this.#closed) return;
    if (upTo > this.#recoveryPoint) this.#recoveryPoint = upTo;
    this.#lastFlushMs = this.#clock();
    this.#writeCheckpoints();
  }

  /** Write both checkpoints, skipping a file that already holds its value. */
  #writeCheckpoints(): void {
    if (this.#checkpointed.recoveryPoint !== this.#recoveryPoint) {
      writeOffsetCheckpoint(this.#io, this.directory, RECOVERY_POINT_CHECKPOINT_FILE, this.#recoveryPoint);
      this.#checkpointed.recoveryPoint = this.#recoveryPoint;
    }
    if (this.#checkpointed.logStartOffset !== this.#logStartOffset) {
      writeOffsetCheckpoint(this.#io, this.directory, LOG_START_OFFSET_CHECKPOINT_FILE, this.#logStartOffset);
      this.#checkpointed.logStartOffset = this.#logStartOffset;
    }
  }

  /**
   * Whole stored batches starting with the one that holds `offset`, up to `maxBytes` (at least one
   * batch). Bytes come as stored; each batch's CRC is checked on the way out and a corrupt batch
   * is never returned (CorruptSegmentError when it would be the first). `maxOffset` (exclusive,
   * default the log end offset) bounds what is returned: consumers pass the high watermark.
   */
  read(offset: number, maxBytes = MiB, maxOffset = this.#logEndOffset): ReadResult {
    if (this.#closed) throw new LogClosedError('LOG_CLOSED', `log ${this.directory} is closed`);
    const empty = (): ReadResult => ({
      records: Buffer.alloc(0),
      nextOffset: offset,
      logStartOffset: this.#logStartOffset,
      logEndOffset: this.#logEndOffset,
    });
    if (offset < this.#logStartOffset || offset > this.#logEndOffset || !Number.isSafeInteger(offset)) {
      throw new OffsetOutOfRangeError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside the log [${this.#logStartOffset}, ${this.#logEndOffset}]`,
      );
    }
    if (offset >= maxOffset) return empty();
    for (let index = this.#segmentIndexFor(offset); index < this.#segments.length; index++) {
      const segment = this.#segments[index]!;
      if (segment.isEmpty) continue;
      // A segment closed by a compaction swap that failed half-way: the log's failure says why.
      if (segment.closed && this.#failure !== null) throw this.#failure;
      let records: Buffer;
      try {
        const location = segment.findBatch(offset);
        if (location === null) continue;
        records = segment.readBatches(location, maxBytes);
      } catch (error) {
        this.emit('corruption', error);
        if (corruptionChannel.hasSubscribers) corruptionChannel.publish({ directory: this.directory, error });
        throw error;
      }
      if (maxOffset < this.#logEndOffset) records = records.subarray(0, bytesBelow(records, maxOffset));
      if (records.length === 0) return empty();
      const nextOffset = lastOffsetOf(records) + 1;
      return { records, nextOffset, logStartOffset: this.#logStartOffset, logEndOffset: this.#logEndOffset };
    }
    return empty();
  }

  /** Decoded records from `offset` on (records before it in the first batch are skipped). */
  readRecords(offset: number, maxBytes = MiB): { records: Record[]; nextOffset: number } {
    const result = this.read(offset, maxBytes);
    const records: Record[] = [];
    let position = 0;
    while (position < result.records.length) {
      const decoded = decodeRecordBatch(result.records, position, {
        crcChecked: true,
        decompressedBytesLimit: this.#decompressedBytesLimit,
      });
      for (const record of decoded.records) if (record.offset >= offset) records.push(record);
      position += decoded.header.batchLength + 12;
    }
    return { records, nextOffset: result.nextOffset };
  }

  /** The first record with timestamp ≥ `timestampMs` (Kafka ListOffsets), or null. */
  offsetForTimestamp(timestampMs: number): TimestampLookup | null {
    for (const segment of this.#segments) {
      if (segment.isEmpty || segment.maxTimestamp < timestampMs) continue;
      const fromOffset = Math.max(segment.timeIndex.lookup(timestampMs), this.#logStartOffset);
      let location = segment.findBatch(fromOffset);
      while (location !== null) {
        if (location.maxTimestamp >= timestampMs) {
          const batch = segment.readBatches(location, location.batchBytes);
          const decoded = decodeRecordBatch(batch, 0, { crcChecked: true, decompressedBytesLimit: this.#decompressedBytesLimit });
          for (const record of decoded.records) {
            if (record.timestamp >= timestampMs && record.offset >= this.#logStartOffset) {
              return { offset: record.offset, timestamp: record.timestamp };
            }
          }
        }
        const after = { position: location.position + location.batchBytes, previousLastOffset: location.lastOffset };
        location = segment.findBatch(location.lastOffset + 1, after);
      }
    }
    return null;
  }

  #segmentIndexFor(offset: number): number {
    let low = 0;
    let high = this.#segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#segments[middle]!.baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /**
   * Apply retention now: delete whole segments, oldest first, past retention.bytes or retention.ms
   * or below the log start offset. Files are renamed `.deleted` and removed after
   * file.delete.delay.ms. Returns the deleted segments' base offsets.
   */
  deleteOldSegments(nowMs = this.#clock()): { baseOffsets: number[]; reasons: RetentionReason[] } {
    this.#ensureWritable();
    this.#drainNow();
    const decision = decideRetention({
      segments: this.#segments.map((segment) => ({
        baseOffset: segment.baseOffset,
        sizeBytes: segment.sizeBytes,
        largestTimestampMs: segment.largestTimestamp(),
      })),
      config: this.#config,
      nowMs,
      logStartOffset: this.#logStartOffset,
      logEndOffset: this.#logEndOffset,
      highWatermark: this.#highWatermark,
    });
    if (decision.count === 0) return { baseOffsets: [], reasons: [] };
    if (decision.rollFirst) this.#roll();
    const doomed = this.#segments.slice(0, decision.count);
    this.#segments = this.#segments.slice(decision.count);
    const newStart = this.#segments[0]!.baseOffset;
    assert(newStart >= this.#logStartOffset || decision.reasons.includes('log-start-offset'), 'log start offset moved back');
    this.#logStartOffset = Math.max(this.#logStartOffset, newStart);
    this.#writeCheckpoints();
    for (const segment of doomed) this.#scheduleDeletion(segment);
    const baseOffsets = doomed.map((segment) => segment.baseOffset);
    this.emit('retention', { baseOffsets, reasons: decision.reasons, logStartOffset: this.#logStartOffset });
    return { baseOffsets, reasons: [...decision.reasons] };
  }

  /**
   * One compaction pass for cleanup.policy=compact (see compactor.ts): runs when the dirty share of
   * the cleanable segments exceeds min.cleanable.dirty.ratio, when the oldest dirty segment is past
   * max.compaction.lag.ms, or when forced. The active segment is never compacted.
   *
   * The pass reads segment files and writes new ones, on a worker when the log has a
   * compactionRunner that takes the job, else on this thread; appends, reads and retention go on
   * meanwhile. The swap happens here, after: a segment that retention deleted in the meantime is
   * skipped and its new file removed. One pass at a time: a call while one runs gets its result.
   */
  compact(options: { nowMs?: number; force?: boolean } = {}): Promise<CompactionResult> {
    if (this.#compaction !== null) return this.#compaction;
    // A log that is closing starts no pass (close() has already waited for the last one); a
    // closed one refuses, below.
    if (this.#closing && !this.#closed) return Promise.resolve(NO_COMPACTION);
    let planned: PlannedCompaction | null;
    try {
      planned = this.#planCompaction(options.nowMs ?? this.#clock(), options.force === true);
    } catch (error) {
      return Promise.reject(error);
    }
    if (planned === null) return Promise.resolve(NO_COMPACTION);
    const job = planned.job;
    let offloaded: Promise<CompactionOutcome> | null;
    try {
      offloaded = this.#compactionRunner?.compactSegments(job) ?? null;
      if (offloaded === null) return Promise.resolve(this.#applyCompaction(planned, runCompaction(job, this.#io)));
    } catch (error) {
      return Promise.reject(error);
    }
    const pass = offloaded
      .then(
        (outcome) => this.#applyCompaction(planned, outcome),
        (error: unknown) => this.#abandonCompaction(planned, error),
      )
      .finally(() => {
        this.#compaction = null;
      });
    this.#compaction = pass;
    return pass;
  }

  #planCompaction(nowMs: number, force: boolean): PlannedCompaction | null {
    this.#ensureWritable();
    if (!hasPolicy(this.#config, 'compact')) return null;
    this.#drainNow();
    const inactive = this.#segments.slice(0, -1);
    const lagMs = this.#config['min.compaction.lag.ms'];
    let end = 0;
    while (end < inactive.length && inactive[end]!.largestTimestamp() <= nowMs - lagMs) end++;
    const cleanable = inactive.slice(0, end);
    if (cleanable.length === 0) return null;
    const checkpointed = readOffsetCheckpoint(this.#io, this.directory, CLEANER_OFFSET_CHECKPOINT_FILE);
    const firstDirtyOffset = Math.max(checkpointed ?? 0, this.#logStartOffset);
    const dirty = cleanable.filter((segment) => segment.nextOffset > firstDirtyOffset);
    const dirtyBytes = dirty.reduce((sum, segment) => sum + segment.sizeBytes, 0);
    const totalBytes = cleanable.reduce((sum, segment) => sum + segment.sizeBytes, 0);
    const overdue = dirty.some((segment) => nowMs - segment.largestTimestamp() > this.#config['max.compaction.lag.ms']);
    const ratio = totalBytes === 0 ? 0 : dirtyBytes / totalBytes;
    if (!force && !overdue && (dirty.length === 0 || ratio <= this.#config['min.cleanable.dirty.ratio'])) return null;
    const job: CompactionJob = {
      segments: cleanable.map((segment) => {
        const { path, fileBytes } = segment.recoveryFile;
        return { path, baseOffset: segment.baseOffset, fileBytes, nextOffset: segment.nextOffset, largestTimestamp: segment.largestTimestamp() };
      }),
      firstDirtyOffset,
      nowMs,
      deleteRetentionMs: this.#config['delete.retention.ms'],
      decompressedBytesLimit: this.#decompressedBytesLimit,
    };
    return { job, segments: cleanable, cleanEnd: this.#segments[end]!.baseOffset };
  }

  /**
   * Swap in what a pass wrote. Each cleaned file replaces its segment if that segment is still
   * this log's, unchanged; otherwise (retention deleted it meanwhile, or the log was truncated)
   * the file is removed. Nothing is swapped into a closed or failed log.
   */
  #applyCompaction(planned: PlannedCompaction, outcome: CompactionOutcome): CompactionResult {
    const result = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
    const live = planned.segments.filter((segment) => this.#segments.includes(segment));
    if (this.#closed || this.#failure !== null) {
      for (const cleaned of outcome.cleaned) removeQuietly(this.#io, cleaned.cleanedPath);
      return result;
    }
    const swaps: Array<{ readonly segment: LogSegment; readonly cleaned: CleanedSegment }> = [];
    for (const cleaned of outcome.cleaned) {
      const segment = live.find((candidate) => candidate.baseOffset === cleaned.baseOffset);
      if (segment === undefined || segment.sizeBytes !== cleaned.bytesBefore) {
        removeQuietly(this.#io, cleaned.cleanedPath);
        continue;
      }
      swaps.push({ segment, cleaned });
    }
    // Every new file must hold offsets of its own segment, in order, before any of them replaces one.
    const misplaced = swaps.find(({ segment, cleaned }) => !scanFitsSegment(cleaned.scan, segment));
    if (misplaced !== undefined) {
      for (const { cleaned } of swaps) removeQuietly(this.#io, cleaned.cleanedPath);
      throw new CorruptSegmentError(
        'CORRUPT_SEGMENT',
        `compaction of ${misplaced.segment.paths.log} wrote offsets outside the segment; nothing was swapped`,
      );
    }
    // Before any swap: segments below it may have offset gaps from here on (see offsetsContiguous).
    try {
      const compactedBelow = readOffsetCheckpoint(this.#io, this.directory, COMPACTED_BELOW_CHECKPOINT_FILE) ?? 0;
      if (planned.cleanEnd > compactedBelow) {
        writeOffsetCheckpoint(this.#io, this.directory, COMPACTED_BELOW_CHECKPOINT_FILE, planned.cleanEnd);
      }
    } catch (error) {
      for (const { cleaned } of swaps) removeQuietly(this.#io, cleaned.cleanedPath);
      throw error;
    }
    for (const segment of live) segment.offsetsContiguous = false;
    for (const { segment, cleaned } of swaps) {
      try {
        this.#swapIn(segment, cleaned, planned.job.nowMs);
      } catch (error) {
        // Half swapped: the files are consistent (an open finishes or discards each swap), this
        // log's view of them is not. Nothing more is written; reopening recovers.
        this.#fail(error, 'compaction swap');
        throw this.#failure ?? error;
      }
      result.segmentsRewritten++;
      result.recordsRemoved += cleaned.recordsRemoved;
      result.bytesBefore += cleaned.bytesBefore;
      result.bytesAfter += cleaned.bytesAfter;
    }
    // After every swap: the next pass's dirty section starts here. A crash before this line
    // leaves the old value, so the next pass cleans these segments again (and finds them clean).
    writeOffsetCheckpoint(this.#io, this.directory, CLEANER_OFFSET_CHECKPOINT_FILE, planned.cleanEnd);
    this.#io.syncDirectory(this.directory);
    this.emit('compaction', result);
    return result;
  }

  /**
   * A pass that failed on a worker. If one of its segments is no longer this log's (retention
   * removed the file while it was being read), the pass is moot: nothing was swapped, leftovers
   * are removed, and the next pass starts afresh. Any other failure is the caller's.
   */
  #abandonCompaction(planned: PlannedCompaction, error: unknown): CompactionResult {
    for (const segment of planned.job.segments) removeQuietly(this.#io, segment.path + CLEANED_SUFFIX);
    if (planned.segments.some((segment) => !this.#segments.includes(segment))) return NO_COMPACTION;
    throw error;
  }

  /** Replace `segment` by its compacted file; indexes are rebuilt from the file's scan. */
  #swapIn(segment: LogSegment, cleaned: CleanedSegment, nowMs: number): void {
    const index = this.#segments.indexOf(segment);
    assert(index >= 0 && index < this.#segments.length - 1, 'only inactive segments are compacted');
    const swapPath = segment.paths.log + SWAP_SUFFIX;
    this.#io.rename(cleaned.cleanedPath, swapPath);
    segment.close();
    this.#io.unlink(segment.paths.index);
    this.#io.unlink(segment.paths.timeIndex);
    this.#io.rename(swapPath, segment.paths.log);
    const fresh = LogSegment.open(this.directory, segment.baseOffset, this.#settings, this.#io, nowMs);
    fresh.offsetsContiguous = false;
    const recovered = fresh.applyRecoveryScan(cleaned.scan, false);
    assert(recovered.reason === null, `compacted segment ${segment.paths.log} does not validate: ${recovered.reason}`);
    fresh.onBecomeInactive();
    this.#segments[index] = fresh;
  }

  #scheduleDeletion(segment: LogSegment): void {
    segment.renameAll(DELETED_SUFFIX);
    const entry = {
      segment,
      timer: setTimeout(() => {
        this.#deletions.delete(entry);
        this.#removeDeleted(segment);
      }, this.#config['file.delete.delay.ms']),
    };
    entry.timer.unref();
    this.#deletions.add(entry);
  }

  #removeDeleted(segment: LogSegment): void {
    for (const path of [segment.paths.log, segment.paths.index, segment.paths.timeIndex]) {
      this.#io.unlink(path + DELETED_SUFFIX);
    }
  }

  #startTimers(): void {
    const retentionTimer = setInterval(() => {
      if (this.#closed || this.#failure !== null) return;
      try {
        this.deleteOldSegments();
        // A pass still running from an earlier tick reports its own outcome.
        if (this.#compaction === null) this.compact().catch((error: unknown) => this.emit('error', error));
        this.#producers.expire(this.#clock(), PRODUCER_ID_EXPIRATION_MS_DEFAULT);
      } catch (error) {
        this.emit('error', error);
      }
    }, this.#config['log.retention.check.interval.ms']);
    retentionTimer.unref();
    this.#timers.push(retentionTimer);
    const flushMs = this.#config['flush.ms'];
    if (Number.isFinite(flushMs)) {
      const flushTimer = setInterval(() => {
        if (this.#closed || this.#clock() - this.#lastFlushMs < flushMs) return;
        this.flush().catch(() => undefined);
      }, Math.max(1, Math.min(flushMs, 1000)));
      flushTimer.unref();
      this.#timers.push(flushTimer);
    }
  }

  /**
   * Close cleanly: settle pending appends, flush and fsync everything, write the checkpoints and
   * the clean-shutdown marker, so the next open skips recovery.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    for (const timer of this.#timers) clearInterval(timer);
    // A compaction pass on a worker finishes (and swaps in) before the log closes.
    await this.#compaction?.catch(() => undefined);
    let clean = this.#failure === null;
    try {
      if (clean) {
        await this.flush();
        this.#active.onBecomeInactive();
        this.#active.flush(true);
        this.#writeCheckpoints();
      }
    } catch {
      clean = false;
    }
    while (this.#syncInFlight || this.#syncScheduled) await new Promise((resolve) => setImmediate(resolve));
    this.#closed = true;
    for (const append of [...this.#pending, ...this.#syncWaiters]) {
      append.reject(new LogClosedError('LOG_CLOSED', `log ${this.directory} closed before the append was acknowledged`));
    }
    for (const segment of this.#segments) segment.close();
    for (const entry of this.#deletions) {
      clearTimeout(entry.timer);
      this.#removeDeleted(entry.segment);
    }
    this.#deletions.clear();
    if (clean) {
      const marker = join(this.directory, CLEAN_SHUTDOWN_FILE);
      const fd = this.#io.open(marker, 'w');
      this.#io.close(fd);
      this.#io.syncDirectory(this.directory);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/** Whether a cleaned file's batches lie within `segment`'s offsets, in increasing order. */
function scanFitsSegment(scan: RecoveryScan, segment: LogSegment): boolean {
  let previousLast = segment.baseOffset - 1;
  for (let batch = 0; batch < scan.batchCount; batch++) {
    const at = batch * RECOVERY_BATCH_FIELDS;
    const base = scan.batches[at + SCANNED_BASE_OFFSET]!;
    const last = scan.batches[at + SCANNED_LAST_OFFSET]!;
    if (base <= previousLast || last < base || last >= segment.nextOffset) return false;
    previousLast = last;
  }
  return true;
}

const NO_COMPACTION: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };

/** A compaction job and what the log needs to apply it. */
interface PlannedCompaction {
  readonly job: CompactionJob;
  /** The segments of job.segments, as they were when planned. */
  readonly segments: ReadonlyArray<LogSegment>;
  /** Cleaner checkpoint once applied: base offset of the first segment not cleaned. */
  readonly cleanEnd: number;
}

function batchIdentity(batch: Buffer): BatchIdentity {
  return {
    producerId: readInt64(batch, PRODUCER_ID_OFFSET),
    producerEpoch: batch.readInt16BE(PRODUCER_EPOCH_OFFSET),
    baseSequence: batch.readInt32BE(BASE_SEQUENCE_OFFSET),
    lastOffsetDelta: batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET),
  };
}

/** Length of the leading batches of `records` that start below `maxOffset`. */
function bytesBelow(records: Buffer, maxOffset: number): number {
  let position = 0;
  while (position < records.length && readInt64(records, position) < maxOffset) {
    position += records.readInt32BE(position + 8) + 12;
  }
  return position;
}

/** Last offset of the last whole batch in `records` (walking batch lengths). */
function lastOffsetOf(records: Buffer): number {
  let position = 0;
  let lastOffset = -1;
  while (position < records.length) {
    lastOffset = readInt64(records, position) + records.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
    position += records.readInt32BE(position + 8) + 12;
  }
  return lastOffset;
}

