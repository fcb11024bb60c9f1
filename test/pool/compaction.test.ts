import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { WorkPool } from '../../src/pool/pool.js';
import { OFFLOAD_ALWAYS } from '../../src/pool/thresholds.js';
import { CODEC_LZ4, CODEC_MASK, DELETE_HORIZON_MASK, RECORD_BATCH_OVERHEAD } from '../../src/records/batch-layout.js';
import type { CompressionCodec, RecordInput } from '../../src/records/record.js';
import { encodeRecordBatch, readBatchHeader, type BatchHeader } from '../../src/records/record-batch.js';
import type { CompactionOutcome, CompactionRunner } from '../../src/storage/compactor.js';
import {
  CLEANED_SUFFIX,
  CLEANER_OFFSET_CHECKPOINT_FILE,
  COMPACTED_BELOW_CHECKPOINT_FILE,
  LOG_SUFFIX,
  parseBaseOffset,
  SWAP_SUFFIX,
} from '../../src/storage/file-names.js';
import { Log, type CompactionResult, type LogOptions } from '../../src/storage/log.js';
import { Prng } from '../helpers/prng.js';
import { tempDirsPerTest } from '../helpers/temp-dir.js';
import {
  COMPACTION_CRASH_CONFIG,
  COMPACTION_CRASH_NOW_MS,
  COMPACTION_CRASH_T0_MS,
} from './compaction-crash-child.js';

/**
 * Log compaction (cleanup.policy=compact) with its pass on the worker pool: a 1-worker WorkPool
 * with OFFLOAD_ALWAYS is the log's compactionRunner, so every pass reads the segment files and
 * writes the `.cleaned` files on a worker thread while the log's thread goes on appending,
 * reading and applying retention; the swap happens back on the log's thread. Compared with the
 * same pass inline, raced against appends and retention, fed a damaged segment, raced against
 * close(), run by a Broker's pool, and SIGKILLed mid-pass in a child process
 * (compaction-crash-child.ts). Worker pools load dist/src/pool/worker.js and the child runs from
 * dist/test/pool/, so `npx tsc -p tsconfig.json` (npm test does it) must run first.
 */

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CRASH_CHILD = join(REPO_ROOT, 'dist', 'test', 'pool', 'compaction-crash-child.js');

const T0 = 1_700_000_000_000;
/** `nowMs` a day from now: past every record's timestamp and every tombstone's delete horizon here. */
const LATER = Date.now() + 24 * 3_600_000;

let pool: WorkPool;
const tempDir = tempDirsPerTest();

beforeAll(() => {
  pool = WorkPool.create({ workers: 1, thresholds: OFFLOAD_ALWAYS });
});

afterAll(async () => {
  await pool.close();
});


/** A partition directory (`<topic>-<partition>`, as the checkpoint files require). */
function partitionDir(): string {
  return join(tempDir(), 'table-0');
}

async function openLog(path: string, options: LogOptions = {}): Promise<Log> {
  return Log.open(path, { scheduleTasks: false, clock: () => T0, ...options });
}

/** What was appended at each offset. */
interface Entry {
  readonly key: string;
  readonly value: string | null;
}
type Model = Map<number, Entry>;

interface ReadRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

async function appendTracked(
  log: Log,
  model: Model,
  records: ReadonlyArray<RecordInput & { key: string; value: string | null }>,
  compression: CompressionCodec = 'none',
): Promise<number> {
  const result = await log.append(encodeRecordBatch(records, { compression }));
  records.forEach((record, index) => model.set(result.baseOffset + index, { key: record.key, value: record.value }));
  return result.baseOffset;
}

/** The offset of each key's latest record. */
function latestOffsets(model: Model): Map<string, number> {
  const latest = new Map<string, number>();
  for (const [offset, entry] of model) if ((latest.get(entry.key) ?? -1) < offset) latest.set(entry.key, offset);
  return latest;
}

/** Every record from the log start on, through readRecords (each batch CRC-checked). */
function readAll(log: Log): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const result = log.readRecords(offset, 1 << 20);
    for (const record of result.records) {
      out.push({
        offset: record.offset,
        key: record.key === null ? null : record.key.toString('latin1'),
        value: record.value === null ? null : record.value.toString('latin1'),
      });
    }
    if (result.nextOffset <= offset) throw new Error(`read at ${offset} did not advance`);
    offset = result.nextOffset;
  }
  return out;
}

/** Every stored batch header from the log start on. */
function storedHeaders(log: Log): BatchHeader[] {
  const headers: BatchHeader[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const { records, nextOffset } = log.read(offset, 1 << 20);
    for (let position = 0; position < records.length; ) {
      const header = readBatchHeader(records, position);
      headers.push(header);
      position += header.batchLength + 12;
    }
    if (nextOffset <= offset) throw new Error(`read at ${offset} did not advance`);
    offset = nextOffset;
  }
  return headers;
}

/**
 * Read everything and check it against what was appended: offsets strictly increase, every record
 * read is the one appended at its offset, and every key's latest record (if not below the log
 * start) is there, but for tombstones when `tombstonesExpired` (a pass past their delete horizon
 * drops them). Returns what was read.
 */
