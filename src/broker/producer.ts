import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { EngineError } from '../core/errors.js';
import { encodeRecordBatch, type EncodeBatchOptions } from '../records/record-batch.js';
import { nativeBacklogTurn } from '../records/native-backlog.js';
import type { RecordHeaderInput, RecordInput } from '../records/record.js';
import type { AppendResult } from '../storage/log.js';
import { Partitioner, type NullKeyStrategy } from './partitioner.js';

/**
 * The embedded producer, in KafkaJS's shape: `send({ topic, messages })`. Records are grouped per
 * partition into one RecordBatch v2 until `batch.size` bytes or `linger.ms` (Kafka's names and
 * defaults), then appended; with linger.ms = 0 everything sent in the same tick shares a batch.
 *
 * acks: 0 resolves at once with offset -1 (fire and forget, errors are not reported); 1 and all
 * resolve after the partition log acknowledged the append (with one replica they are the same).
 */
export type Acks = 0 | 1 | -1 | 'all';

export interface ProducerOptions {
  readonly acks?: Acks;
  readonly 'batch.size'?: number;
  readonly 'linger.ms'?: number;
  readonly 'compression.type'?: 'none' | 'lz4' | 'gzip';
  /** Null-key behaviour: Kafka ≤ 2.3 round-robin (default) or Kafka 3.3+ sticky. */
  readonly partitioner?: NullKeyStrategy;
  /** Default true with acks=all (Kafka 3.0+): producer id, epoch and sequences, so retries are not written twice. */
  readonly 'enable.idempotence'?: boolean;
  readonly retries?: number;
  readonly 'retry.backoff.ms'?: number;
  readonly 'delivery.timeout.ms'?: number;
  readonly clock?: Clock;
}

export interface ProducerMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string>> | ReadonlyArray<RecordHeaderInput>;
  readonly partition?: number;
  readonly timestamp?: number;
}

export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset; -1 with acks=0. */
  readonly offset: number;
  readonly timestamp: number;
}

/** Where a producer's batches go: the embedded broker (or, later, a pool-backed one). */
export interface ProduceTarget {
  partitionCount(topic: string): number;
  append(topic: string, partition: number, batch: Buffer): Promise<AppendResult>;
  initProducerId(): { producerId: number; producerEpoch: number };
  /** Encode a batch (possibly on a worker pool); without it the producer encodes inline. */
  encode?(records: ReadonlyArray<RecordInput>, options: EncodeBatchOptions): Promise<Buffer> | Buffer;
}

/**
 * One send() call: its records may spread over several partitions and batches. It settles once
 * every one of them is acknowledged (or the first fails), with one promise per call, not per record.
 */
class SendRequest {
  readonly results: RecordMetadata[];
  #remaining: number;
  #settled = false;

  constructor(
    readonly topic: string,
    count: number,
    private readonly resolve: (results: RecordMetadata[]) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.results = new Array<RecordMetadata>(count);
    this.#remaining = count;
    if (count === 0) resolve(this.results);
  }

  acknowledge(index: number, metadata: RecordMetadata): void {
    this.results[index] = metadata;
    if (--this.#remaining === 0 && !this.#settled) {
      this.#settled = true;
      this.resolve(this.results);
    }
  }

  fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.reject(error);
  }
}

interface Accumulator {
  readonly topic: string;
  readonly partition: number;
  records: RecordInput[];
  owners: SendRequest[];
  indexes: number[];
  bytes: number;
  timer: TimerHandle | null;
}

/** Bytes a record adds to a batch, close enough for batch.size decisions. */
const RECORD_OVERHEAD_BYTES = 21;

