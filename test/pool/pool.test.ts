import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, CorruptRecordError, EngineError } from '../../src/core/errors.js';
import { BackpressureError } from '../../src/pool/task-errors.js';
import { WorkPool, workerFilename } from '../../src/pool/pool.js';
import { packRecords } from '../../src/pool/packed-records.js';
import { OFFLOAD_ALWAYS } from '../../src/pool/thresholds.js';
import { CRC_COVERED_OFFSET, CRC_OFFSET, LOG_OVERHEAD, RECORDS_OFFSET } from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import type { CompressionCodec, Record, RecordInput } from '../../src/records/record.js';
import {
  DECOMPRESSED_BYTES_LIMIT_DEFAULT,
  decodeRecordBatch,
  type EncodeBatchOptions,
  encodeRecordBatch,
  forEachRecord,
  validateRecordBatch,
} from '../../src/records/record-batch.js';
import { Prng } from '../helpers/prng.js';

/**
 * The worker pool against its inline twin and against the codec it wraps: the same bytes, the
 * same records and the same typed errors whichever thread runs a task; transfer semantics; the
 * queue bound; and a clean exit once closed. Worker pools load dist/src/pool/worker.js, which
 * `npm test` compiles first.
 */

const SEED = 0x5eed_b00c;
const RUNS = 25;

let inline: WorkPool;
let workers: WorkPool;

beforeAll(() => {
  inline = WorkPool.create({ workers: 0 });
  workers = WorkPool.create({ workers: 2, thresholds: OFFLOAD_ALWAYS });
});

afterAll(async () => {
  await Promise.all([inline.close(), workers.close()]);
});

/** A standalone copy: the worker path detaches what it is given. */
function copy(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(out);
  return out;
}

interface Outcome<T> {
  readonly value?: T;
  readonly error?: { readonly name: string; readonly code: string; readonly message: string };
}

async function outcome<T>(action: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { value: await action() };
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    const { name, code, message } = error as EngineError;
    return { error: { name, code, message } };
  }
}

const bytesArb = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes));
const fieldArb = fc.oneof(fc.constant(null), fc.string({ maxLength: 40 }), bytesArb);
const headerArb = fc.record({ key: fc.string({ maxLength: 12 }), value: fc.oneof(fc.constant(null), bytesArb) });
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fieldArb,
    value: fieldArb,
    headers: fc.array(headerArb, { maxLength: 3 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
  },
  { requiredKeys: ['value'] },
);
const codecArb = fc.constantFrom<CompressionCodec>('none', 'lz4', 'gzip');
const optionsArb: fc.Arbitrary<EncodeBatchOptions> = fc.record(
  {
    compression: codecArb,
    baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
    producerId: fc.integer({ min: 0, max: 2 ** 40 }),
    producerEpoch: fc.integer({ min: 0, max: 32_767 }),
    baseSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    partitionLeaderEpoch: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    logAppendTime: fc.boolean(),
    transactional: fc.boolean(),
  },
  { requiredKeys: ['compression', 'timestamp'] },
);

/** Records as decodeRecordBatch gives them, batch after batch. */
function referenceDecode(bytes: Buffer): Record[] {
  const records: Record[] = [];
  for (let position = 0; position < bytes.length; ) {
    const decoded = decodeRecordBatch(bytes, position);
    records.push(...decoded.records);
    position += decoded.header.batchLength + LOG_OVERHEAD;
  }
  return records;
}

