import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import type { EngineError } from '../../src/core/errors.js';
import { WorkPool } from '../../src/pool/pool.js';
import { OFFLOAD_ALWAYS } from '../../src/pool/thresholds.js';
import { CRC_COVERED_OFFSET, CRC_OFFSET, MAX_TIMESTAMP_OFFSET } from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import { writeInt64 } from '../../src/records/int64.js';
import type { CompressionCodec } from '../../src/records/record.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { CLEAN_SHUTDOWN_FILE, LOG_SUFFIX, RECOVERY_POINT_CHECKPOINT_FILE } from '../../src/storage/file-names.js';
import { Log, type LogOptions, type RecoveryReport } from '../../src/storage/log.js';
import { Prng } from '../helpers/prng.js';
import { tempDirsPerTest } from '../helpers/temp-dir.js';

/**
 * Recovery with its scans on worker threads against recovery inline, on copies of the same
 * damaged directory: the same RecoveryReport (but its duration), log end offset, truncation,
 * index and checkpoint files byte for byte (after open, and after a clean close), and the same
 * records read back. Scenarios: clean data, a torn tail, a flipped byte mid-segment, several
 * segments with damage in an early one, compressed batches, a damaged baseOffset (caught by the
 * offset checks on the main thread), a maxTimestamp outside ±2^53 under a valid CRC, and damage
 * below the recovery point (kept, not cut). Worker pools load dist/src/pool/worker.js, which
 * `npm test` compiles first.
 */

let offloading: WorkPool;
const tempDir = tempDirsPerTest();

beforeAll(() => {
  offloading = WorkPool.create({ workers: 2, thresholds: OFFLOAD_ALWAYS });
});

afterAll(async () => {
  await offloading.close();
});


const T0_MS = 1_700_000_000_000;

const logOptions = (extra: Partial<LogOptions> = {}): LogOptions => ({
  config: { 'segment.bytes': 24 * 1024, 'index.interval.bytes': 1024 },
  scheduleTasks: false,
  clock: () => T0_MS,
  ...extra,
});

/**
 * A log of `batches` batches of 1-30 records (up to 400-byte values), codecs in turn, closed
 * cleanly; then, unless `keepRecoveryPoint`, its marker and recovery point are removed so that
 * every segment is rescanned, as after a crash before any checkpoint.
 */
async function buildLog(codecs: ReadonlyArray<CompressionCodec>, batches: number, keepRecoveryPoint = false): Promise<string> {
  const directory = join(tempDir(), 'topic-0');
  const prng = new Prng(0xb00c + batches);
  const log = await Log.open(directory, logOptions());
  for (let index = 0; index < batches; index++) {
    const records = Array.from({ length: 1 + prng.nextInt(30) }, (_, record) => ({
      key: prng.nextInt(3) === 0 ? null : `key-${index}-${record}`,
      value: prng.nextInt(2) === 0 ? prng.compressibleBytes(prng.nextInt(400)) : prng.bytes(prng.nextInt(400)),
      timestamp: T0_MS + index * 10 + record,
    }));
    await log.append(encodeRecordBatch(records, { compression: codecs[index % codecs.length]! }));
  }
  await log.close();
  rmSync(join(directory, CLEAN_SHUTDOWN_FILE));
  if (!keepRecoveryPoint) rmSync(join(directory, RECOVERY_POINT_CHECKPOINT_FILE));
  return directory;
}

function segmentFiles(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.endsWith(LOG_SUFFIX)).sort();
}

/** Start positions of the batches in a `.log` file. */
function batchStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let position = 0; position + 12 <= bytes.length; position += bytes.readInt32BE(position + 8) + 12) starts.push(position);
  return starts;
}

/** Change the segment file `name` in place. */
function damage(directory: string, name: string, change: (bytes: Buffer, starts: number[]) => Buffer): void {
  const path = join(directory, name);
  const bytes = readFileSync(path);
  writeFileSync(path, change(bytes, batchStarts(bytes)));
}

