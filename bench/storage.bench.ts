import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecordBatch } from '../src/records/record-batch.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import type { RecordInput } from '../src/records/record.js';
import { Log, type Durability } from '../src/storage/log.js';
import { fold, median, percentile, report, size, type BenchOptions } from './report.js';

/**
 * The whole-run storage benchmark (`npm run bench -- storage`):
 *
 * 1. append N 100-byte records in 1,000-record batches to one partition (page-cache mode),
 *    against a raw-file baseline that writes the same bytes with plain 1 MiB fs writes;
 * 2. read them all back, as raw stored batches (CRC-checked) and decoded into records;
 * 3. fsync mode: 16 concurrent appenders of 64 KiB batches (group commit) against one writer
 *    doing fdatasync per 1 MiB.
 *
 * Each comparison alternates the two sides over several rounds in one run and reports medians.
 */
const MiB = 1024 * 1024;

function makeBatches(distinct: number, recordsPerBatch: number, valueBytes: number): Buffer[] {
  const batches: Buffer[] = [];
  for (let batchIndex = 0; batchIndex < distinct; batchIndex++) {
    const records: RecordInput[] = [];
    for (let index = 0; index < recordsPerBatch; index++) {
      const value = Buffer.alloc(valueBytes, (batchIndex * 31 + index) & 0xff);
      records.push({ key: null, value, timestamp: 1_700_000_000_000 + index });
    }
    batches.push(encodeRecordBatch(records));
  }
  return batches;
}

/**
 * Each side of a comparison starts from the same page-cache state: an untimed write of the same
 * number of bytes just before it, then deleted, so that both sides write into page-cache memory the
 * VM has just handed out. Without it, whichever side runs second (or after the host reclaimed the
 * guest's free pages) pays to fault fresh memory in from the host, which on this VM swings a side's
 * figure 2-10x (see native-notes.md).
 */
function warmPageCache(bytes: number): void {
  rawFileRun(bytes, MiB, false);
}

function tempDirectory(label: string): string {
  return mkdtempSync(join(tmpdir(), `brook-bench-${label}-`));
}

interface AppendRun {
  seconds: number;
  bytes: number;
  latenciesMs: Float64Array;
}

async function appendRun(
  batches: Buffer[],
  batchCount: number,
  durability: Durability,
  inFlight: number,
  config: Record<string, number>,
): Promise<AppendRun> {
  const directory = tempDirectory('log');
  const log = await Log.open(join(directory, 'bench-0'), { durability, scheduleTasks: false, config });
  const latenciesMs = new Float64Array(batchCount);
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < batchCount) {
      const index = next++;
      const batch = batches[index % batches.length]!;
      const sent = performance.now();
      await log.append(batch);
      latenciesMs[index] = performance.now() - sent;
      bytes += batch.length;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  rmSync(directory, { recursive: true, force: true });
  return { seconds, bytes, latenciesMs: latenciesMs.sort() };
}

/** The same bytes written with plain positional 1 MiB writes (and fdatasync per chunk if asked). */
function rawFileRun(totalBytes: number, chunkBytes: number, sync: boolean): { seconds: number; bytes: number } {
  const directory = tempDirectory('raw');
  const fd = openSync(join(directory, 'raw.bin'), 'w');
  const chunk = Buffer.alloc(chunkBytes, 7);
  const started = performance.now();
  let written = 0;
  while (written < totalBytes) {
    const length = Math.min(chunkBytes, totalBytes - written);
    writeSync(fd, chunk, 0, length, written);
    if (sync) fdatasyncSync(fd);
    written += length;
  }
  const seconds = (performance.now() - started) / 1000;
  closeSync(fd);
  rmSync(directory, { recursive: true, force: true });
  return { seconds, bytes: written };
}

async function pageCacheAppendAndRead(options: BenchOptions): Promise<void> {
  const recordsTotal = size(options, 50_000, 10_000_000);
  const recordsPerBatch = 1000;
  const batchCount = recordsTotal / recordsPerBatch;
  const rounds = size(options, 1, 5);
  const batches = makeBatches(50, recordsPerBatch, 100);
  const appendRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  let lastAppend: AppendRun | null = null;
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first: this VM's page cache is faster for whichever write finds
    // warm pages, so each round's pair is compared and the ratio is the median of the pairs.
    const bytes = batchCount * batches[0]!.length;
    let raw: { seconds: number; bytes: number } | null = null;
    if (round % 2 === 1) {
      warmPageCache(bytes);
      raw = rawFileRun(bytes, MiB, false);
    }
    warmPageCache(bytes);
    const run = await appendRun(batches, batchCount, 'pagecache', 1, {});
    if (raw === null) {
      warmPageCache(bytes);
      raw = rawFileRun(run.bytes, MiB, false);
    }
    appendRates.push(run.bytes / run.seconds);
    rawRates.push(raw.bytes / raw.seconds);
    ratios.push(run.bytes / run.seconds / (raw.bytes / raw.seconds));
    lastAppend = run;
  }
  const appendBytesPerSec = median(appendRates);
  const rawBytesPerSec = median(rawRates);
  const totalBytes = lastAppend!.bytes;
  report({
    name: 'storage.append.pagecache',
    records: recordsTotal,
    recordsPerSec: Math.round((recordsTotal * appendBytesPerSec) / totalBytes),
    mbPerSec: round(appendBytesPerSec / 1e6),
    p50Ms: round(percentile(lastAppend!.latenciesMs, 0.5)),
    p99Ms: round(percentile(lastAppend!.latenciesMs, 0.99)),
    p999Ms: round(percentile(lastAppend!.latenciesMs, 0.999)),
    baseline: 'raw fs.writeSync of 1 MiB chunks, same bytes',
    baselineMbPerSec: round(rawBytesPerSec / 1e6),
    ratio: round(median(ratios)),
    roundRatios: ratios.map(round),
    rounds,
    warmedPageCache: true,
  });
  await readBack(batches, batchCount, recordsTotal, rounds);
}