describe('WorkPool', () => {
  test('inline and worker pools encode the bytes encodeRecordBatch writes', async () => {
    const offsetDeltaRecord = fc.tuple(recordArb, fc.integer({ min: 0, max: 1000 }));
    await fc.assert(
      fc.asyncProperty(fc.array(offsetDeltaRecord, { minLength: 1, maxLength: 40 }), optionsArb, async (pairs, options) => {
        // Some records carry an explicit offsetDelta, as the compactor's do.
        const records = pairs.map(([record, delta], index) => (index % 3 === 1 ? { ...record, offsetDelta: delta } : record));
        const expected = encodeRecordBatch(records, options);
        expect((await inline.encode(records, options)).equals(expected)).toBe(true);
        expect((await workers.encode(records, options)).equals(expected)).toBe(true);
        expect((await inline.encode(packRecords(records), options)).equals(expected)).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('an empty batch (compaction) encodes the same on both paths, without a default timestamp', async () => {
    const options: EncodeBatchOptions = { lastOffsetDelta: 4, baseOffset: 10, compression: 'lz4' };
    const expected = encodeRecordBatch([], options);
    expect((await inline.encode([], options)).equals(expected)).toBe(true);
    expect((await workers.encode([], options)).equals(expected)).toBe(true);
  });

  test('validate gives the same batch size and null-key count on both paths, and the bytes back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 40 }), codecArb, async (records, compression) => {
        const batch = encodeRecordBatch(records, { compression, timestamp: 1 });
        const nullKeyCount = records.filter((record) => record.key === null || record.key === undefined).length;
        const fromInline = await inline.validate(batch);
        const fromWorker = await workers.validate(copy(batch));
        expect(fromInline).toEqual({ batch, batchBytes: batch.length, nullKeyCount });
        expect(fromWorker.batch.equals(batch)).toBe(true);
        expect([fromWorker.batchBytes, fromWorker.nullKeyCount]).toEqual([batch.length, nullKeyCount]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('decode gives decodeRecordBatch records, batch after batch, on both paths', async () => {
    const batchArb = fc.tuple(fc.array(recordArb, { minLength: 1, maxLength: 25 }), codecArb);
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 3 }), async (batches) => {
        let baseOffset = 0;
        const parts = batches.map(([records, compression]) => {
          const part = encodeRecordBatch(records, { compression, baseOffset, timestamp: 7 });
          baseOffset += records.length;
          return part;
        });
        const bytes = Buffer.concat(parts);
        const expected = referenceDecode(bytes);
        const fromInline = await inline.decode(bytes);
        const fromWorker = await workers.decode(copy(bytes));
        expect(fromInline.toArray()).toEqual(expected);
        expect(fromWorker.toArray()).toEqual(expected);
        expect(fromWorker.bytes.equals(bytes)).toBe(true);
        expect(fromWorker.batchCount).toBe(parts.length);
        expect(fromWorker.batch(parts.length - 1).recordCount).toBe(batches[parts.length - 1]![0].length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('a corrupted byte gives the same answer inline, on a worker and from the codec', async () => {
    const records = Array.from({ length: 12 }, (_, index) => ({
      key: index % 4 === 0 ? null : `key-${index}`,
      value: Buffer.alloc(30, index),
      headers: index % 5 === 0 ? [{ key: 'h', value: null }] : [],
    }));
    const plain = encodeRecordBatch(records, { compression: 'none', timestamp: 3 });
    const lz4 = encodeRecordBatch(records, { compression: 'lz4', timestamp: 3, baseOffset: 12 });
    const clean = Buffer.concat([plain, lz4]);
    await fc.assert(
      fc.asyncProperty(fc.nat(clean.length - 1), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        const bytes = Buffer.from(clean);
        bytes[position]! ^= mask;
        // Past byte 21 a flip would only ever fail the CRC; re-sealing the batch reaches the
        // structural checks (lengths, varints, offset deltas, counts, LZ4 framing) behind it.
        const batchStart = position < plain.length ? 0 : plain.length;
        const batchEnd = position < plain.length ? plain.length : clean.length;
        if (position - batchStart >= CRC_COVERED_OFFSET) {
          bytes.writeUInt32BE(crc32c(bytes, batchStart + CRC_COVERED_OFFSET, batchEnd), batchStart + CRC_OFFSET);
        }
        const reference = await outcome(() => referenceDecode(bytes));
        const decodedInline = await outcome(async () => (await inline.decode(bytes)).toArray());
        const decodedWorker = await outcome(async () => (await workers.decode(copy(bytes))).toArray());
        expect(decodedInline).toEqual(reference);
        expect(decodedWorker).toEqual(reference);
        // validate takes one batch: the first.
        const first = bytes.subarray(0, plain.length);
        const direct = await outcome(() => {
          const batchBytes = validateRecordBatch(first, 0, first.length);
          return { batchBytes, nullKeyCount: forEachRecord(first, 0, batchBytes, DECOMPRESSED_BYTES_LIMIT_DEFAULT) };
        });
        const strip = async (run: Promise<{ batchBytes: number; nullKeyCount: number }>) =>
          outcome(async () => {
            const { batchBytes, nullKeyCount } = await run;
            return { batchBytes, nullKeyCount };
          });
        expect(await strip(inline.validate(first))).toEqual(direct);
        expect(await strip(workers.validate(copy(first)))).toEqual(direct);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  test('validate refuses a batch with a flipped records byte with CRC_MISMATCH on both paths', async () => {
    const batch = encodeRecordBatch([{ key: 'k', value: new Prng(1).bytes(5000) }], { timestamp: 1 });
    batch[RECORDS_OFFSET + 100]! ^= 0x01;
    for (const pool of [inline, workers]) {
      const error = await pool.validate(copy(batch)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect((error as CorruptRecordError).code).toBe('CRC_MISMATCH');
    }
  });

  test('errors keep their EngineError class and code across the thread boundary', async () => {
    for (const pool of [inline, workers]) {
      const unsupported = await pool.encode([{ value: 'x' }], { compression: 'snappy' }).catch((caught: unknown) => caught);
      expect(unsupported).toBeInstanceOf(EngineError);
      expect(unsupported).not.toBeInstanceOf(CorruptRecordError);
      expect((unsupported as EngineError).code).toBe('UNSUPPORTED_CODEC');
      const garbage = await pool.decompress(Buffer.from('not an lz4 frame at all'), 'lz4').catch((caught: unknown) => caught);
      expect(garbage).toBeInstanceOf(CorruptRecordError);
      expect((garbage as CorruptRecordError).code).toBe('DECOMPRESSION_FAILED');
      const short = await pool.decode(Buffer.alloc(30)).catch((caught: unknown) => caught);
      expect(short).toBeInstanceOf(CorruptRecordError);
      expect((short as CorruptRecordError).code).toBe('BATCH_TOO_SHORT');
    }
  });

  test('compress and decompress round-trip a section on both paths', async () => {
    const section = new Prng(2).compressibleBytes(200_000);
    for (const pool of [inline, workers]) {
      const compressed = await pool.compress(copy(section), 'lz4');
      expect(compressed.length).toBeLessThan(section.length);
      expect((await pool.decompress(compressed, 'lz4')).equals(section)).toBe(true);
    }
  });

  test('offloaded encodes write into the input buffers their workers sent back', async () => {
    const pool = WorkPool.create({ workers: 1, thresholds: OFFLOAD_ALWAYS });
    try {
      const prng = new Prng(12);
      for (const compression of ['lz4', 'none'] as const) {
        const before = pool.stats;
        for (let round = 0; round < 6; round++) {
          const records = Array.from({ length: 50 }, (_, index) => ({ key: `k${index}`, value: prng.compressibleBytes(900) }));
          const options: EncodeBatchOptions = { compression, timestamp: 7 };
          // One at a time: each encode finds the buffer the previous one gave back.
          expect((await pool.encode(records, options)).equals(encodeRecordBatch(records, options))).toBe(true);
        }
        const after = pool.stats;
        expect(after.allocatedInputBuffers - before.allocatedInputBuffers).toBeLessThanOrEqual(1);
        expect(after.reusedInputBuffers - before.reusedInputBuffers).toBeGreaterThanOrEqual(5);
      }
    } finally {
      await pool.close();
    }
  });

  test('a standalone buffer is transferred and comes back; a pool slice is copied and counted', async () => {
    const batch = encodeRecordBatch([{ value: new Prng(3).bytes(10_000) }], { timestamp: 1 });
    const standalone = copy(batch);
    const validated = await workers.validate(standalone);
    expect(standalone.length).toBe(0);
    expect(validated.batch.equals(batch)).toBe(true);

    const small = encodeRecordBatch([{ value: 'small' }], { timestamp: 1 });
    expect(small.byteLength).toBeLessThan(small.buffer.byteLength);
    const before = workers.stats.copiedBytes;
    const result = await workers.validate(small);
    expect(result.batch).toBe(small);
    expect(small.length).toBeGreaterThan(0);
    expect(workers.stats.copiedBytes - before).toBe(small.length);
  });

  test('inputs under the offload threshold run inline', async () => {
    const pool = WorkPool.create({ workers: 1, thresholds: { validatePlainBytes: 1_000_000 } });
    try {
      const batch = encodeRecordBatch([{ value: 'tiny' }], { timestamp: 1 });
      await pool.validate(batch);
      expect(pool.stats).toMatchObject({ inlineTasks: 1, offloadedTasks: 0 });
    } finally {
      await pool.close();
    }
  });

  test('a compressed batch goes to a worker by its record count even when its stored bytes are few', async () => {
    const pool = WorkPool.create({ workers: 1 });
    try {
      const many = Array.from({ length: 300 }, (_, index) => ({ value: `{"event":"view","n":${index % 7}}` }));
      const small = encodeRecordBatch(many, { compression: 'lz4', timestamp: 1 });
      expect(small.length).toBeLessThan(pool.options.thresholds.validateCompressedBytes);
      await pool.validate(copy(small));
      await pool.validate(copy(encodeRecordBatch(many.slice(0, 10), { compression: 'lz4', timestamp: 1 })));
      expect(pool.stats).toMatchObject({ offloadedTasks: 1, inlineTasks: 1 });
    } finally {
      await pool.close();
    }
  });

  test('a full queue refuses the next task with a retriable BackpressureError and leaves its buffer alone', async () => {
    const pool = WorkPool.create({ workers: 1, tasksPerWorker: 1, maxQueue: 1, thresholds: OFFLOAD_ALWAYS });
    try {
      const batch = encodeRecordBatch([{ value: new Prng(4).bytes(50_000) }], { compression: 'lz4', timestamp: 1 });
      const running = [pool.validate(copy(batch)), pool.validate(copy(batch))];
      const refused = copy(batch);
      const error = await pool.validate(refused).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackpressureError);
      expect(error).toMatchObject({ code: 'BACKPRESSURE', retriable: true });
      expect(refused.length).toBe(batch.length);
      await Promise.all(running);
      expect(pool.stats).toMatchObject({ rejectedTasks: 1, inFlight: 0, inFlightMax: 2 });
      await pool.validate(refused);
    } finally {
      await pool.close();
    }
  });

  test("whenFull: 'inline' runs what the full queue cannot take on the calling thread", async () => {
    const pool = WorkPool.create({ workers: 1, tasksPerWorker: 1, maxQueue: 0, whenFull: 'inline', thresholds: OFFLOAD_ALWAYS });
    try {
      const batch = encodeRecordBatch([{ value: new Prng(5).bytes(20_000) }], { timestamp: 1 });
      const results = await Promise.all([0, 1, 2].map(() => pool.validate(copy(batch))));
      expect(results.map((result) => result.batchBytes)).toEqual([batch.length, batch.length, batch.length]);
      expect(pool.stats).toMatchObject({ offloadedTasks: 1, overflowInlineTasks: 2, rejectedTasks: 0 });
    } finally {
      await pool.close();
    }
  });

  test('options are checked with ConfigError', () => {
    expect(() => WorkPool.create({ workers: -1 })).toThrow(ConfigError);
    expect(() => WorkPool.create({ workers: 1.5 })).toThrow(ConfigError);
    expect(() => WorkPool.create({ workers: 65 })).toThrow(ConfigError);
    expect(() => WorkPool.create({ workers: 1, maxQueue: -1 })).toThrow(ConfigError);
    expect(() => WorkPool.create({ workers: 1, tasksPerWorker: 0 })).toThrow(ConfigError);
    expect(() => WorkPool.create({ workers: 0, thresholds: { decodePlainBytes: Number.NaN } })).toThrow(ConfigError);
    expect(WorkPool.create({ workers: 2 }).options.maxQueue).toBe(16);
  });

  test('the worker file resolves to dist/ when the pool runs from its TypeScript source', () => {
    const root = join('/', 'repo');
    const source = pathToFileURL(join(root, 'src', 'pool', 'pool.ts')).href;
    expect(workerFilename(source)).toBe(join(root, 'dist', 'src', 'pool', 'worker.js'));
    const compiled = pathToFileURL(join(root, 'dist', 'src', 'pool', 'pool.js')).href;
    expect(workerFilename(compiled)).toBe(join(root, 'dist', 'src', 'pool', 'worker.js'));
  });

  test('close() ends the worker threads, so a process that used the pool exits by itself', async () => {
    const poolUrl = pathToFileURL(join(workerFilename(), '..', 'pool.js')).href;
    const script = `
      import { WorkPool } from ${JSON.stringify(poolUrl)};
      const pool = WorkPool.create({ workers: 2, thresholds: { encodePlainBytes: 0 } });
      const batch = await pool.encode([{ value: 'x'.repeat(1000) }], { timestamp: 1 });
      await pool.close();
      console.log(batch.length, pool.stats.offloadedTasks);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 5000 });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe(`${encodeRecordBatch([{ value: 'x'.repeat(1000) }], { timestamp: 1 }).length} 1`);
    const closed = WorkPool.create({ workers: 1 });
    await closed.close();
    await expect(closed.validate(Buffer.alloc(61))).rejects.toThrow(/after close/);
  });
});