/** Each file's name and SHA-256 (deep equality of large Buffers is slow in vitest). */
function snapshot(directory: string): Map<string, string> {
  const digest = (name: string): string => createHash('sha256').update(readFileSync(join(directory, name))).digest('hex');
  return new Map(readdirSync(directory).sort().map((name) => [name, digest(name)]));
}

/** The report but its duration, with `directory` written as <dir> (copies live elsewhere). */
function comparable(report: RecoveryReport, directory: string): Omit<RecoveryReport, 'durationMs'> {
  const { durationMs: _durationMs, ...rest } = report;
  return JSON.parse(JSON.stringify(rest).replaceAll(directory, '<dir>')) as Omit<RecoveryReport, 'durationMs'>;
}

/** Every record, read in order; a refused read ends the list with its error code. */
function readEverything(log: Log): string[] {
  const out: string[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    let result: ReturnType<Log['readRecords']>;
    try {
      result = log.readRecords(offset, 1 << 20);
    } catch (error) {
      out.push(`${offset}: ${(error as EngineError).code}`);
      break;
    }
    for (const record of result.records) out.push(`${record.offset}:${record.key?.toString('hex')}:${record.value?.toString('hex')}`);
    if (result.nextOffset <= offset) break;
    offset = result.nextOffset;
  }
  return out;
}

interface Opened {
  readonly report: Omit<RecoveryReport, 'durationMs'>;
  readonly logEndOffset: number;
  readonly afterOpen: Map<string, string>;
  readonly afterClose: Map<string, string>;
  readonly records: string[];
}

async function openAndClose(directory: string, options: LogOptions): Promise<Opened> {
  const log = await Log.open(directory, options);
  const afterOpen = snapshot(directory);
  const records = readEverything(log);
  await log.close();
  return { report: comparable(log.recoveryReport, directory), logEndOffset: log.logEndOffset, afterOpen, afterClose: snapshot(directory), records };
}

/** Open a copy inline and the original with every scan offloaded; both must agree exactly. */
async function expectSameRecovery(directory: string): Promise<Opened> {
  const copy = join(tempDir(), 'topic-0');
  cpSync(directory, copy, { recursive: true });
  const inline = await openAndClose(copy, logOptions());
  const offloadedBefore = offloading.stats.offloadedTasks;
  const pooled = await openAndClose(directory, logOptions({ recoveryScanner: offloading }));
  // Scans of segments that a cut removes before their turn are made, but never applied.
  const offloaded = offloading.stats.offloadedTasks - offloadedBefore;
  expect(offloaded).toBeGreaterThanOrEqual(pooled.report.segmentsRecovered);
  expect(offloaded).toBeLessThanOrEqual(pooled.report.segmentsLoaded);
  expect(pooled.report).toEqual(inline.report);
  expect(pooled.logEndOffset).toBe(inline.logEndOffset);
  expect(pooled.afterOpen).toEqual(inline.afterOpen);
  expect(pooled.afterClose).toEqual(inline.afterClose);
  expect(pooled.records).toEqual(inline.records);
  return pooled;
}