function expectConsistent(log: Log, model: Model, tombstonesExpired = false): ReadRecord[] {
  const all = readAll(log);
  for (let index = 1; index < all.length; index++) {
    if (all[index]!.offset <= all[index - 1]!.offset) {
      throw new Error(`offsets do not increase: ${all[index - 1]!.offset} then ${all[index]!.offset}`);
    }
  }
  for (const record of all) {
    const appended = model.get(record.offset);
    if (appended === undefined || appended.key !== record.key || appended.value !== record.value) {
      throw new Error(`offset ${record.offset} reads ${JSON.stringify(record)}, appended ${JSON.stringify(appended)}`);
    }
  }
  const byOffset = new Set(all.map((record) => record.offset));
  const missing = [...latestOffsets(model)].filter(
    ([, offset]) => offset >= log.logStartOffset && !byOffset.has(offset) && !(tombstonesExpired && model.get(offset)!.value === null),
  );
  expect(missing, 'keys whose latest record is gone').toEqual([]);
  return all;
}

/** Below `end`, each key appears at most once (what a finished pass leaves in what it cleaned). */
function duplicateKeysBelow(records: ReadonlyArray<ReadRecord>, end: number): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const record of records) {
    if (record.offset >= end) break;
    if (seen.has(record.key!)) duplicates.push(`${record.key}@${record.offset}`);
    seen.add(record.key!);
  }
  return duplicates;
}

function filesEndingWith(path: string, ...suffixes: string[]): string[] {
  return readdirSync(path).filter((name) => suffixes.some((suffix) => name.endsWith(suffix)));
}

/** The `.log` files of a directory: name → bytes. */
function logFiles(path: string): Map<string, Buffer> {
  return new Map(
    readdirSync(path)
      .filter((name) => name.endsWith(LOG_SUFFIX))
      .sort()
      .map((name) => [name, readFileSync(join(path, name))]),
  );
}

