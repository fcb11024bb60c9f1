import { Bench, type Task } from 'tinybench';
import type { FileIO } from '../src/storage/file-io.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from '../src/storage/offset-index.js';
import { fold, report, size, type BenchOptions } from './report.js';

/**
 * Offset index lookups (`npm run bench -- index`): `OffsetIndex.lookup` on an index holding
 * 1,310,720 entries (a full 10 MiB `.index`, Kafka's segment.index.bytes default; 10,000 in smoke
 * runs). Entries map every 8th offset to a position 1 KiB further on. Target patterns:
 *
 * - random: uniformly random offsets over the whole segment (a consumer seeking anywhere);
 * - sequential: ascending offsets that walk the whole segment one batch at a time (a consumer
 *   catching up from the start);
 * - recent: offsets at or past the last entry (consumers at the head of the log, the common
 *   case, which `floorIndex` answers without a binary search).
 *
 * Lookups never touch the file, so the index gets a FileIO whose every method throws. Each
 * iteration performs LOOKUPS_PER_ITERATION lookups, keeping one sample far above the timer's
 * resolution.
 */
const OFFSETS_PER_ENTRY = 8;
const POSITION_BYTES_PER_ENTRY = 1024;
const LOOKUPS_PER_ITERATION = 4096;
const RANDOM_TARGET_COUNT = 1 << 16;

function unusedFile(): never {
  throw new Error('the offset index benchmark must not touch the file system');
}

const NO_FILE_IO: FileIO = {
  open: unusedFile,
  close: unusedFile,
  write: unusedFile,
  read: unusedFile,
  size: unusedFile,
  truncate: unusedFile,
  datasync: unusedFile,
  datasyncSync: unusedFile,
  syncDirectory: unusedFile,
  rename: unusedFile,
  unlink: unusedFile,
  exists: unusedFile,
  list: unusedFile,
  makeDirectory: unusedFile,
  readFile: unusedFile,
  mtimeMs: unusedFile,
  setMtimeMs: unusedFile,
};

let checksum = 0;

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

function buildIndex(entryCount: number, baseOffset: number): OffsetIndex {
  const indexBytes = entryCount * OFFSET_INDEX_ENTRY_BYTES;
  const index = new OffsetIndex('/nonexistent/bench.index', baseOffset, indexBytes, NO_FILE_IO);
  // The first batch of a segment is never indexed, so entry i covers batch i + 1.
  for (let entry = 0; entry < entryCount; entry++) {
    index.append(baseOffset + (entry + 1) * OFFSETS_PER_ENTRY - 1, (entry + 1) * POSITION_BYTES_PER_ENTRY);
  }
  if (!index.isFull()) throw new Error('offset index benchmark expects a full index');
  return index;
}

function targets(pattern: 'random' | 'sequential' | 'recent', entryCount: number, baseOffset: number): Float64Array {
  const offsetEnd = (entryCount + 1) * OFFSETS_PER_ENTRY;
  const list = new Float64Array(pattern === 'sequential' ? entryCount + 1 : RANDOM_TARGET_COUNT);
  const next = xorshift(0xc0ffee);
  for (let index = 0; index < list.length; index++) {
    let relative: number;
    if (pattern === 'random') relative = next() % offsetEnd;
    else if (pattern === 'sequential') relative = index * OFFSETS_PER_ENTRY + (next() % OFFSETS_PER_ENTRY);
    else relative = offsetEnd - OFFSETS_PER_ENTRY + (index % OFFSETS_PER_ENTRY);
    list[index] = baseOffset + relative;
  }
  return list;
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

export async function run(options: BenchOptions): Promise<void> {
  const entryCount = size(options, 10_000, 1_310_720);
  const baseOffset = 1_000_000;
  const index = buildIndex(entryCount, baseOffset);
  const bench = new Bench({
    time: size(options, 30, 1000),
    iterations: size(options, 5, 64),
    warmupTime: size(options, 10, 250),
    warmupIterations: size(options, 2, 16),
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  const patterns = ['random', 'sequential', 'recent'] as const;
  for (const pattern of patterns) {
    const list = targets(pattern, entryCount, baseOffset);
    let cursor = 0;
    bench.add(
      pattern,
      () => {
        for (let count = 0; count < LOOKUPS_PER_ITERATION; count++) {
          checksum = fold(checksum, index.lookup(list[cursor]!));
          if (++cursor === list.length) cursor = 0;
        }
      },
      { async: false },
    );
  }
  bench.runSync();
  for (const pattern of patterns) {
    const { p50Ms, p99Ms, samples } = latency(bench.getTask(pattern));
    report({
      name: `index/lookup/${pattern}`,
      entries: entryCount,
      lookupsPerSec: Math.round(LOOKUPS_PER_ITERATION / (p50Ms / 1000)),
      nsPerLookup: Number(((p50Ms * 1e6) / LOOKUPS_PER_ITERATION).toPrecision(3)),
      p50Ms,
      p99Ms,
      samples,
      checksum,
    });
  }
}
