import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import type { ProducerMessage } from '../../../src/broker/producer.js';
import { readBatchHeader, type BatchHeader } from '../../../src/records/record-batch.js';
import type { ServedBroker } from '../../helpers/served-broker.js';

/**
 * What the Kafka client tests share whichever client they drive: sample records with awkward bytes,
 * records in one comparable form (as sent, as a client hands them over, as the log holds them),
 * the batches a partition stores, and producing through the embedded broker.
 */

/** Kafka's compression codec bits (attributes & 7): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_LZ4 = 3;

export function codecOf(header: BatchHeader): number {
  return header.attributes & 0x07;
}

/** The headers of every batch stored in a partition, in order (to check what was stored as-is). */
export function storedBatchHeaders(served: ServedBroker, topic: string, partition: number): BatchHeader[] {
  const headers: BatchHeader[] = [];
  let offset = served.broker.log(topic, partition).logStartOffset;
  for (;;) {
    const read = served.broker.read(topic, partition, offset, 16 * 1024 * 1024);
    if (read.records.length === 0) return headers;
    let position = 0;
    while (position < read.records.length) {
      const header = readBatchHeader(read.records, position);
      headers.push(header);
      position += header.batchLength + 12;
    }
    offset = read.nextOffset;
  }
}

export interface StoredBatch {
  readonly baseOffset: number;
  readonly codec: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

/** The batch headers of a partition's log, as stored, with the fields the tests compare. */
export function storedBatches(served: ServedBroker, topic: string, partition: number): StoredBatch[] {
  return storedBatchHeaders(served, topic, partition).map((header) => ({
    baseOffset: header.baseOffset,
    codec: codecOf(header),
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    recordsCount: header.recordsCount,
  }));
}

/**
 * Three sends of three records each by one idempotent producer to `partition` (the second LZ4),
 * as stored: one producer id and epoch 0, and sequences that follow the offsets.
 */
export function expectIdempotentBatches(served: ServedBroker, topic: string, partition: number): void {
  const batches = storedBatches(served, topic, partition);
  expect(batches.map((batch) => [batch.baseOffset, batch.baseSequence, batch.recordsCount, batch.codec])).toEqual([
    [0, 0, 3, CODEC_NONE],
    [3, 3, 3, CODEC_LZ4],
    [6, 6, 3, CODEC_NONE],
  ]);
  const producerIds = new Set(batches.map((batch) => batch.producerId));
  expect(producerIds.size).toBe(1);
  expect([...producerIds][0]).toBeGreaterThanOrEqual(0);
  expect(batches.every((batch) => batch.producerEpoch === 0)).toBe(true);
}

/** A record as compared here: bytes as hex so that a difference shows where it is. */
export interface Seen {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

export interface Sample {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

export const hex = (bytes: Buffer | null | undefined): string | null => (bytes === null || bytes === undefined ? null : bytes.toString('hex'));

/**
 * Binary keys, values and header values with bytes that are not UTF-8 (0x80, 0xc3 0x28, 0xff,
 * NUL), a null key, a null value, an empty value, a repeated header key and timestamps that go
 * backwards inside a batch.
 */
export function samples(tag: number, count: number): Sample[] {
  return Array.from({ length: count }, (_, index) => {
    const seed = tag * 16 + index;
    return {
      key: index === 1 ? null : Buffer.from([0x00, 0xff, 0xc3, 0x28, seed & 0xff, 0x80]),
      value: index === 2 ? null : index === 3 ? Buffer.alloc(0) : Buffer.from([0xfe, 0xed, seed & 0xff, 0x00, 0xa0, 0xa1, 0xed, 0xa0, 0x80]),
      timestamp: 1_600_000_000_000 + tag * 1_000_000 - index * 1500,
      headers:
        index === 0
          ? []
          : [
              ['trace', Buffer.from([0xc0, 0xaf, seed & 0xff])],
              ['bin', Buffer.from([0xff, 0xfe])],
              ['bin', Buffer.from([0x00])],
              ['émoji-🦆', Buffer.from('plain text')],
            ],
    };
  });
}

/** A sample as it must come back from `partition` at `offset`. */
export function expected(sample: Sample, partition: number, offset: number): Seen {
  return {
    partition,
    offset,
    timestamp: sample.timestamp,
    key: hex(sample.key),
    value: hex(sample.value),
    headers: sample.headers.map(([key, value]) => [key, hex(value)] as const),
  };
}

/** The records of a partition as the embedded broker reads them from its log. */
export function fromLog(served: ServedBroker, topic: string, partition: number): Seen[] {
  return served.broker
    .log(topic, partition)
    .readRecords(0)
    .records.map((record) => ({
      partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: hex(record.key),
      value: hex(record.value),
      headers: record.headers.map((header) => [header.key, hex(header.value)] as const),
    }));
}

export const byPosition = (a: Seen, b: Seen): number => a.partition - b.partition || a.offset - b.offset;

/** Produce through the embedded broker's own producer (acks=1), then close it. */
export async function produceEmbedded(served: ServedBroker, topic: string, messages: ReadonlyArray<ProducerMessage>): Promise<void> {
  const producer = served.broker.producer({ acks: 1 });
  await producer.send({ topic, messages });
  await producer.close();
}

/**
 * `count` records for `partition` numbered from `from`: value `p<partition>-r<n>`, key `key(n)`
 * (null by default), no headers, timestamped now.
 */
export function numberedRecords(partition: number, from: number, count: number, key: (n: number) => string | null = () => null): ProducerMessage[] {
  return Array.from({ length: count }, (_, index) => ({ partition, key: key(from + index), value: `p${partition}-r${from + index}`, timestamp: Date.now() }));
}