describe('Recovery scans on worker threads', () => {
  test('clean data over several segments recovers exactly as inline, with nothing cut', async () => {
    const directory = await buildLog(['none', 'lz4'], 120);
    expect(segmentFiles(directory).length).toBeGreaterThan(3);
    const result = await expectSameRecovery(directory);
    expect(result.report).toMatchObject({ cleanShutdown: false, bytesTruncated: 0, truncations: [] });
    expect(result.report.segmentsRecovered).toBe(segmentFiles(directory).length);
  });

  test('a torn tail is cut at the same byte with the same reason as inline', async () => {
    const directory = await buildLog(['none', 'lz4'], 80);
    const last = segmentFiles(directory).at(-1)!;
    damage(directory, last, (bytes, starts) => bytes.subarray(0, starts.at(-1)! + 90));
    const result = await expectSameRecovery(directory);
    expect(result.report.truncations).toHaveLength(1);
    expect(result.report.truncations[0]!.reason).toMatch(/does not fit/);
  });

  test('a flipped byte mid-segment is cut at its batch, as inline', async () => {
    const directory = await buildLog(['none'], 60);
    const last = segmentFiles(directory).at(-1)!;
    damage(directory, last, (bytes, starts) => {
      bytes[starts[Math.floor(starts.length / 2)]! + 75]! ^= 0x08;
      return bytes;
    });
    const result = await expectSameRecovery(directory);
    expect(result.report.truncations[0]!.reason).toMatch(/fails its CRC-32C/);
  });

  test('damage in an early segment cuts it and removes every later segment, as inline', async () => {
    const directory = await buildLog(['none', 'lz4', 'gzip'], 150);
    const segments = segmentFiles(directory);
    expect(segments.length).toBeGreaterThan(4);
    damage(directory, segments[1]!, (bytes, starts) => {
      bytes[starts[2]! + 100]! ^= 0x40;
      return bytes;
    });
    const result = await expectSameRecovery(directory);
    expect(result.report.segmentsDeleted).toHaveLength(segments.length - 2);
    expect(segmentFiles(directory)).toEqual(segments.slice(0, 2));
  });

  test('compressed batches (lz4 and gzip) recover exactly as inline, torn tail included', async () => {
    const directory = await buildLog(['lz4', 'gzip'], 90);
    const last = segmentFiles(directory).at(-1)!;
    truncateSync(join(directory, last), readFileSync(join(directory, last)).length - 7);
    const result = await expectSameRecovery(directory);
    expect(result.report.truncations).toHaveLength(1);
  });

  test('a damaged baseOffset is caught by the offset checks on the owning thread, as inline', async () => {
    const directory = await buildLog(['none'], 40);
    damage(directory, segmentFiles(directory)[0]!, (bytes, starts) => {
      writeInt64(bytes, 999_999, starts[3]!);
      return bytes;
    });
    const result = await expectSameRecovery(directory);
    expect(result.report.truncations[0]!.reason).toMatch(/offsets 999999\.\./);
  });

  test('a maxTimestamp outside ±2^53 under a valid CRC gives the int64 reason, or the offsets reason when both are wrong', async () => {
    for (const baseOffsetToo of [false, true]) {
      const directory = await buildLog(['none'], 30);
      damage(directory, segmentFiles(directory)[0]!, (bytes, starts) => {
        const at = starts[2]!;
        bytes.writeInt32BE(0x7fffffff, at + MAX_TIMESTAMP_OFFSET);
        const end = at + bytes.readInt32BE(at + 8) + 12;
        bytes.writeUInt32BE(crc32c(bytes, at + CRC_COVERED_OFFSET, end), at + CRC_OFFSET);
        if (baseOffsetToo) writeInt64(bytes, 5_000_000, at);
        return bytes;
      });
      const result = await expectSameRecovery(directory);
      expect(result.report.truncations[0]!.reason).toMatch(baseOffsetToo ? /offsets 5000000\.\./ : /outside ±2\^53/);
    }
  });

  test('damage below the recovery point is reported and kept, as inline', async () => {
    const directory = await buildLog(['none'], 100, true);
    const segments = segmentFiles(directory);
    rmSync(join(directory, segments[0]!.replace(LOG_SUFFIX, '.index')));
    damage(directory, segments[0]!, (bytes, starts) => {
      bytes[starts[4]! + 90]! ^= 0x02;
      return bytes;
    });
    const result = await expectSameRecovery(directory);
    expect(result.report.corruptBelowRecoveryPoint).toHaveLength(1);
    expect(result.report.truncations).toEqual([]);
  });

  test('a pool declines segments under its threshold, and they are recovered inline', async () => {
    const pool = WorkPool.create({ workers: 1, thresholds: { recoveryScanBytes: Number.POSITIVE_INFINITY } });
    try {
      const directory = await buildLog(['none'], 30);
      const log = await Log.open(directory, logOptions({ recoveryScanner: pool }));
      await log.close();
      expect(log.recoveryReport.segmentsRecovered).toBeGreaterThan(0);
      expect(pool.stats.offloadedTasks).toBe(0);
      expect(pool.stats.inlineTasks).toBe(log.recoveryReport.segmentsRecovered);
    } finally {
      await pool.close();
    }
  });

  test('scans beyond what the pool can queue wait for a slot or run inline in the pool, never a BackpressureError', async () => {
    const narrow = WorkPool.create({ workers: 1, tasksPerWorker: 1, maxQueue: 0, thresholds: OFFLOAD_ALWAYS });
    try {
      const directory = await buildLog(['none', 'lz4'], 150);
      const copy = join(tempDir(), 'topic-0');
      cpSync(directory, copy, { recursive: true });
      const inline = await openAndClose(copy, logOptions());
      const pooled = await openAndClose(directory, logOptions({ recoveryScanner: narrow }));
      expect(pooled.report).toEqual(inline.report);
      expect(pooled.afterClose).toEqual(inline.afterClose);
      const stats = narrow.stats;
      expect(stats.rejectedTasks).toBe(0);
      expect(stats.offloadedTasks + stats.overflowInlineTasks).toBe(pooled.report.segmentsRecovered);
      expect(stats.inFlightMax).toBe(1);
    } finally {
      await narrow.close();
    }
  });
});

