import type { BenchConfig } from './bench-options.js';

/**
 * What a bench run drives: the embedded broker (embedded-target.ts) or a broker at an address
 * over the Kafka protocol (remote-target.ts). The workloads (produce-phase.ts, consume-phase.ts,
 * e2e-phase.ts) are written once against these interfaces.
 */
export interface BenchProducer {
  /**
   * Send records with these values; resolves once every one is acknowledged (acks=0: once handed
   * over). Passing the same array again reuses what was built for it, so the flat-out produce
   * run, which cycles through prebuilt arrays, allocates nothing per record. Fixed-rate and e2e
   * runs send fresh arrays (e2e values carry their sequence number, copied into one slab per
   * send), as an application producing new records would: a message object per record, at rates
   * of at most some hundred thousand per second.
   */
  send(values: ReadonlyArray<Buffer>): Promise<void>;
  /** Send what is buffered (linger) and wait for every send in flight. */
  flush(): Promise<void>;
}

export interface BenchConsumer {
  /**
   * One fetch: waits (long poll, ≤ 100 ms) for records, calls `visit` with each record's value,
   * and returns how many records it saw.
   */
  poll(visit: ((value: Uint8Array | null) => void) | null): Promise<number>;
  /** Value bytes seen so far. */
  readonly valueBytes: number;
  close(): Promise<void>;
}

export interface BenchTarget {
  /** "embedded" or "broker at host:port". */
  readonly description: string;
  createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>>): Promise<void>;
  deleteTopic(topic: string): Promise<void>;
  producer(topic: string, config: BenchConfig): BenchProducer;
  /** A consumer of every partition, from the start of the log or from its current end. */
  consumer(topic: string, partitions: number, from: 'earliest' | 'latest'): Promise<BenchConsumer>;
  close(): Promise<void>;
}
