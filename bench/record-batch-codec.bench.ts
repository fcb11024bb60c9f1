import { Bench, type Task } from 'tinybench';
import { CRC_OFFSET } from '../src/records/batch-layout.js';
import {
  DECOMPRESSED_BYTES_LIMIT_DEFAULT,
  decodeRecordBatch,
  encodeRecordBatch,
  forEachRecord,
  validateRecordBatch,
} from '../src/records/record-batch.js';
import type { CompressionCodec, RecordInput } from '../src/records/record.js';
import { fold, report, size, type BenchOptions } from './report.js';

/**
 * RecordBatch v2 codec (`npm run bench -- codec`): one batch of 1,000 records (100 in smoke runs)
 * with null keys and 100-byte values, uncompressed and LZ4, for a compressible payload (JSON-like
 * text) and a random one. Operations:
 *
 * - encode: `encodeRecordBatch` (sizes, varints, copy, LZ4 if asked, CRC-32C);
 * - decode: `decodeRecordBatch` (CRC check, decompression, one Record object per record);
 * - validate: `validateRecordBatch` alone (lengths, magic, CRC-32C over the stored bytes);
 * - walk: `forEachRecord` without a visitor, the structural check the log runs on append
 *   (decompresses, reads every varint, allocates nothing per record).
 *
 * mbPerSec counts the records' logical bytes, the size of the uncompressed batch (1e6 bytes per
 * MB), so that the none and lz4 rows compare the same work; `batchBytes` is the stored size.
 */
const VALUE_BYTES = 100;
const TIMESTAMP = 1_700_000_000_000;
const CODECS: ReadonlyArray<CompressionCodec> = ['none', 'lz4'];

type Payload = 'compressible' | 'random';

let checksum = 0;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * lz4-napi's compressSync returns its output as an external buffer, which Node frees only from
 * the event loop; turning the loop after every call (outside the timed window) keeps a long
 * synchronous loop from piling them up, as a server handling one request per tick would.
 */
const TASK_OPTIONS = { async: false, afterEach: yieldToEventLoop } as const;

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

function makeValue(kind: Payload, index: number, next: () => number): Buffer {
  if (kind === 'random') {
    const value = Buffer.allocUnsafe(VALUE_BYTES);
    for (let position = 0; position < VALUE_BYTES; position += 4) value.writeUInt32LE(next(), position);
    return value;
  }
  const text = `{"id":${index},"user":"user-${next() % 10_000}","event":"page_view","amount":${next() % 1000}}`;
  return Buffer.from(text.padEnd(VALUE_BYTES, ' ').slice(0, VALUE_BYTES));
}

function makeRecords(kind: Payload, count: number): RecordInput[] {
  const next = xorshift(kind === 'random' ? 0x9e3779b9 : 0x5eed);
  const records: RecordInput[] = [];
  for (let index = 0; index < count; index++) {
    records.push({ key: null, value: makeValue(kind, index, next), timestamp: TIMESTAMP + index });
  }
  return records;
}

function latency(task: Task | undefined): { p50Ms: number; p99Ms: number; samples: number } {
  if (task === undefined) throw new Error('benchmark task missing');
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`benchmark task ${task.name} ended ${result.state}`);
  return {
    p50Ms: Number(result.latency.p50.toPrecision(4)),
    p99Ms: Number(result.latency.p99.toPrecision(4)),
    samples: result.latency.samplesCount,
  };
}

function addTasks(bench: Bench, records: RecordInput[], compression: CompressionCodec, batch: Buffer): void {
  const encodeOptions = { compression, timestamp: TIMESTAMP, baseOffset: 0 };
  bench.add(
    `encode/${compression}`,
    () => {
      const encoded = encodeRecordBatch(records, encodeOptions);
      checksum = fold(checksum, encoded.readUInt32BE(CRC_OFFSET));
    },
    TASK_OPTIONS,
  );
  bench.add(
    `decode/${compression}`,
    () => {
      const decoded = decodeRecordBatch(batch);
      const last = decoded.records[decoded.records.length - 1]!;
      checksum = fold(fold(checksum, decoded.records.length), last.value![VALUE_BYTES - 1]!);
    },
    TASK_OPTIONS,
  );
  bench.add(
    `validate/${compression}`,
    () => {
      checksum = fold(checksum, validateRecordBatch(batch));
    },
    TASK_OPTIONS,
  );
  bench.add(
    `walk/${compression}`,
    () => {
      checksum = fold(checksum, forEachRecord(batch, 0, batch.length, DECOMPRESSED_BYTES_LIMIT_DEFAULT));
    },
    TASK_OPTIONS,
  );
}

export async function run(options: BenchOptions): Promise<void> {
  const recordCount = size(options, 100, 1000);
  for (const kind of ['compressible', 'random'] as const) {
    const records = makeRecords(kind, recordCount);
    const logicalBytes = encodeRecordBatch(records, { compression: 'none', timestamp: TIMESTAMP }).length;
    const bench = new Bench({
      time: size(options, 30, 500),
      iterations: size(options, 5, 64),
      warmupTime: size(options, 10, 250),
      warmupIterations: size(options, 2, 16),
      throws: true,
      timestampProvider: 'hrtimeNow',
    });
    const batches = new Map<CompressionCodec, Buffer>();
    for (const compression of CODECS) {
      const batch = encodeRecordBatch(records, { compression, timestamp: TIMESTAMP });
      if (decodeRecordBatch(batch).records.length !== recordCount) {
        throw new Error(`${compression} batch does not decode`);
      }
      batches.set(compression, batch);
      addTasks(bench, records, compression, batch);
    }
    await bench.run();
    for (const task of bench.tasks) {
      const compression = task.name.slice(task.name.indexOf('/') + 1) as CompressionCodec;
      const { p50Ms, p99Ms, samples } = latency(task);
      report({
        name: `codec/${task.name}/${kind}`,
        payload: kind,
        compression,
        records: recordCount,
        valueBytes: VALUE_BYTES,
        batchBytes: batches.get(compression)!.length,
        recordsPerSec: Math.round(recordCount / (p50Ms / 1000)),
        mbPerSec: Math.round(logicalBytes / (p50Ms / 1000) / 1e6),
        p50Ms,
        p99Ms,
        samples,
        checksum,
      });
    }
  }
}