async function readBack(batches: Buffer[], batchCount: number, recordsTotal: number, rounds: number): Promise<void> {
  const directory = tempDirectory('read');
  const path = join(directory, 'bench-0');
  const writer = await Log.open(path, { scheduleTasks: false });
  for (let index = 0; index < batchCount; index++) void writer.append(batches[index % batches.length]!);
  await writer.close();
  const log = await Log.open(path, { scheduleTasks: false });
  const rawRates: number[] = [];
  const decodedRates: number[] = [];
  const rawLatencies: number[] = [];
  let checksum = 0;
  let totalBytes = 0;
  for (let round = 0; round < rounds; round++) {
    let offset = 0;
    let bytes = 0;
    let started = performance.now();
    while (offset < log.logEndOffset) {
      const sent = performance.now();
      const result = log.read(offset, MiB);
      rawLatencies.push(performance.now() - sent);
      bytes += result.records.length;
      checksum = fold(checksum, result.records[result.records.length - 1]!);
      offset = result.nextOffset;
    }
    rawRates.push(bytes / ((performance.now() - started) / 1000));
    totalBytes = bytes;
    offset = 0;
    let records = 0;
    started = performance.now();
    while (offset < log.logEndOffset) {
      const result = log.read(offset, MiB);
      let position = 0;
      while (position < result.records.length) {
        const decoded = decodeRecordBatch(result.records, position, { crcChecked: true });
        records += decoded.records.length;
        checksum = fold(checksum, decoded.records[decoded.records.length - 1]!.value!.length);
        position += decoded.header.batchLength + 12;
      }
      offset = result.nextOffset;
    }
    decodedRates.push(records / ((performance.now() - started) / 1000));
  }
  await log.close();
  rmSync(directory, { recursive: true, force: true });
  const sortedLatencies = Float64Array.from(rawLatencies).sort();
  const rawBytesPerSec = median(rawRates);
  report({
    name: 'storage.read.raw-batches',
    records: recordsTotal,
    recordsPerSec: Math.round((recordsTotal * rawBytesPerSec) / totalBytes),
    mbPerSec: round(rawBytesPerSec / 1e6),
    p50Ms: round(percentile(sortedLatencies, 0.5)),
    p99Ms: round(percentile(sortedLatencies, 0.99)),
    p999Ms: round(percentile(sortedLatencies, 0.999)),
    readBytes: MiB,
    checksum,
  });
  const decodedPerSec = median(decodedRates);
  report({
    name: 'storage.read.decoded',
    records: recordsTotal,
    recordsPerSec: Math.round(decodedPerSec),
    mbPerSec: round((decodedPerSec * totalBytes) / recordsTotal / 1e6),
    checksum,
  });
}

async function fsyncGroupCommit(options: BenchOptions): Promise<void> {
  const batchBytes = 64 * 1024;
  const totalBytes = size(options, 8 * MiB, 256 * MiB);
  const rounds = size(options, 1, 5);
  // 64 KiB batches: 640 records of 100 bytes ≈ 64 KiB with record overhead.
  const batches = makeBatches(16, 560, 100);
  const batchCount = Math.ceil(totalBytes / batches[0]!.length);
  const groupRates: number[] = [];
  const baselineRates: number[] = [];
  const ratios: number[] = [];
  let last: AppendRun | null = null;
  for (let round = 0; round < rounds; round++) {
    const bytes = batchCount * batches[0]!.length;
    let raw: { seconds: number; bytes: number } | null = null;
    if (round % 2 === 1) {
      warmPageCache(bytes);
      raw = rawFileRun(bytes, MiB, true);
    }
    warmPageCache(bytes);
    const run = await appendRun(batches, batchCount, 'fsync', 16, {});
    if (raw === null) {
      warmPageCache(bytes);
      raw = rawFileRun(run.bytes, MiB, true);
    }
    groupRates.push(run.bytes / run.seconds);
    baselineRates.push(raw.bytes / raw.seconds);
    ratios.push(run.bytes / run.seconds / (raw.bytes / raw.seconds));
    last = run;
  }
  const groupBytesPerSec = median(groupRates);
  const baselineBytesPerSec = median(baselineRates);
  const recordsTotal = batchCount * 560;
  report({
    name: 'storage.append.fsync.group-commit-16x64KiB',
    records: recordsTotal,
    recordsPerSec: Math.round((recordsTotal * groupBytesPerSec) / last!.bytes),
    mbPerSec: round(groupBytesPerSec / 1e6),
    p50Ms: round(percentile(last!.latenciesMs, 0.5)),
    p99Ms: round(percentile(last!.latenciesMs, 0.99)),
    p999Ms: round(percentile(last!.latenciesMs, 0.999)),
    batchBytes: batches[0]!.length,
    targetBatchBytes: batchBytes,
    baseline: 'one writer, fs.writeSync 1 MiB + fdatasync each',
    baselineMbPerSec: round(baselineBytesPerSec / 1e6),
    ratio: round(median(ratios)),
    roundRatios: ratios.map(round),
    rounds,
  });
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** BROOK_STORAGE_PARTS=pagecache,fsync selects parts (default both). */
export async function run(options: BenchOptions): Promise<void> {
  const parts = (process.env['BROOK_STORAGE_PARTS'] ?? 'pagecache,fsync').split(',');
  if (parts.includes('pagecache')) await pageCacheAppendAndRead(options);
  if (parts.includes('fsync')) await fsyncGroupCommit(options);
}
