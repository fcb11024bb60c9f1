import { EngineError } from '../../core/errors.js';
import { MiB } from '../../core/units.js';
import { EARLIEST, LATEST, RemoteBroker, type RemotePartitionData } from '../../client/remote-broker.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../../records/batch-layout.js';
import { readInt64 } from '../../records/int64.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../records/record-batch.js';
import type { RecordInput } from '../../records/record.js';
import type { BenchConfig } from './bench-options.js';
import type { BenchConsumer, BenchProducer, BenchTarget } from './target.js';

/**
 * A broker at an address (Brook's `brook serve`, or a single Kafka node) as a bench target, over
 * two connections: one for produce requests, pipelined (several in flight), and one for fetches,
 * so a long-polling fetch never holds back produce responses (a Kafka broker answers the
 * requests of one connection in order).
 *
 * The producer here is the bench's own, minimal one: records accumulate per partition until
 * --batch-size records or --linger-ms (0: the end of the tick, as Brook's embedded producer
 * does), are encoded into one RecordBatch v2 (LZ4 if asked) and sent as one Produce request;
 * keyless records stick to one partition per batch, then move to the next. With acks=0 a
 * Metadata request after every few batches acts as a barrier (see send and flush).
 */
const FETCH_MAX_BYTES = 16 * MiB;
const PARTITION_FETCH_MAX_BYTES = MiB;
const FETCH_MAX_WAIT_MS = 100;
/** acks=0: a barrier request (Metadata) after this many batches bounds what is buffered. */
const BARRIER_EVERY_BATCHES = 4;

export class RemoteTarget implements BenchTarget {
  readonly description: string;
  readonly #admin: RemoteBroker;
  readonly #consumers: RemoteBroker[] = [];

  private constructor(address: string, admin: RemoteBroker) {
    this.description = `broker at ${address}`;
    this.#admin = admin;
  }

  static async connect(address: string): Promise<RemoteTarget> {
    return new RemoteTarget(address, await RemoteBroker.connect(address, 'brook-bench'));
  }

  createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>>): Promise<void> {
    return this.#admin.createTopic(topic, partitions, config);
  }

  deleteTopic(topic: string): Promise<void> {
    return this.#admin.deleteTopic(topic);
  }

  producer(topic: string, config: BenchConfig): BenchProducer {
    return new RemoteProducer(this.#admin, topic, config);
  }

  async consumer(topic: string, partitions: number, from: 'earliest' | 'latest'): Promise<BenchConsumer> {
    const connection = await RemoteBroker.connect(this.#admin.address, 'brook-bench-consumer');
    this.#consumers.push(connection);
    const all = Array.from({ length: partitions }, (_, partition) => partition);
    const offsets = await connection.listOffsets(topic, all, from === 'earliest' ? EARLIEST : LATEST);
    return new RemoteConsumer(connection, topic, all.map((partition) => offsets.get(partition) ?? 0));
  }

  async close(): Promise<void> {
    for (const connection of this.#consumers) await connection.close();
    await this.#admin.close();
  }
}

interface Accumulator {
  readonly partition: number;
  readonly records: RecordInput[];
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | null;
}

class RemoteProducer implements BenchProducer {
  readonly #broker: RemoteBroker;
  readonly #topic: string;
  readonly #config: BenchConfig;
  readonly #acks: -1 | 0 | 1;
  readonly #inputs = new WeakMap<ReadonlyArray<Buffer>, RecordInput[]>();
  readonly #inFlight = new Set<Promise<void>>();
  #open: Accumulator | null = null;
  #barriers: Array<Promise<void>> = [];
  #sealedSinceBarrier = 0;
  #partition = 0;
  #sealScheduled = false;

  constructor(broker: RemoteBroker, topic: string, config: BenchConfig) {
    this.#broker = broker;
    this.#topic = topic;
    this.#config = config;
    this.#acks = config.acks === 'all' ? -1 : config.acks;
  }

  send(values: ReadonlyArray<Buffer>): Promise<void> {
    // acks=0: nothing answers a produce request, so the socket buffer would grow without bound;
    // past maxInFlight outstanding barriers, a send waits for the oldest (the producer blocks,
    // as Kafka's does when its buffer.memory is full).
    if (this.#barriers.length > this.#config.maxInFlight) {
      const oldest = this.#barriers.shift()!;
      return oldest.then(() => this.#accept(values));
    }
    return this.#accept(values);
  }

  #accept(values: ReadonlyArray<Buffer>): Promise<void> {
    let inputs = this.#inputs.get(values);
    if (inputs === undefined) {
      inputs = values.map((value) => ({ key: null, value }));
      this.#inputs.set(values, inputs);
    }
    // One promise per batch the values went into (usually one), not one per record.
    const waits: Array<Promise<void>> = [];
    let touched: Accumulator | null = null;
    for (const input of inputs) {
      const open = this.#open ?? this.#start();
      if (open !== touched) {
        waits.push(open.done);
        touched = open;
      }
      open.records.push(input);
      if (open.records.length >= this.#config.batchRecords) this.#seal(open);
    }
    if (this.#config.lingerMs === 0 && !this.#sealScheduled) {
      this.#sealScheduled = true;
      queueMicrotask(() => {
        this.#sealScheduled = false;
        if (this.#open !== null) this.#seal(this.#open);
      });
    }
    return waits.length === 1 ? waits[0]! : Promise.all(waits).then(() => undefined);
  }

  #start(): Accumulator {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const open: Accumulator = { partition: this.#partition, records: [], done, resolve, reject, timer: null };
    if (this.#config.lingerMs > 0) open.timer = setTimeout(() => this.#seal(open), this.#config.lingerMs);
    this.#open = open;
    return open;
  }

  #seal(open: Accumulator): void {
    if (this.#open === open) this.#open = null;
    if (open.timer !== null) clearTimeout(open.timer);
    if (open.records.length === 0) return open.resolve();
    this.#partition = (this.#partition + 1) % this.#config.partitions;
    let batch: Buffer;
    try {
      batch = encodeRecordBatch(open.records, { compression: this.#config.compression });
    } catch (error) {
      return open.reject(error as Error);
    }
    const request = this.#broker.produce(this.#topic, open.partition, batch, this.#acks).then(
      () => open.resolve(),
      (error: unknown) => open.reject(error as Error),
    );
    this.#inFlight.add(request);
    void request.finally(() => this.#inFlight.delete(request));
    if (this.#acks === 0 && ++this.#sealedSinceBarrier >= BARRIER_EVERY_BATCHES) {
      this.#sealedSinceBarrier = 0;
      this.#barriers.push(this.#barrier());
    }
  }

  /**
   * A request with a response on the produce connection: a broker answers the requests of one
   * connection in order, so its answer means every produce request sent before it was handled.
   */
  #barrier(): Promise<void> {
    const barrier = this.#broker.topics([this.#topic]).then(() => undefined);
    barrier.catch(() => undefined); // awaited by a later send or by flush
    return barrier;
  }

  async flush(): Promise<void> {
    if (this.#open !== null) this.#seal(this.#open);
    await Promise.allSettled([...this.#inFlight]);
    // acks=0: the run ends when the broker has handled the last batch, not when it was written out.
    if (this.#acks === 0) {
      const barriers = [...this.#barriers, this.#barrier()];
      this.#barriers = [];
      await Promise.all(barriers);
    }
  }
}

/** One partition's share of a fetch response: its whole batches, where they start and what follows. */
interface FetchedRange {
  readonly bytes: Buffer;
  /** The position the fetch asked for (records before it are skipped). */
  readonly from: number;
  /** Bytes of whole batches at the start of `bytes` (a partial batch at the end is left). */
  readonly wholeBytes: number;
}

/**
 * Fetches with one request prefetched: as soon as a response arrives its batch headers give the
 * next positions, and the next fetch goes out before this one's records are decoded, so the
 * broker's work and the network overlap with decoding here (as Kafka's consumers prefetch).
 */
class RemoteConsumer implements BenchConsumer {
  readonly #broker: RemoteBroker;
  readonly #topic: string;
  readonly #positions: number[];
  #prefetched: Promise<RemotePartitionData[]> | null = null;
  #closed = false;
  #valueBytes = 0;

  constructor(broker: RemoteBroker, topic: string, positions: number[]) {
    this.#broker = broker;
    this.#topic = topic;
    this.#positions = positions;
  }

  get valueBytes(): number {
    return this.#valueBytes;
  }

  #fetch(): Promise<RemotePartitionData[]> {
    return this.#broker.fetch(
      this.#topic,
      this.#positions.map((offset, partition) => ({ partition, offset })),
      { maxWaitMs: FETCH_MAX_WAIT_MS, minBytes: 1, maxBytes: FETCH_MAX_BYTES, partitionMaxBytes: PARTITION_FETCH_MAX_BYTES },
    );
  }

  async poll(visit: ((value: Uint8Array | null) => void) | null): Promise<number> {
    const fetched = await (this.#prefetched ?? this.#fetch());
    this.#prefetched = null;
    const ranges: FetchedRange[] = [];
    for (const data of fetched) ranges.push(this.#advance(data.partition, data.records));
    if (!this.#closed) {
      const next = this.#fetch();
      next.catch(() => undefined); // awaited by the next poll; a closed consumer never awaits it
      this.#prefetched = next;
    }
    let count = 0;
    for (const range of ranges) count += this.#take(range, visit);
    return count;
  }

  /** Walk the batch headers only: move the partition's position past its whole batches. */
  #advance(partition: number, bytes: Buffer): FetchedRange {
    const from = this.#positions[partition]!;
    let at = 0;
    let next = from;
    while (bytes.length - at >= RECORD_BATCH_OVERHEAD) {
      const end = at + LOG_OVERHEAD + bytes.readInt32BE(at + BATCH_LENGTH_OFFSET);
      // A length too small for a batch header is not a batch: stop (the decode reports it).
      if (end - at < RECORD_BATCH_OVERHEAD) {
        throw new EngineError('BAD_BATCH_LENGTH', `the broker sent a batch at byte ${at} of a fetch with length ${end - at - LOG_OVERHEAD}; is it a Kafka broker?`);
      }
      if (end > bytes.length) break;
      next = readInt64(bytes, at) + bytes.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET) + 1;
      at = end;
    }
    this.#positions[partition] = Math.max(from, next);
    return { bytes, from, wholeBytes: at };
  }

  /** Decode (CRC-checked) the whole batches of a range and visit their records. */
  #take(range: FetchedRange, visit: ((value: Uint8Array | null) => void) | null): number {
    let count = 0;
    let valueBytes = 0;
    let at = 0;
    while (at < range.wholeBytes) {
      const end = at + LOG_OVERHEAD + range.bytes.readInt32BE(at + BATCH_LENGTH_OFFSET);
      const { records } = decodeRecordBatch(range.bytes.subarray(at, end));
      for (const record of records) {
        if (record.offset < range.from) continue;
        count++;
        valueBytes += record.value === null ? 0 : record.value.length;
        if (visit !== null) visit(record.value);
      }
      at = end;
    }
    this.#valueBytes += valueBytes;
    return count;
  }

  async close(): Promise<void> {
    // The connection itself is closed with the target.
    this.#closed = true;
  }
}