describe('Broker.open with workers', () => {
  test('partitions opened together on 2 workers recover to the same state as one by one inline', async () => {
    const dataDir = tempDir();
    const writer = await Broker.open({ dataDir, scheduleTasks: false, config: { 'segment.bytes': 500_000 } });
    await writer.createTopic('events', { partitions: 6 });
    const prng = new Prng(42);
    for (let round = 0; round < 20; round++) {
      for (let partition = 0; partition < 6; partition++) {
        const records = Array.from({ length: 200 }, (_, index) => ({ value: prng.bytes(100 + index) }));
        await writer.append('events', partition, encodeRecordBatch(records, { compression: round % 2 === 0 ? 'none' : 'lz4' }));
      }
    }
    await writer.close();
    for (let partition = 0; partition < 6; partition++) {
      const directory = join(dataDir, `events-${partition}`);
      rmSync(join(directory, CLEAN_SHUTDOWN_FILE));
      rmSync(join(directory, RECOVERY_POINT_CHECKPOINT_FILE));
      if (partition % 2 === 1) {
        const last = segmentFiles(directory).at(-1)!;
        truncateSync(join(directory, last), readFileSync(join(directory, last)).length - 1000 * partition);
      }
    }
    const copy = tempDir();
    cpSync(dataDir, copy, { recursive: true });
    const reports = async (directory: string, workers: number): Promise<Array<Omit<RecoveryReport, 'durationMs'>>> => {
      const broker = await Broker.open({ dataDir: directory, scheduleTasks: false, workers });
      try {
        if (workers > 0) expect(broker.pool!.stats.offloadedTasks).toBeGreaterThan(0);
        return Array.from({ length: 6 }, (_, partition) => comparable(broker.log('events', partition).recoveryReport, directory));
      } finally {
        await broker.close();
      }
    };
    const inline = await reports(copy, 0);
    expect(await reports(dataDir, 2)).toEqual(inline);
    expect(inline.filter((report) => report.truncations.length > 0)).toHaveLength(3);
    for (let partition = 0; partition < 6; partition++) {
      expect(snapshot(join(dataDir, `events-${partition}`))).toEqual(snapshot(join(copy, `events-${partition}`)));
    }
  });
});