/** The `.log` files of a directory: name → SHA-256 (deep equality of Buffers is slow to report). */
function logDigests(path: string): Map<string, string> {
  return new Map([...logFiles(path)].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')]));
}

function segmentPath(path: string, baseOffset: number): string {
  return join(path, `${String(baseOffset).padStart(20, '0')}${LOG_SUFFIX}`);
}

/** XOR one byte of a file in place (no reopen of the log). */
function flipByte(file: string, position: number): void {
  const fd = openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, position);
    byte[0]! ^= 0x5a;
    writeSync(fd, byte, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

function keyedRecords(
  prng: Prng,
  count: number,
  keys: number,
  timestamp: number,
  label: string,
  tombstoneOneIn = 0,
  valueBytesMax = 70,
): Array<RecordInput & { key: string; value: string | null }> {
  return Array.from({ length: count }, (_, index) => ({
    key: `key-${prng.nextInt(keys)}`,
    value:
      tombstoneOneIn > 0 && prng.nextInt(tombstoneOneIn) === 0
        ? null
        : `${label}.${index}:${prng.compressibleBytes(10 + prng.nextInt(valueBytesMax - 10)).toString('latin1')}`,
    timestamp: timestamp + index,
  }));
}

describe('Compaction on the worker pool', () => {
  test('a pass on a 1-worker pool leaves byte-for-byte the same .log files and the same result as the same pass inline', async () => {
    const config = {
      'cleanup.policy': 'compact',
      'segment.bytes': 1536,
      'index.interval.bytes': 256,
      'delete.retention.ms': 5_000,
    } as const;
    const pooledPath = partitionDir();
    const inlinePath = partitionDir();
    const pooled = await openLog(pooledPath, { config, compactionRunner: pool });
    const inline = await openLog(inlinePath, { config });
    const models: [Model, Model] = [new Map(), new Map()];
    const feed = async (seed: number, batches: number, firstTimestamp: number): Promise<void> => {
      const prng = new Prng(seed);
      for (let index = 0; index < batches; index++) {
        const records = keyedRecords(prng, 1 + prng.nextInt(6), 14, firstTimestamp + index * 100, `b${seed}.${index}`, 7);
        // Every fifth batch LZ4: compacting one rebuilds it, compressed again, on the worker.
        const compression: CompressionCodec = index % 5 === 2 ? 'lz4' : 'none';
        await appendTracked(pooled, models[0], records, compression);
        await appendTracked(inline, models[1], records, compression);
      }
    };
    await feed(1, 70, T0);
    expect(pooled.segmentCount).toBeGreaterThanOrEqual(8);
    expect(logDigests(pooledPath)).toEqual(logDigests(inlinePath));

    const passes: Array<{ nowMs: number; cleanEnd: number }> = [];
    const runPass = async (nowMs: number): Promise<CompactionResult> => {
      passes.push({ nowMs, cleanEnd: pooled.segmentBaseOffsets().at(-1)! });
      const offloaded = pool.stats.offloadedTasks;
      const pooledPass = pooled.compact({ force: true, nowMs });
      const inlinePass = inline.compact({ force: true, nowMs });
      const [pooledResult, inlineResult] = await Promise.all([pooledPass, inlinePass]);
      expect(pool.stats.offloadedTasks, 'the pooled pass ran on the worker').toBe(offloaded + 1);
      expect(pooledResult).toEqual(inlineResult);
      const pooledFiles = logFiles(pooledPath);
      const inlineFiles = logFiles(inlinePath);
      expect([...pooledFiles.keys()]).toEqual([...inlineFiles.keys()]);
      for (const [name, bytes] of pooledFiles) expect(bytes.equals(inlineFiles.get(name)!), name).toBe(true);
      expect(filesEndingWith(pooledPath, CLEANED_SUFFIX, SWAP_SUFFIX)).toEqual([]);
      expect(readAll(pooled)).toEqual(readAll(inline));
      expectConsistent(pooled, models[0]);
      return pooledResult;
    };

    // Pass 1 removes superseded records and stamps a delete horizon (now + 5 s) on tombstones.
    const first = await runPass(LATER);
    expect(first.segmentsRewritten).toBeGreaterThanOrEqual(2);
    expect(first.recordsRemoved).toBeGreaterThan(0);
    expect(first.bytesAfter).toBeLessThan(first.bytesBefore);
    const afterFirst = readAll(pooled);
    expect(duplicateKeysBelow(afterFirst, passes[0]!.cleanEnd)).toEqual([]);
    const tombstonesKept = afterFirst.filter((record) => record.offset < passes[0]!.cleanEnd && record.value === null);
    expect(tombstonesKept.length).toBeGreaterThan(0);
    const headers = storedHeaders(pooled).filter((header) => header.baseOffset < passes[0]!.cleanEnd);
    const rebuiltLz4 = headers.filter(
      (header) => (header.attributes & CODEC_MASK) === CODEC_LZ4 && header.recordsCount < header.lastOffsetDelta + 1,
    );
    expect(rebuiltLz4.length, 'an LZ4 batch lost records and was recompressed').toBeGreaterThan(0);
    expect(headers.some((header) => (header.attributes & DELETE_HORIZON_MASK) !== 0)).toBe(true);

    // Pass 2, past the horizon, drops those tombstones (and compacts what came since).
    await feed(2, 25, T0 + 150_000);
    const second = await runPass(LATER + 100_000);
    expect(second.recordsRemoved).toBeGreaterThan(0);
    const afterSecond = readAll(pooled);
    expect(afterSecond.filter((record) => record.offset < passes[0]!.cleanEnd && record.value === null)).toEqual([]);
    expect(duplicateKeysBelow(afterSecond, passes[1]!.cleanEnd)).toEqual([]);

    await Promise.all([pooled.close(), inline.close()]);
    expect(logDigests(pooledPath)).toEqual(logDigests(inlinePath));
  });

  test('appends made while a pass runs on a worker are all kept and readable afterwards, and every key keeps its latest value', async () => {
    const path = partitionDir();
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 4096, 'index.interval.bytes': 512 } as const;
    const log = await openLog(path, { config, compactionRunner: pool });
    const model: Model = new Map();
    const prng = new Prng(0xa11);
    for (let index = 0; index < 200; index++) await appendTracked(log, model, keyedRecords(prng, 8, 40, T0 + index * 10, `pre${index}`));
    const cleanEnd = log.segmentBaseOffsets().at(-1)!;
    const segmentsBefore = log.segmentCount;

    const offloaded = pool.stats.offloadedTasks;
    let settled = false;
    const pass = log.compact({ force: true, nowMs: T0 + 1_000_000 });
    void pass.then(
      () => (settled = true),
      () => (settled = true),
    );
    expect(pool.stats.offloadedTasks).toBe(offloaded + 1);

    const appendedDuring: number[] = [];
    let appendedAfter = 0;
    let readsDuring = 0;
    for (let index = 0; index < 5_000 && (!settled || appendedAfter < 60); index++) {
      const wasRunning = !settled;
      // Old keys (superseding what the pass is cleaning) and new ones.
      const records = keyedRecords(prng, 1 + prng.nextInt(6), 60, T0 + 10_000 + index, `during${index}`);
      const baseOffset = await appendTracked(log, model, records);
      if (wasRunning && !settled) {
        for (let offset = baseOffset; offset < baseOffset + records.length; offset++) appendedDuring.push(offset);
        // Reads go on too: of what was just appended, and of a key's latest value in what is being cleaned.
        const read = log.readRecords(baseOffset).records[0]!;
        expect(read.value!.toString('latin1')).toBe(records[0]!.value);
        const [key, offset] = [...latestOffsets(model)].find(([, latest]) => latest < cleanEnd) ?? [null, -1];
        if (key !== null) expect(log.readRecords(offset).records[0]!.key!.toString('latin1')).toBe(key);
        readsDuring++;
      } else if (settled) {
        appendedAfter++;
      }
      // Let the event loop turn now and then, so the worker's answer is taken (and the swap done)
      // in the middle of the appends.
      if (index % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
    }
    const result = await pass;
    expect(appendedDuring.length).toBeGreaterThan(0);
    expect(readsDuring).toBeGreaterThan(0);
    expect(appendedAfter).toBeGreaterThanOrEqual(60);
    expect(log.segmentCount).toBeGreaterThan(segmentsBefore);
    expect(result.segmentsRewritten).toBeGreaterThan(0);
    expect(result.recordsRemoved).toBeGreaterThan(0);

    const check = (opened: Log): void => {
      const all = expectConsistent(opened, model);
      const present = new Set(all.map((record) => record.offset));
      expect(appendedDuring.filter((offset) => !present.has(offset))).toEqual([]);
      // Everything from the first segment the pass did not plan on is there, untouched.
      expect(all.filter((record) => record.offset >= cleanEnd).length).toBe(opened.logEndOffset - cleanEnd);
      expect(duplicateKeysBelow(all, cleanEnd)).toEqual([]);
      expect(filesEndingWith(path, CLEANED_SUFFIX, SWAP_SUFFIX)).toEqual([]);
    };
    check(log);
    const logEndOffset = log.logEndOffset;
    await log.close();
    const reopened = await openLog(path, { config });
    expect(reopened.logEndOffset).toBe(logEndOffset);
    check(reopened);
    await reopened.close();
  });

  describe('a segment deleted by retention while the pass runs is not swapped back in', () => {
    const config = {
      'cleanup.policy': 'compact,delete',
      'segment.bytes': 2048,
      'retention.ms': 50_000,
      'file.delete.delay.ms': 0,
    } as const;

    /** Old segments (timestamps at T0, past retention at T0 + 60 s) then young ones. */
    async function fill(log: Log, model: Model): Promise<void> {
      const prng = new Prng(0xde1);
      for (let index = 0; index < 60; index++) await appendTracked(log, model, keyedRecords(prng, 6, 25, T0, `old${index}`));
      log.roll();
      for (let index = 0; index < 60; index++) {
        await appendTracked(log, model, keyedRecords(prng, 6, 25, T0 + 100_000 + index, `young${index}`));
      }
    }

    async function expectGoneAfterReopen(path: string, log: Log, model: Model, deleted: ReadonlyArray<number>): Promise<void> {
      const logStartOffset = log.logStartOffset;
      const bases = log.segmentBaseOffsets();
      expect(bases[0]).toBe(logStartOffset);
      expect(bases.filter((base) => deleted.includes(base))).toEqual([]);
      expect(() => log.readRecords(logStartOffset - 1)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
      const before = expectConsistent(log, model);
      expect(before[0]!.offset).toBeGreaterThanOrEqual(logStartOffset);
      expect(filesEndingWith(path, CLEANED_SUFFIX, SWAP_SUFFIX)).toEqual([]);
      await log.close();
      // No file of a deleted segment is left to come back.
      const leftovers = readdirSync(path).filter((name) => deleted.includes(parseBaseOffset(name) ?? -1));
      expect(leftovers).toEqual([]);
      const reopened = await openLog(path, { config });
      try {
        expect(reopened.logStartOffset).toBe(logStartOffset);
        expect(reopened.segmentBaseOffsets()).toEqual(bases);
        expect(reopened.recoveryReport.truncations).toEqual([]);
        expect(expectConsistent(reopened, model)).toEqual(before);
        // A later pass on the reopened log (inline) finds everything in order.
        await reopened.compact({ force: true, nowMs: LATER });
        expectConsistent(reopened, model);
      } finally {
        await reopened.close();
      }
    }

    test('when retention runs right after compact() is called, the pass swaps nothing of what it deleted', async () => {
      const path = partitionDir();
      const log = await openLog(path, { config, compactionRunner: pool });
      const model: Model = new Map();
      await fill(log, model);
      const planned = log.segmentBaseOffsets().slice(0, -1);
      const pass = log.compact({ force: true, nowMs: T0 + 200_000 });
      const { baseOffsets: deleted, reasons } = log.deleteOldSegments(T0 + 60_000);
      expect(reasons).toEqual(['retention.ms']);
      expect(deleted.length).toBeGreaterThanOrEqual(2);
      expect(deleted.every((base) => planned.includes(base))).toBe(true);
      await pass;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expectGoneAfterReopen(path, log, model, deleted);
    });

    test('when retention runs after the worker wrote its cleaned files, those of deleted segments are removed, the others swapped in', async () => {
      const path = partitionDir();
      let log: Log | null = null;
      let seen: { outcome: CompactionOutcome; existed: boolean[]; deleted: number[] } | null = null;
      // The pool, with retention run between the worker's answer and the log's swap.
      const runner: CompactionRunner = {
        compactSegments(job) {
          const running = pool.compactSegments(job);
          expect(running).not.toBeNull();
          return running!.then((outcome) => {
            const existed = outcome.cleaned.map((cleaned) => existsSync(cleaned.cleanedPath));
            seen = { outcome, existed, deleted: log!.deleteOldSegments(T0 + 60_000).baseOffsets };
            return outcome;
          });
        },
      };
      log = await openLog(path, { config, compactionRunner: runner });
      const model: Model = new Map();
      await fill(log, model);
      const result = await log.compact({ force: true, nowMs: T0 + 200_000 });
      const { outcome, existed, deleted } = seen!;
      expect(existed.every(Boolean)).toBe(true);
      const cleanedBases = outcome.cleaned.map((cleaned) => cleaned.baseOffset);
      const swapped = outcome.cleaned.filter((cleaned) => !deleted.includes(cleaned.baseOffset));
      expect(cleanedBases.filter((base) => deleted.includes(base)).length, 'cleaned files of deleted segments').toBeGreaterThan(0);
      expect(swapped.length, 'cleaned files of kept segments').toBeGreaterThan(0);
      expect(result).toEqual({
        segmentsRewritten: swapped.length,
        recordsRemoved: swapped.reduce((sum, cleaned) => sum + cleaned.recordsRemoved, 0),
        bytesBefore: swapped.reduce((sum, cleaned) => sum + cleaned.bytesBefore, 0),
        bytesAfter: swapped.reduce((sum, cleaned) => sum + cleaned.bytesAfter, 0),
      });
      for (const cleaned of outcome.cleaned) expect(existsSync(cleaned.cleanedPath), cleaned.cleanedPath).toBe(false);
      // The kept segments hold what the worker wrote.
      for (const cleaned of swapped) {
        expect(readFileSync(segmentPath(path, cleaned.baseOffset)).length).toBe(cleaned.bytesAfter);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expectGoneAfterReopen(path, log, model, deleted);
    });
  });

  describe('a damaged segment makes the pass reject with CORRUPT_SEGMENT, change no segment file and leave no .cleaned file', () => {
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 1 << 20 } as const;

    /**
     * Segment 0 holds keys a-*, segment 1 keys b-*, later ones c-*. With `cleanedFirst`, a first
     * pass runs, then new a-* values make segment 0 change in the second pass, which finds the
     * damage in segment 1 only after it wrote segment 0's `.cleaned` file (segment 1 is below the
     * cleaner checkpoint, so the offset map does not read it). Returns the log and its directory.
     */
    async function scenario(
      runner: CompactionRunner | undefined,
      cleanedFirst: boolean,
      damaged: boolean,
      damage: 'record' | 'baseOffset' = 'record',
    ): Promise<{ log: Log; path: string }> {
      const path = partitionDir();
      const log = await openLog(path, { config, ...(runner === undefined ? {} : { compactionRunner: runner }) });
      const model: Model = new Map();
      const prng = new Prng(0xbad);
      const segment = async (label: string, batches: number): Promise<void> => {
        for (let index = 0; index < batches; index++) {
          const records = keyedRecords(prng, 4, 6, T0 + index, `${label}${index}`).map((record) => ({ ...record, key: `${label}-${record.key}` }));
          await appendTracked(log, model, records, index % 3 === 1 ? 'lz4' : 'none');
        }
        log.roll();
      };
      await segment('a', 6);
      await segment('b', 6);
      await segment('c', 6);
      if (cleanedFirst) {
        await log.compact({ force: true, nowMs: T0 + 1000 });
        await segment('a', 3);
      }
      if (damaged) {
        const file = segmentPath(path, log.segmentBaseOffsets()[1]!);
        if (damage === 'record') {
          // Inside the first record of segment 1's first batch: only the CRC can tell.
          flipByte(file, RECORD_BATCH_OVERHEAD + 4);
        } else {
          // The third-lowest byte of the second batch's baseOffset (+65,536): outside the CRC,
          // only the offsets can tell. Reads refuse it; so must the pass, before it swaps anything.
          const second = readFileSync(file).readInt32BE(8) + 12;
          flipByte(file, second + 5);
        }
      }
      return { log, path };
    }

    test('the undamaged control: the second pass does rewrite segment 0 before it reads segment 1', async () => {
      const { log, path } = await scenario(pool, true, false);
      const before = logDigests(path);
      const segment0 = [...before.keys()][0]!;
      const result = await log.compact({ force: true, nowMs: LATER });
      expect(result.segmentsRewritten).toBeGreaterThan(0);
      expect(logDigests(path).get(segment0)).not.toBe(before.get(segment0));
      await log.close();
    });

    for (const damage of ['record', 'baseOffset'] as const) {
      for (const where of ['pool', 'inline'] as const) {
        for (const cleanedFirst of [false, true]) {
          const label = `${damage === 'record' ? '' : 'a damaged baseOffset, '}on the ${where} path, ${cleanedFirst ? 'after a segment was already rewritten' : 'while building the offset map'}`;
          test(label, async () => {
            const runner = where === 'pool' ? pool : undefined;
            const { log, path } = await scenario(runner, cleanedFirst, true, damage);
            const before = logDigests(path);
            const offloaded = pool.stats.offloadedTasks;
            await expect(log.compact({ force: true, nowMs: LATER })).rejects.toMatchObject({
              code: 'CORRUPT_SEGMENT',
              name: 'CorruptSegmentError',
            });
            expect(pool.stats.offloadedTasks - offloaded).toBe(where === 'pool' ? 1 : 0);
            expect(logDigests(path)).toEqual(before);
            expect(filesEndingWith(path, CLEANED_SUFFIX, SWAP_SUFFIX)).toEqual([]);
            // The failed pass is over: the next one runs again (and fails the same way), and the log still works.
            await expect(log.compact({ force: true, nowMs: LATER })).rejects.toMatchObject({ code: 'CORRUPT_SEGMENT' });
            expect(filesEndingWith(path, CLEANED_SUFFIX, SWAP_SUFFIX)).toEqual([]);
            const appended = await log.append(encodeRecordBatch([{ key: 'z', value: 'after', timestamp: T0 }]));
            expect(log.readRecords(appended.baseOffset).records[0]!.value!.toString()).toBe('after');
            expect(log.readRecords(0).records.length).toBeGreaterThan(0);
            await log.close();
          });
        }
      }
    }
  });

  test('a second compact() while one runs returns the same promise, and close() while a pass runs waits for it and keeps its result', async () => {
    const path = partitionDir();
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 64 * 1024 } as const;
    const log = await openLog(path, { config, compactionRunner: pool });
    const model: Model = new Map();
    const prng = new Prng(0x5a3e);
    const fill = async (batches: number, from: number): Promise<void> => {
      for (let index = 0; index < batches; index++) {
        await appendTracked(log, model, keyedRecords(prng, 6, 30, T0 + from + index, `f${from}.${index}`, 0, 1000));
      }
    };
    await fill(60, 0);

    const offloaded = pool.stats.offloadedTasks;
    const first = log.compact({ force: true, nowMs: T0 + 100_000 });
    const second = log.compact({ force: true, nowMs: T0 + 100_000 });
    expect(second).toBe(first);
    const [firstResult, secondResult] = await Promise.all([first, second]);
    expect(secondResult).toEqual(firstResult);
    expect(firstResult.segmentsRewritten).toBeGreaterThan(0);
    expect(pool.stats.offloadedTasks).toBe(offloaded + 1);
    // Once it is over, compact() starts a new pass.
    const third = log.compact({ force: true, nowMs: LATER });
    expect(third).not.toBe(first);
    await third;
    expect(pool.stats.offloadedTasks).toBe(offloaded + 2);

    // Enough for the pass to outlast a close() that would not wait for it (a flush and a few fsyncs).
    await fill(600, 10_000);
    await log.flush();
    const cleanEnd = log.segmentBaseOffsets().at(-1)!;
    const bytesBefore = [...logFiles(path).values()].reduce((sum, bytes) => sum + bytes.length, 0);
    const pass = log.compact({ force: true, nowMs: LATER + 100_000 });
    let settled = false;
    void pass.then(() => (settled = true));
    expect(settled).toBe(false);
    await log.close();
    expect(settled, 'close() resolved only after the pass').toBe(true);
    const result = await pass;
    expect(result.segmentsRewritten).toBeGreaterThan(0);
    expect(filesEndingWith(path, CLEANED_SUFFIX, SWAP_SUFFIX)).toEqual([]);
    const bytesAfter = [...logFiles(path).values()].reduce((sum, bytes) => sum + bytes.length, 0);
    expect(bytesBefore - bytesAfter).toBe(result.bytesBefore - result.bytesAfter);

    const reopened = await openLog(path, { config });
    try {
      expect(reopened.recoveryReport.cleanShutdown).toBe(true);
      const all = expectConsistent(reopened, model);
      expect(duplicateKeysBelow(all, cleanEnd)).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  test('a Broker with workers: 2 runs the compaction of its logs on its pool', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, workers: 2, scheduleTasks: false });
    const models: Model[] = [new Map(), new Map()];
    try {
      await broker.createTopic('table', { partitions: 2, config: { 'cleanup.policy': 'compact', 'segment.bytes': 16 * 1024 } });
      const prng = new Prng(0xb20);
      for (let index = 0; index < 400; index++) {
        const partition = index % 2;
        const records = keyedRecords(prng, 10, 40, T0 + index, `p${partition}.${index}`);
        // Small batches: validated inline, so the pool's task count below is the compaction's alone.
        const result = await broker.append('table', partition, encodeRecordBatch(records, { compression: index % 4 === 1 ? 'lz4' : 'none' }));
        records.forEach((record, offset) => models[partition]!.set(result.baseOffset + offset, { key: record.key, value: record.value }));
      }
      const logs = [broker.log('table', 0), broker.log('table', 1)];
      for (const log of logs) expect(log.sizeBytes).toBeGreaterThan(64 * 1024);
      const cleanEnds = logs.map((log) => log.segmentBaseOffsets().at(-1)!);
      const offloaded = broker.pool!.stats.offloadedTasks;
      const results = await Promise.all(logs.map((log) => log.compact({ force: true, nowMs: T0 + 100_000 })));
      expect(broker.pool!.stats.offloadedTasks - offloaded).toBe(2);
      logs.forEach((log, partition) => {
        expect(results[partition]!.segmentsRewritten).toBeGreaterThan(0);
        expect(results[partition]!.recordsRemoved).toBeGreaterThan(0);
        expect(duplicateKeysBelow(expectConsistent(log, models[partition]!), cleanEnds[partition]!)).toEqual([]);
      });
    } finally {
      await broker.close();
    }
    const reopened = await Broker.open({ dataDir, workers: 0, scheduleTasks: false });
    try {
      for (const partition of [0, 1]) expectConsistent(reopened.log('table', partition), models[partition]!);
    } finally {
      await reopened.close();
    }
  });

  test('a process SIGKILLed at any point of a pass on its worker leaves a log that reopens with every key latest value and every batch intact', async () => {
    // Several MB of keyed records over many segments, closed cleanly: the template every round copies.
    const template = partitionDir();
    const model = await prepareCrashTemplate(template, 3.5 * 1024 * 1024);
    const logEndOffset = Math.max(...model.keys()) + 1;
    const templateDigests = logDigests(template);
    // The same pass, inline and uninterrupted: what a finished pass leaves.
    const reference = join(tempDir(), 'table-0');
    cpSync(template, reference, { recursive: true });
    {
      const log = await openLog(reference, { config: COMPACTION_CRASH_CONFIG });
      const result = await log.compact({ force: true, nowMs: COMPACTION_CRASH_NOW_MS });
      expect(result.segmentsRewritten).toBeGreaterThan(5);
      await log.close();
    }
    const referenceDigests = logDigests(reference);

    // Rounds: fixed delays; after the pass; at renames of the swap (which no timer can interrupt:
    // it is synchronous on the log's thread); then at fractions of the pass's measured duration,
    // to catch the worker writing its `.cleaned` files.
    const rounds = [
      'after',
      'delay:0',
      'delay:2',
      'delay:10',
      'delay:30',
      'delay:80',
      'rename:1:before',
      'rename:2:after',
      'rename:3:before',
      'rename:5:after',
    ];
    const outcomes: string[] = [];
    for (let round = 0; round < rounds.length; round++) {
      const when = rounds[round]!;
      const path = join(tempDir(), 'table-0');
      cpSync(template, path, { recursive: true });
      const lines = await runChildUntilKilled(path, when);
      expect(lines[0], `round ${when}`).toMatch(/^ready \d+$/);
      const resolved = lines.find((line) => line.startsWith('resolved '));
      const rename = lines.find((line) => line.startsWith('rename '));
      const onDisk = readdirSync(path);
      // The compacted-below marker is written first thing in the swap phase.
      const checkpointed = onDisk.includes(COMPACTED_BELOW_CHECKPOINT_FILE);
      outcomes.push(
        `${when}: ${resolved === undefined ? 'killed mid-pass' : 'after the pass'}, ` +
          `${onDisk.filter((name) => name.endsWith(CLEANED_SUFFIX)).length} .cleaned, ` +
          `${onDisk.filter((name) => name.endsWith(SWAP_SUFFIX)).length} .swap${checkpointed ? ', checkpointed' : ''}`,
      );
      if (when === 'after') {
        expect(resolved).toMatch(/^resolved 1 \d+ /);
        const passMs = Number(resolved!.split(' ')[2]);
        for (const share of [0.5, 0.7, 0.85, 0.95]) rounds.push(`delay:${Math.round(passMs * share)}`);
        // Killed after the pass, before close: the files are those of the pass run inline.
        expect(logDigests(path)).toEqual(referenceDigests);
      }
      if (when.startsWith('rename:')) {
        expect(rename, `round ${when} was killed at its rename`).toBeDefined();
        const [, , from, to] = rename!.split(' ');
        if (when.endsWith(':before')) {
          expect(existsSync(from!), `${from} before its rename`).toBe(true);
        } else {
          expect(existsSync(from!), `${from} after its rename`).toBe(false);
          expect(existsSync(to!), `${to} after its rename`).toBe(true);
        }
      }
      if (!checkpointed) {
        // Nothing was swapped: every segment file is as prepared.
        expect(logDigests(path)).toEqual(templateDigests);
      }
      if (resolved !== undefined) expect(logDigests(path), `round ${when}`).toEqual(referenceDigests);
      // The swap runs in one go on the log's thread: a timer fires before it or after all of it.
      if (when.startsWith('delay:')) expect(checkpointed, `round ${when}`).toBe(resolved !== undefined);

      const log = await openLog(path, { config: COMPACTION_CRASH_CONFIG });
      try {
        expect(filesEndingWith(path, CLEANED_SUFFIX, SWAP_SUFFIX), `round ${when}`).toEqual([]);
        expect(log.logEndOffset).toBe(logEndOffset);
        expect(log.recoveryReport.truncations).toEqual([]);
        expect(log.recoveryReport.corruptBelowRecoveryPoint).toEqual([]);
        expectConsistent(log, model);
        // A pass on the recovered log (inline) finds everything in order too.
        // Unswapped rounds redo the child's pass (same nowMs); the others need LATER (see LATER).
        await log.compact({ force: true, nowMs: checkpointed ? LATER : COMPACTION_CRASH_NOW_MS });
        // (Past the child's delete horizon when at LATER: tombstones may go.)
        expectConsistent(log, model, checkpointed);
      } finally {
        await log.close();
      }
      if (!checkpointed) {
        // A pass killed before it swapped anything leaves no trace: the next one does all its work.
        expect(logDigests(path), `round ${when}`).toEqual(referenceDigests);
      }
    }
    if (process.env["SHOW_OUTCOMES"] !== undefined) console.log(outcomes.join("\n"));
    // The rounds did stop passes part-way: before the swap, and in the middle of it.
    expect(outcomes.filter((outcome) => outcome.includes('killed mid-pass')).length, outcomes.join('\n')).toBeGreaterThanOrEqual(2);
    expect(outcomes.some((outcome) => / [1-9]\d* \.swap/.test(outcome)), outcomes.join('\n')).toBe(true);
    expect(outcomes.some((outcome) => / [1-9]\d* \.cleaned/.test(outcome)), outcomes.join('\n')).toBe(true);
  });
});

/** Two problems these tests found, fixed: a crash between checkpoint and swaps, and emptied segments. */
describe('Compaction after a crash mid-swap, and after a pass empties a segment', () => {
  test('a pass killed after marking its segments compacted but before its swaps still gets them compacted by the next pass', async () => {
    const template = partitionDir();
    const model = await prepareCrashTemplate(template, 1024 * 1024);
    const path = join(tempDir(), 'table-0');
    cpSync(template, path, { recursive: true });
    const logEndOffset = Math.max(...model.keys()) + 1;
    // Killed just before the first `.cleaned` → `.swap` rename: the compacted-below marker is on
    // disk (rename 1), the cleaner checkpoint is not (it is written after the swaps), nothing is swapped.
    const lines = await runChildUntilKilled(path, 'rename:2:before');
    expect(lines.find((line) => line.startsWith('rename '))).toMatch(/\.cleaned \S+\.swap$/);
    expect(readdirSync(path)).toContain(COMPACTED_BELOW_CHECKPOINT_FILE);
    expect(readdirSync(path)).not.toContain(CLEANER_OFFSET_CHECKPOINT_FILE);
    const log = await openLog(path, { config: COMPACTION_CRASH_CONFIG });
    try {
      const planEnd = log.segmentBaseOffsets().at(-1)!;
      expect(planEnd).toBeLessThan(logEndOffset);
      const result = await log.compact({ force: true, nowMs: LATER });
      const all = expectConsistent(log, model, true);
      // What a finished pass leaves: each key at most once in what it cleaned. (When the cleaner
      // checkpoint was written before the swaps, these segments were taken as clean, the offset
      // map skipped them, and thousands of superseded records stayed, recordsRemoved 0.)
      expect({ duplicates: duplicateKeysBelow(all, planEnd).length, removed: result.recordsRemoved > 0 }).toEqual({
        duplicates: 0,
        removed: true,
      });
    } finally {
      await log.close();
    }
  });

  /** Real clock: three rounds of keys a, b, c per segment, two passes; the second pass's result. */
  async function secondPassAfterAnEmptiedSegment(lagMs: number): Promise<CompactionResult> {
    const path = partitionDir();
    const config = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': lagMs } as const;
    const log = await Log.open(path, { config, scheduleTasks: false, compactionRunner: pool });
    try {
      const old = Date.now() - 3_600_000;
      const round = (value: number): Buffer =>
        encodeRecordBatch(['a', 'b', 'c'].map((key) => ({ key, value: `${key}${value}`, timestamp: old + value })));
      for (const value of [0, 1, 2]) await log.append(round(value));
      log.roll();
      for (const value of [3, 4, 5]) await log.append(round(value));
      log.roll();
      const first = await log.compact({ force: true });
      expect(first.segmentsRewritten).toBe(2);
      expect(log.segmentSummaries()[0]).toMatchObject({ sizeBytes: 0, largestTimestampSource: 'file-mtime' });
      for (const value of [6, 7, 8]) await log.append(round(value));
      log.roll();
      // Every record is an hour old, past the lag; segment 1 holds a5, b5, c5, superseded by round 8.
      return await log.compact({ force: true });
    } finally {
      await log.close();
    }
  }

  test('(control) without min.compaction.lag.ms, the pass after one that emptied a segment compacts what follows it', async () => {
    expect((await secondPassAfterAnEmptiedSegment(0)).segmentsRewritten).toBeGreaterThan(0);
  });

  test('a segment emptied by a pass does not hold back the next pass for min.compaction.lag.ms', async () => {
    // An emptied segment has no record timestamp, so its largest timestamp is its file's mtime;
    // the pass sets that to the old segment's largest timestamp (as Kafka's cleaner keeps
    // lastModified), not the time of the swap, which would hold it and all after it for the lag.
    expect((await secondPassAfterAnEmptiedSegment(60_000)).segmentsRewritten).toBeGreaterThan(0);
  });
});

/**
 * A compacted-topic log of `bytes` of keyed records (400 keys, 1 in 40 a tombstone, a third of
 * the batches LZ4) in COMPACTION_CRASH_CONFIG's segments, closed cleanly. Returns what it holds.
 */
async function prepareCrashTemplate(path: string, bytes: number): Promise<Model> {
  const model: Model = new Map();
  const log = await openLog(path, { config: COMPACTION_CRASH_CONFIG, clock: () => COMPACTION_CRASH_T0_MS });
  const prng = new Prng(0xc4a5);
  for (let index = 0; log.sizeBytes < bytes; index++) {
    const records = Array.from({ length: 40 }, (_, record) => ({
      key: `key-${prng.nextInt(400)}`,
      value: prng.nextInt(40) === 0 ? null : `i=${index} r=${record} ${prng.compressibleBytes(100 + prng.nextInt(300)).toString('latin1')}`,
      timestamp: COMPACTION_CRASH_T0_MS + index,
    }));
    await appendTracked(log, model, records, index % 3 === 1 ? 'lz4' : 'none');
  }
  expect(log.segmentCount).toBeGreaterThanOrEqual(Math.floor(bytes / COMPACTION_CRASH_CONFIG['segment.bytes']));
  await log.close();
  return model;
}

/** Run the crash child on `path` until it SIGKILLs itself; its stdout lines. */
function runChildUntilKilled(path: string, when: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CRASH_CHILD, path, when], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((line) => line !== '');
      if (signal === 'SIGKILL' && stderr === '') resolve(lines);
      else reject(new Error(`crash child (${when}) ended with ${signal ?? `exit code ${code}`}: ${stderr}${stdout}`));
    });
  });
}
