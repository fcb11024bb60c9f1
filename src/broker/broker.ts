import type { BrokerServer, ListenOptions } from '../server/server.js';
import { randomUUID } from 'node:crypto';
import { EngineError } from '../core/errors.js';
import { LOG_CONFIG_DEFAULTS, LOG_CONFIG_KEYS, resolveLogConfig, type LogConfig, type LogConfigInput, type LogConfigKey } from '../storage/config.js';
import {
  createTemporaryDataDir,
  deletePartitionDirectory,
  ensureDataDir,
  partitionDirectory,
  removeDataDir,
  removeInterruptedDeletions,
} from '../storage/data-dir.js';
import { lockDataDir } from '../storage/data-dir-lock.js';
import { Log, type AppendResult, type Durability, type ReadResult } from '../storage/log.js';
import { ProducerIdAllocator } from '../storage/producer-ids.js';
import { readTopics, writeTopics, type TopicRecord } from '../storage/topic-metadata.js';
import { WorkPool } from '../pool/pool.js';
import { fetchChannel, produceChannel, publishFetch, publishProduce } from '../core/channels.js';
import { storedRecordCount } from '../records/stored-batches.js';
import { DECOMPRESSED_BYTES_LIMIT_DEFAULT, encodeRecordBatch, type EncodeBatchOptions } from '../records/record-batch.js';
import type { RecordInput } from '../records/record.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { Producer, type ProduceTarget, type ProducerOptions } from './producer.js';
import { collisionKey, validateTopicName } from './topic-name.js';

/**
 * The embeddable broker: topics made of partitions, each partition a Log in `<topic>-<partition>`
 * under the data directory, as Kafka lays them out. Topic names, partition counts and per-topic
 * config overrides (Kafka's names) live in the topic table and survive restarts.
 *
 * Broker-wide defaults for every topic are given with the same topic-level names
 * (`segment.bytes`, `retention.ms`, …); `num.partitions` is the default partition count.
 */
export interface BrokerOptions {
  /** Where data lives. Without one, a fresh temporary directory that close() removes. */
  readonly dataDir?: string;
  readonly config?: LogConfigInput & { readonly 'num.partitions'?: number | string };
  readonly durability?: Durability;
  readonly clock?: () => number;
  /** Run retention and flush timers (default true). */
  readonly scheduleTasks?: boolean;
  /**
   * Worker threads for CPU-heavy record work (validating appended batches, producer encoding,
   * LZ4, and the CRC scans of crash recovery when a log opens): 0 (default) runs everything inline. Small batches stay inline whatever this says; the
   * measured thresholds are in src/pool/thresholds.ts and native-notes.md.
   */
  readonly workers?: number;
}

export interface CreateTopicOptions {
  readonly partitions?: number;
  readonly config?: LogConfigInput;
}

export type ConfigSource = 'TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface PartitionDescription {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly sizeBytes: number;
  readonly segments: number;
}

export interface TopicDescription {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: ReadonlyArray<PartitionDescription>;
  readonly config: ReadonlyArray<{ readonly name: LogConfigKey; readonly value: unknown; readonly source: ConfigSource }>;
}

interface Topic {
  record: TopicRecord;
  config: LogConfig;
  logs: Log[];
}

const PARTITIONS_MAX = 10_000;
/** Partitions Broker.open opens at once per worker thread (inline: one at a time). */
const PARTITIONS_OPENING_PER_WORKER = 4;