export class Producer {
  readonly #target: ProduceTarget;
  readonly #acks: Acks;
  readonly #batchBytes: number;
  readonly #lingerMs: number;
  readonly #compression: 'none' | 'lz4' | 'gzip';
  readonly #clock: Clock;
  readonly #partitioner: Partitioner;
  /** Open batches: topic → partition → accumulator (no per-record key strings). */
  readonly #accumulators = new Map<string, Array<Accumulator | undefined>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #partitionTails = new Map<string, Promise<void>>();
  #flushScheduled = false;
  #closed = false;
  readonly #idempotent: boolean;
  readonly #retries: number;
  readonly #retryBackoffMs: number;
  readonly #deliveryTimeoutMs: number;
  #producerId: { producerId: number; producerEpoch: number } | null = null;
  readonly #sequences = new Map<string, number>();

  constructor(target: ProduceTarget, options: ProducerOptions = {}) {
    this.#target = target;
    this.#acks = options.acks ?? 'all';
    if (![0, 1, -1, 'all'].includes(this.#acks)) {
      throw new EngineError('CONFIG_INVALID', `acks=${String(this.#acks)} is invalid: acks must be 0, 1, -1 or all`);
    }
    this.#batchBytes = nonNegativeInteger('batch.size', options['batch.size'] ?? 16_384);
    this.#lingerMs = nonNegativeInteger('linger.ms', options['linger.ms'] ?? 0);
    this.#compression = options['compression.type'] ?? 'none';
    if (!['none', 'lz4', 'gzip'].includes(this.#compression)) {
      throw new EngineError('CONFIG_INVALID', `compression.type=${this.#compression} is invalid: use none, lz4 or gzip`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#partitioner = new Partitioner(options.partitioner ?? 'round-robin', this.#batchBytes);
    const acksAll = this.#acks === 'all' || this.#acks === -1;
    this.#idempotent = options['enable.idempotence'] ?? acksAll;
    if (this.#idempotent && !acksAll) {
      throw new EngineError('CONFIG_INVALID', `enable.idempotence=true needs acks=all (got acks=${String(this.#acks)})`);
    }
    this.#retries = nonNegativeInteger('retries', options.retries ?? 2_147_483_647);
    this.#retryBackoffMs = nonNegativeInteger('retry.backoff.ms', options['retry.backoff.ms'] ?? 100);
    this.#deliveryTimeoutMs = nonNegativeInteger('delivery.timeout.ms', options['delivery.timeout.ms'] ?? 120_000);
  }

  /** Send records to one topic; resolves with each record's partition and offset, in order. */
  send(request: { topic: string; messages: ReadonlyArray<ProducerMessage>; acks?: Acks }): Promise<RecordMetadata[]> {
    if (this.#closed) return Promise.reject(new EngineError('LOG_CLOSED', 'producer is closed'));
    const acks = request.acks ?? this.#acks;
    let owner!: SendRequest;
    const acknowledged = new Promise<RecordMetadata[]>((resolve, reject) => {
      owner = new SendRequest(request.topic, request.messages.length, resolve, reject);
    });
    let partitions: number[];
    let timestamps: number[];
    try {
      const partitionCount = this.#target.partitionCount(request.topic);
      const count = request.messages.length;
      const nowMs = this.#clock.nowMs();
      partitions = new Array<number>(count);
      timestamps = new Array<number>(count);
      for (let index = 0; index < count; index++) {
        const queued = this.#enqueue(request.topic, partitionCount, request.messages[index]!, owner, index, nowMs);
        partitions[index] = queued.partition;
        timestamps[index] = queued.timestamp;
      }
    } catch (error) {
      owner.fail(error as Error);
      this.#scheduleFlush();
      return acknowledged;
    }
    this.#scheduleFlush();
    if (acks === 0) {
      acknowledged.catch(() => undefined);
      return Promise.resolve(
        partitions.map((partition, index) => ({ topic: request.topic, partition, offset: -1, timestamp: timestamps[index]! })),
      );
    }
    return acknowledged;
  }

  #enqueue(
    topic: string,
    partitionCount: number,
    message: ProducerMessage,
    owner: SendRequest,
    index: number,
    nowMs: number,
  ): { partition: number; timestamp: number } {
    const keyBytes = message.key === undefined || message.key === null ? null : toBytes(message.key);
    const valueBytes = message.value === null ? 0 : typeof message.value === 'string' ? Buffer.byteLength(message.value) : message.value.length;
    const recordBytes = RECORD_OVERHEAD_BYTES + (keyBytes?.length ?? 0) + valueBytes;
    const partition = this.#partitioner.partition(topic, partitionCount, keyBytes, message.partition, recordBytes);
    const timestamp = message.timestamp ?? nowMs;
    const record: RecordInput =
      message.headers === undefined
        ? { key: message.key ?? null, value: message.value, timestamp }
        : { key: message.key ?? null, value: message.value, timestamp, headers: toHeaders(message.headers) };
    let open = this.#accumulators.get(topic);
    if (open === undefined) {
      open = [];
      this.#accumulators.set(topic, open);
    }
    let accumulator = open[partition];
    if (accumulator !== undefined && accumulator.bytes + recordBytes > this.#batchBytes && accumulator.records.length > 0) {
      this.#seal(accumulator);
      accumulator = undefined;
    }
    if (accumulator === undefined) {
      accumulator = { topic, partition, records: [], owners: [], indexes: [], bytes: 0, timer: null };
      open[partition] = accumulator;
      if (this.#lingerMs > 0) {
        const created = accumulator;
        accumulator.timer = this.#clock.setTimer(this.#lingerMs, () => this.#seal(created), { keepAlive: true });
      }
    }
    accumulator.records.push(record);
    accumulator.owners.push(owner);
    accumulator.indexes.push(index);
    accumulator.bytes += recordBytes;
    if (accumulator.bytes >= this.#batchBytes) this.#seal(accumulator);
    return { partition, timestamp };
  }

  /** With linger.ms = 0, batches close at the end of the tick in which their records were sent. */
  #scheduleFlush(): void {
    if (this.#lingerMs > 0 || this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#sealAll();
    });
  }

  #sealAll(): void {
    for (const open of this.#accumulators.values()) {
      for (const accumulator of open) if (accumulator !== undefined) this.#seal(accumulator);
    }
  }

  #seal(accumulator: Accumulator): void {
    const open = this.#accumulators.get(accumulator.topic);
    if (open !== undefined && open[accumulator.partition] === accumulator) open[accumulator.partition] = undefined;
    accumulator.timer?.cancel();
    const { records, owners, indexes } = accumulator;
    if (records.length === 0) return;
    accumulator.records = [];
    accumulator.owners = [];
    accumulator.indexes = [];
    const fail = (error: Error): void => {
      for (const owner of owners) owner.fail(error);
    };
    let encoded: Promise<Buffer> | Buffer;
    // Encoded once; a retry after a pool transfer detached the bytes encodes again, with the same
    // producer id, epoch and sequence, so the log can still recognise it as the same batch.
    let reencode: () => Promise<Buffer> | Buffer;
    try {
      const options = { compression: this.#compression, ...this.#sequenceFields(accumulator.topic, accumulator.partition, records.length) };
      reencode = () => (this.#target.encode === undefined ? encodeRecordBatch(records, options) : this.#target.encode(records, options));
      encoded = reencode();
    } catch (error) {
      fail(error as Error);
      return;
    }
    const deadlineMs = this.#clock.nowMs() + this.#deliveryTimeoutMs;
    const { topic, partition } = accumulator;
    // Batches of one partition are appended in the order they were sealed, even when encoded on a
    // pool: each waits until the previous one was handed to the broker (not for its acknowledgement).
    const key = `${topic}\u0000${partition}`;
    const previous = this.#partitionTails.get(key);
    let appended: Promise<AppendResult>;
    if (previous === undefined && Buffer.isBuffer(encoded)) {
      appended = this.#appendWithRetries(topic, partition, encoded, 0, deadlineMs, reencode);
    } else {
      const issued = Promise.all([previous, encoded]).then(([, batch]) => ({
        appended: this.#appendWithRetries(topic, partition, batch, 0, deadlineMs, reencode),
      }));
      const tail = issued.then(
        () => undefined,
        () => undefined,
      );
      this.#partitionTails.set(key, tail);
      void tail.then(() => {
        if (this.#partitionTails.get(key) === tail) this.#partitionTails.delete(key);
      });
      appended = issued.then((handle) => handle.appended);
    }
    const acknowledge = (result: AppendResult): void => {
      for (let index = 0; index < records.length; index++) {
        owners[index]!.acknowledge(indexes[index]!, {
          topic,
          partition,
          offset: result.baseOffset + index,
          timestamp: result.logAppendTimeMs >= 0 ? result.logAppendTimeMs : (records[index]!.timestamp ?? -1),
        });
      }
    };
    const append = appended.then(
      (result) => {
        // Past the native-output backlog, the acknowledgement waits for one event-loop turn, so a
        // caller that only awaits its sends still lets Node free LZ4's outputs (native-backlog.ts).
        const turn = nativeBacklogTurn();
        return turn === null ? acknowledge(result) : turn.then(() => acknowledge(result));
      },
      (error: unknown) => fail(error as Error),
    );
    this.#inFlight.add(append);
    void append.finally(() => this.#inFlight.delete(append));
  }

  /** An idempotent batch carries the producer id, epoch and the partition's next sequence. */
  #sequenceFields(topic: string, partition: number, count: number): { producerId?: number; producerEpoch?: number; baseSequence?: number } {
    if (!this.#idempotent) return {};
    const id = `${topic}\u0000${partition}`;
    this.#producerId ??= this.#target.initProducerId();
    const baseSequence = this.#sequences.get(id) ?? 0;
    const next = baseSequence + count;
    this.#sequences.set(id, next > 2_147_483_647 ? next - 2_147_483_648 : next);
    return { producerId: this.#producerId.producerId, producerEpoch: this.#producerId.producerEpoch, baseSequence };
  }

  /**
   * Append, retrying retriable failures (a failed write, for instance) with the same bytes after
   * retry.backoff.ms, up to `retries` times and within delivery.timeout.ms. With idempotence a
   * retry of a batch that was in fact written is answered with its original offsets.
   */
  async #appendWithRetries(
    topic: string,
    partition: number,
    batch: Buffer,
    attempt: number,
    deadlineMs: number,
    reencode: () => Promise<Buffer> | Buffer,
  ): Promise<AppendResult> {
    try {
      return await this.#target.append(topic, partition, batch);
    } catch (error) {
      const retriable = error instanceof EngineError && error.retriable;
      const timeLeftMs = deadlineMs - this.#clock.nowMs();
      if (!retriable || attempt >= this.#retries || timeLeftMs <= this.#retryBackoffMs) throw error;
      await new Promise<void>((resolve) => this.#clock.setTimer(this.#retryBackoffMs, resolve, { keepAlive: true }));
      const again = batch.buffer.byteLength === 0 ? await reencode() : batch;
      return this.#appendWithRetries(topic, partition, again, attempt + 1, deadlineMs, reencode);
    }
  }

  /** Send every open batch now and wait for all appends in flight. */
  async flush(): Promise<void> {
    this.#sealAll();
    await Promise.allSettled([...this.#inFlight]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
  }
}

function nonNegativeInteger(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EngineError('CONFIG_INVALID', `${key}=${value} is invalid: it must be an integer ≥ 0`);
  }
  return value;
}

function toBytes(value: Buffer | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function toHeaders(
  headers: Readonly<Record<string, Buffer | string>> | ReadonlyArray<RecordHeaderInput>,
): ReadonlyArray<RecordHeaderInput> {
  if (Array.isArray(headers)) return headers as ReadonlyArray<RecordHeaderInput>;
  return Object.entries(headers as Readonly<Record<string, Buffer | string>>).map(([key, value]) => ({ key, value }));
}