export class Broker {
  readonly dataDir: string;
  readonly #temporary: boolean;
  readonly #defaults: LogConfig;
  readonly #defaultInput: LogConfigInput;
  readonly #partitionsDefault: number;
  readonly #options: BrokerOptions;
  readonly #topics = new Map<string, Topic>();
  readonly #creating = new Set<string>();
  readonly #pool: WorkPool | null;
  /** Per partition, the last append in flight: appends validated on the pool land in call order. */
  readonly #appendTails = new Map<Log, Promise<unknown>>();
  /**
   * Batches the embedded producer's encoder built (through #produceTarget, never the public
   * encode()), with their null-key counts: append() skips their CRC and record checks (see there).
   */
  readonly #ownBatches = new WeakMap<Buffer, number>();
  /** What producer() hands its Producer: this broker, except that batches it encodes are its own. */
  readonly #produceTarget: ProduceTarget = {
    partitionCount: (topic) => this.partitionCount(topic),
    append: (topic, partition, batch) => this.append(topic, partition, batch),
    initProducerId: () => this.initProducerId(),
    encode: (records, options) => this.#encodeOwn(records, options),
  };
  #producerIds: ProducerIdAllocator | null = null;
  #unlock: () => void = () => undefined;
  #closed = false;

  private constructor(dataDir: string, temporary: boolean, options: BrokerOptions) {
    this.dataDir = dataDir;
    this.#temporary = temporary;
    this.#options = options;
    const { 'num.partitions': partitions, ...logDefaults } = options.config ?? {};
    this.#defaultInput = logDefaults;
    this.#defaults = resolveLogConfig(logDefaults);
    this.#partitionsDefault = partitionCount('num.partitions', partitions ?? 1);
    const workers = options.workers ?? 0;
    if (!Number.isSafeInteger(workers) || workers < 0 || workers > 64) {
      throw new EngineError('CONFIG_INVALID', `workers=${String(workers)} is invalid: use an integer in [0, 64] (0 = inline)`);
    }
    // A task the full queue cannot take runs here instead of failing: the work has to be done
    // either way, and a producer with many batches in flight must not see BACKPRESSURE for it.
    this.#pool = workers > 0 ? WorkPool.create({ workers, whenFull: 'inline' }) : null;
  }

  /** The worker pool, or null when the broker runs everything inline. */
  get pool(): WorkPool | null {
    return this.#pool;
  }

  static async open(options: BrokerOptions = {}): Promise<Broker> {
    const temporary = options.dataDir === undefined;
    const dataDir = options.dataDir ?? createTemporaryDataDir();
    ensureDataDir(dataDir);
    const unlock = lockDataDir(dataDir);
    let broker: Broker;
    try {
      broker = new Broker(dataDir, temporary, options);
    } catch (error) {
      unlock();
      throw error;
    }
    broker.#unlock = unlock;
    try {
      removeInterruptedDeletions(dataDir);
      await broker.#openTopics(readTopics(dataDir));
    } catch (error) {
      await broker.close().catch(() => undefined);
      throw error;
    }
    return broker;
  }

  /**
   * Open every partition of `records`. Inline, one after another. With a worker pool, up to
   * PARTITIONS_OPENING_PER_WORKER × workers at once, so that the recovery scans of several
   * partitions run on all workers together (each log applies its own scans in order, and the
   * pool bounds the scans in flight). A topic is registered only once all its partitions are
   * open; if one fails, the others that opened are closed and the first error is thrown.
   */
  async #openTopics(records: ReadonlyArray<TopicRecord>): Promise<void> {
    const topics: Topic[] = records.map((record) => ({
      record,
      config: resolveLogConfig(record.config as LogConfigInput, this.#defaults),
      logs: new Array<Log>(record.partitions),
    }));
    const jobs = topics.flatMap((topic) => Array.from({ length: topic.record.partitions }, (_, partition) => ({ topic, partition })));
    const opened: Log[] = [];
    const failures: unknown[] = [];
    const concurrency = this.#pool === null ? 1 : this.#pool.workers * PARTITIONS_OPENING_PER_WORKER;
    let next = 0;
    const opener = async (): Promise<void> => {
      while (failures.length === 0 && next < jobs.length) {
        const { topic, partition } = jobs[next++]!;
        try {
          const log = await this.#openLog(topic.record.name, partition, topic.config);
          opened.push(log);
          topic.logs[partition] = log;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, opener));
    if (failures.length > 0) {
      await Promise.allSettled(opened.map((log) => log.close()));
      throw failures[0];
    }
    for (const topic of topics) this.#topics.set(topic.record.name, topic);
  }

  #openLog(topic: string, partition: number, config: LogConfig): Promise<Log> {
    return Log.open(partitionDirectory(this.dataDir, topic, partition), {
      config,
      ...(this.#options.durability === undefined ? {} : { durability: this.#options.durability }),
      ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
      ...(this.#options.scheduleTasks === undefined ? {} : { scheduleTasks: this.#options.scheduleTasks }),
      ...(this.#pool === null ? {} : { recoveryScanner: this.#pool, compactionRunner: this.#pool }),
    });
  }

  #ensureOpen(): void {
    if (this.#closed) throw new EngineError('LOG_CLOSED', `broker at ${this.dataDir} is closed`);
  }

  #topic(name: string): Topic {
    this.#ensureOpen();
    const topic = this.#topics.get(name);
    if (topic === undefined) {
      throw new EngineError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}" does not exist; create it first`);
    }
    return topic;
  }

  #persist(): void {
    writeTopics(this.dataDir, [...this.#topics.values()].map((topic) => topic.record));
  }

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<void> {
    this.#ensureOpen();
    validateTopicName(name);
    if (this.#topics.has(name) || this.#creating.has(name)) throw new EngineError('TOPIC_EXISTS', `topic "${name}" already exists`);
    const collision = [...this.#topics.keys(), ...this.#creating].find((other) => collisionKey(other) === collisionKey(name));
    if (collision !== undefined) {
      throw new EngineError(
        'INVALID_TOPIC',
        `topic "${name}" collides with "${collision}": names that differ only by '.' and '_' are not allowed together`,
      );
    }
    const partitions = partitionCount('partitions', options.partitions ?? this.#partitionsDefault);
    const overrides = normaliseOverrides(options.config ?? {});
    const config = resolveLogConfig(overrides, this.#defaults);
    // Opening the partitions awaits: a second create of the same name meanwhile must fail.
    this.#creating.add(name);
    try {
      const logs: Log[] = [];
      for (let partition = 0; partition < partitions; partition++) logs.push(await this.#openLog(name, partition, config));
      this.#topics.set(name, { record: { name, topicId: randomUUID(), partitions, config: overrides }, config, logs });
      this.#persist();
    } finally {
      this.#creating.delete(name);
    }
  }

  /** num.partitions: the partition count of a topic created without one. */
  get defaultPartitions(): number {
    return this.#partitionsDefault;
  }

  listTopics(): string[] {
    this.#ensureOpen();
    return [...this.#topics.keys()].sort();
  }

  hasTopic(name: string): boolean {
    return this.#topics.has(name);
  }

  describeTopic(name: string): TopicDescription {
    const topic = this.#topic(name);
    return {
      name,
      topicId: topic.record.topicId,
      partitions: topic.logs.map((log, partition) => ({
        partition,
        logStartOffset: log.logStartOffset,
        logEndOffset: log.logEndOffset,
        sizeBytes: log.sizeBytes,
        segments: log.segmentCount,
      })),
      config: LOG_CONFIG_KEYS.map((key) => ({
        name: key,
        value: topic.config[key],
        source:
          key in topic.record.config
            ? 'TOPIC_CONFIG'
            : key in this.#defaultInput && this.#defaults[key] !== LOG_CONFIG_DEFAULTS[key]
              ? 'STATIC_BROKER_CONFIG'
              : 'DEFAULT_CONFIG',
      })),
    };
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.#topic(name);
    this.#topics.delete(name);
    this.#persist();
    for (const log of topic.logs) await log.close();
    for (let partition = 0; partition < topic.logs.length; partition++) {
      deletePartitionDirectory(this.dataDir, name, partition, topic.record.topicId);
    }
  }

  /** Grow a topic to `totalCount` partitions. Kafka never removes partitions: a decrease is refused. */
  async createPartitions(name: string, totalCount: number): Promise<void> {
    const topic = this.#topic(name);
    const current = topic.logs.length;
    if (!Number.isSafeInteger(totalCount) || totalCount <= current) {
      throw new EngineError(
        'INVALID_PARTITIONS',
        `topic "${name}" has ${current} partitions; the new count must be greater (got ${totalCount}): partitions can be added, never removed`,
      );
    }
    partitionCount('partitions', totalCount);
    for (let partition = current; partition < totalCount; partition++) {
      topic.logs.push(await this.#openLog(name, partition, topic.config));
    }
    topic.record = { ...topic.record, partitions: totalCount };
    this.#persist();
  }

  /** Set (or, with null, remove) per-topic overrides; they take effect without a restart. */
  alterTopicConfig(name: string, changes: Readonly<Record<string, string | number | null>>): void {
    const topic = this.#topic(name);
    const overrides: Record<string, string | number> = { ...topic.record.config };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete overrides[key];
      else overrides[key] = value;
    }
    const normalised = normaliseOverrides(overrides as LogConfigInput);
    const config = resolveLogConfig(normalised, this.#defaults);
    for (const log of topic.logs) log.reconfigure(config);
    topic.config = config;
    topic.record = { ...topic.record, config: normalised };
    this.#persist();
  }

  partitionCount(name: string): number {
    return this.#topic(name).logs.length;
  }

  /** The partition's log; embedded code may read and append through it directly. */
  log(topic: string, partition: number): Log {
    const logs = this.#topic(topic).logs;
    const log = logs[partition];
    if (log === undefined) {
      throw new EngineError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `topic "${topic}" has no partition ${partition} (it has ${logs.length}: 0..${logs.length - 1})`,
      );
    }
    return log;
  }

  /**
   * Append one batch to a partition. With a worker pool, the CRC and record checks of a large batch
   * run on a worker while other partitions' batches are checked on the others; appends to one
   * partition still land in the order they were made.
   *
   * A batch the embedded producer built (Broker.producer()) is not checked again: the producer
   * makes its records itself (no offsetDelta from the caller), encodes them here and hands the
   * Buffer straight back, so re-checking would only decompress an LZ4 batch to find what the
   * encoder wrote. Compressed batches whose records could decompress past the log's limit are not
   * trusted (they are checked, and refused, like any other). Only Log.appendValidated's header
   * checks run; every read still checks each stored batch's CRC.
   */
  append(topic: string, partition: number, batch: Buffer): Promise<AppendResult> {
    let log: Log;
    try {
      log = this.log(topic, partition);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const pool = this.#pool;
    const ownNullKeys = this.#ownBatches.get(batch);
    let appended: Promise<AppendResult>;
    if (ownNullKeys !== undefined) {
      this.#ownBatches.delete(batch);
      // With nothing ahead of it still being checked, it goes to the log at once.
      appended = this.#appendTails.has(log)
        ? this.#appendInOrder(log, Promise.resolve({ batch, nullKeyCount: ownNullKeys }))
        : log.appendValidated(batch, { nullKeyCount: ownNullKeys });
    } else {
      appended = pool === null ? log.append(batch) : this.#appendInOrder(log, pool.validate(batch));
    }
    if (!produceChannel.hasSubscribers) return appended;
    return appended.then((result) => {
      publishProduce(this, topic, partition, result.recordsCount, batch.length);
      return result;
    });
  }

  /** Hand `checked` batches to the log in call order, once each and every earlier one is ready. */
  #appendInOrder(log: Log, checked: Promise<{ readonly batch: Buffer; readonly nullKeyCount: number }>): Promise<AppendResult> {
    const previous = this.#appendTails.get(log);
    // Appends are ordered by when log.appendValidated is called, so wait only for the previous
    // batch to be handed to the log, not for its acknowledgement.
    const issued = (previous === undefined ? checked : previous.then(() => checked)).then((result) => ({
      appended: log.appendValidated(result.batch, result),
    }));
    const tail = issued.then(
      () => undefined,
      () => undefined,
    );
    this.#appendTails.set(log, tail);
    void tail.then(() => {
      if (this.#appendTails.get(log) === tail) this.#appendTails.delete(log);
    });
    return issued.then((handle) => handle.appended);
  }

  /** Encode a producer batch, on the pool when it is worth it. */
  encode(records: ReadonlyArray<RecordInput>, options: EncodeBatchOptions): Promise<Buffer> | Buffer {
    return this.#pool === null ? encodeRecordBatch(records, options) : this.#pool.encode(records, options);
  }

  /** The producer's encode: as encode(), and the batch is marked as this broker's own. */
  #encodeOwn(records: ReadonlyArray<RecordInput>, options: EncodeBatchOptions): Promise<Buffer> | Buffer {
    let nullKeys = 0;
    let sectionBytes = 0;
    const compressed = (options.compression ?? 'none') !== 'none';
    for (const record of records) {
      if (record.key === null || record.key === undefined) nullKeys++;
      if (compressed) sectionBytes += recordSectionBound(record);
    }
    const trusted = !compressed || sectionBytes <= DECOMPRESSED_BYTES_LIMIT_DEFAULT;
    const own = (batch: Buffer): Buffer => {
      if (trusted) this.#ownBatches.set(batch, nullKeys);
      return batch;
    };
    const encoded = this.encode(records, options);
    return Buffer.isBuffer(encoded) ? own(encoded) : encoded.then(own);
  }

  read(topic: string, partition: number, offset: number, maxBytes?: number): ReadResult {
    const result = this.log(topic, partition).read(offset, maxBytes);
    if (fetchChannel.hasSubscribers) {
      publishFetch(this, topic, partition, storedRecordCount(result.records), result.records.length);
    }
    return result;
  }

  /** Kafka's InitProducerId for an idempotent producer: a new producer id, epoch 0. */
  initProducerId(): { producerId: number; producerEpoch: number } {
    this.#ensureOpen();
    this.#producerIds ??= new ProducerIdAllocator(this.dataDir);
    return { producerId: this.#producerIds.allocate(), producerEpoch: 0 };
  }

  producer(options: ProducerOptions = {}): Producer {
    this.#ensureOpen();
    return new Producer(this.#produceTarget, options);
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    this.#ensureOpen();
    return new Consumer(this, options);
  }

  /**
   * Serve this broker to Kafka clients over the wire protocol (default 127.0.0.1:9092). The
   * server shares the broker's consumer groups with embedded group consumers. Close the returned
   * server before the broker. (The server layer sits above the broker, so it is loaded on demand.)
   */
  async listen(options: ListenOptions = {}): Promise<BrokerServer> {
    this.#ensureOpen();
    const { BrokerServer: Server } = await import('../server/server.js');
    return Server.listen(this, options);
  }

  /** Flush every partition, write clean-shutdown state, and remove a temporary data directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#appendTails.values()]);
    for (const topic of this.#topics.values()) for (const log of topic.logs) await log.close();
    await this.#pool?.close();
    this.#unlock();
    if (this.#temporary) removeDataDir(this.dataDir);
  }
}

/** At least the bytes `record` takes in a records section (varint overheads counted at their maximum). */
function recordSectionBound(record: RecordInput): number {
  let bytes = 5 + 1 + 10 + 5 + 5 + 5 + 5 + fieldBytes(record.key) + fieldBytes(record.value);
  for (const header of record.headers ?? []) bytes += 10 + Buffer.byteLength(header.key) + fieldBytes(header.value);
  return bytes;
}

function fieldBytes(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function partitionCount(key: string, value: unknown): number {
  const count = typeof value === 'string' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > PARTITIONS_MAX) {
    throw new EngineError('INVALID_PARTITIONS', `${key}=${String(value)} is invalid: it must be an integer in [1, ${PARTITIONS_MAX}]`);
  }
  return count;
}

/** Validate overrides on their own and keep them in a JSON-safe form (numbers or strings). */
function normaliseOverrides(input: LogConfigInput): Record<string, string | number> {
  resolveLogConfig(input);
  const output: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    output[key] = Array.isArray(value)
      ? value.join(',')
      : typeof value === 'number' && !Number.isFinite(value)
        ? '9223372036854775807'
        : typeof value === 'bigint'
          ? value.toString()
          : (value as string | number);
  }
  return output;
}
