import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WorkPool } from '../src/pool/pool.js';
import { OFFLOAD_ALWAYS } from '../src/pool/thresholds.js';
import type { RecordInput } from '../src/records/record.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import { Log } from '../src/storage/log.js';
import { fold, median, percentile, report, size, type BenchOptions } from './report.js';
import { crossover, round3, timed } from './timing.js';

/**
 * Compaction on the pool (`npm run bench -- compaction`): a pass of cleanup.policy=compact
 * inline against the same pass on a 1- or 2-worker pool.
 *
 * Data: keyed 100-byte values in 25-record batches (3 KB); 512 distinct keys, each rewritten many
 * times, so a pass removes most records (the usual state of a changelog topic). The partition is
 * written once into a template directory; every timed pass runs on a fresh copy of it (the copy
 * is not timed and leaves the files in the page cache), with a fixed nowMs.
 *
 * 1. `compaction/pass/<bytes>/<mode>`: one partition whose cleanable segments hold <bytes>
 *    (4 segments + the active one); `await log.compact({ force: true })`. Wall time and the main
 *    thread's CPU (schedstat), median of alternating rounds; pools made before timing, every pass
 *    offloaded (OFFLOAD_ALWAYS). `compaction/crossover` interpolates where a pool starts to beat
 *    inline. This sets thresholds.compactionBytes.
 * 2. `compaction/stall/<mode>`: 4 partitions of 16 MiB compacting together while a fifth,
 *    uncompacted partition takes a 10-record append every millisecond: append latency p50/p99/max
 *    and the passes' wall time, inline against the broker's default pool thresholds.
 */
const KiB = 1024;
const MiB = 1024 * KiB;
const TIMESTAMP = 1_700_000_000_000;
const NOW_MS = TIMESTAMP + 86_400_000;
const KEYS = 512;
const RECORDS_PER_BATCH = 25;
const MODES = ['inline', '1w', '2w'] as const;
type Mode = (typeof MODES)[number];

let checksum = 0;

function keyedBatches(distinct: number): Buffer[] {
  return Array.from({ length: distinct }, (_, batch) => {
    const inputs: RecordInput[] = Array.from({ length: RECORDS_PER_BATCH }, (_, index) => {
      const key = (batch * 7919 + index * 31) % KEYS;
      return {
        key: `user-${key}`,
        value: Buffer.from(`{"user":${key},"batch":${batch},"index":${index},"state":"active"}`.padEnd(100, ' ')),
        timestamp: TIMESTAMP + index,
      };
    });
    return encodeRecordBatch(inputs, { timestamp: TIMESTAMP });
  });
}

const CONFIG = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': 0 } as const;

/** A partition of `cleanableBytes` in 4 segments plus a small active one. */
async function writeTemplate(directory: string, cleanableBytes: number, batches: ReadonlyArray<Buffer>): Promise<void> {
  const segmentBytes = Math.max(4 * KiB, Math.floor(cleanableBytes / 4));
  const log = await Log.open(directory, { scheduleTasks: false, config: { ...CONFIG, 'segment.bytes': segmentBytes } });
  try {
    let index = 0;
    while (log.segmentBaseOffsets().length < 5) await log.append(batches[index++ % batches.length]!);
  } finally {
    await log.close();
  }
}

async function pass(template: string, workdir: string, pool: WorkPool | null): Promise<{ wallMs: number; mainCpuMs: number }> {
  rmSync(workdir, { recursive: true, force: true });
  cpSync(template, workdir, { recursive: true });
  const log = await Log.open(workdir, {
    scheduleTasks: false,
    config: CONFIG,
    ...(pool === null ? {} : { compactionRunner: pool }),
  });
  try {
    const result = await timed(async () => {
      const compacted = await log.compact({ force: true, nowMs: NOW_MS });
      checksum = fold(checksum, compacted.recordsRemoved);
    });
    return result;
  } finally {
    await log.close();
  }
}

interface PassRow {
  readonly bytes: number;
  readonly wallMs: Map<Mode, number>;
  readonly mainCpuMs: Map<Mode, number>;
}

async function passes(options: BenchOptions, pools: Map<Mode, WorkPool | null>, batches: ReadonlyArray<Buffer>): Promise<PassRow[]> {
  const sizes = size(options, [64 * KiB], [16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB]);
  const rounds = size(options, 1, 5);
  const rows: PassRow[] = [];
  const base = mkdtempSync(join(tmpdir(), 'brook-compaction-'));
  try {
    for (const bytes of sizes) {
      const template = join(base, `template-${bytes}`, 'topic-0');
      await writeTemplate(template, bytes, batches);
      const samples = new Map<Mode, Array<{ wallMs: number; mainCpuMs: number }>>(MODES.map((mode) => [mode, []]));
      await pass(template, join(base, 'warm'), null);
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? MODES : [...MODES].reverse();
        for (const mode of order) samples.get(mode)!.push(await pass(template, join(base, `work-${mode}`, 'topic-0'), pools.get(mode)!));
      }
      const row: PassRow = { bytes, wallMs: new Map(), mainCpuMs: new Map() };
      for (const mode of MODES) {
        const list = samples.get(mode)!;
        row.wallMs.set(mode, median(list.map((sample) => sample.wallMs)));
        row.mainCpuMs.set(mode, median(list.map((sample) => sample.mainCpuMs)));
        report({
          name: `compaction/pass/${bytes}/${mode}`,
          cleanableBytes: bytes,
          wallMs: round3(row.wallMs.get(mode)!),
          mainThreadCpuMs: round3(row.mainCpuMs.get(mode)!),
          rounds,
          ...(mode === 'inline' ? {} : { baseline: 'inline, same run', ratio: round3(row.wallMs.get('inline')! / row.wallMs.get(mode)!) }),
        });
      }
      rows.push(row);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return rows;
}

function reportCrossover(rows: ReadonlyArray<PassRow>): void {
  const summary: { [field: string]: unknown } = {};
  for (const mode of ['1w', '2w'] as const) {
    summary[`wallCrossoverBytes${mode}`] = crossover(rows.map((row) => ({ size: row.bytes, ratio: row.wallMs.get('inline')! / row.wallMs.get(mode)! })));
    summary[`mainThreadCrossoverBytes${mode}`] = crossover(
      rows.map((row) => ({ size: row.bytes, ratio: row.mainCpuMs.get('inline')! / row.mainCpuMs.get(mode)! })),
    );
  }
  report({ name: 'compaction/crossover', ...summary, checksum });
}

/** Part 2: appends to another partition while 4 partitions compact. */
async function stall(options: BenchOptions, batches: ReadonlyArray<Buffer>): Promise<void> {
  const partitions = 4;
  const partitionBytes = size(options, 256 * KiB, 16 * MiB);
  const rounds = size(options, 1, 3);
  const base = mkdtempSync(join(tmpdir(), 'brook-compaction-stall-'));
  const appendBatch = encodeRecordBatch(
    Array.from({ length: 10 }, (_, index) => ({ key: null, value: Buffer.alloc(100, index), timestamp: TIMESTAMP })),
  );
  try {
    const template = join(base, 'template', 'topic-0');
    await writeTemplate(template, partitionBytes, batches);
    const results = new Map<string, { latencies: number[]; passMs: number[] }>();
    const modes = [
      { name: 'inline', workers: 0 },
      { name: '2w', workers: 2 },
    ];
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        const pool = mode.workers === 0 ? null : WorkPool.create({ workers: mode.workers });
        if (pool !== null) await pool.echo(Buffer.alloc(1));
        const logs: Log[] = [];
        for (let partition = 0; partition < partitions; partition++) {
          const directory = join(base, `round-${round}-${mode.name}`, `topic-${partition}`);
          cpSync(template, directory, { recursive: true });
          logs.push(await Log.open(directory, { scheduleTasks: false, config: CONFIG, ...(pool === null ? {} : { compactionRunner: pool }) }));
        }
        const other = await Log.open(join(base, `round-${round}-${mode.name}`, 'other-0'), { scheduleTasks: false });
        const entry = results.get(mode.name) ?? { latencies: [], passMs: [] };
        results.set(mode.name, entry);
        let compacting = true;
        const appending = (async () => {
          while (compacting) {
            const due = performance.now();
            await other.append(appendBatch);
            entry.latencies.push(performance.now() - due);
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        })();
        const started = performance.now();
        await Promise.all(logs.map((log) => log.compact({ force: true, nowMs: NOW_MS }).then((result) => (checksum = fold(checksum, result.recordsRemoved)))));
        entry.passMs.push(performance.now() - started);
        compacting = false;
        await appending;
        for (const log of logs) await log.close();
        await other.close();
        await pool?.close();
      }
    }
    for (const [name, entry] of results) {
      const sorted = [...entry.latencies].sort((a, b) => a - b);
      report({
        name: `compaction/stall/${name}`,
        partitions,
        partitionBytes,
        passesWallMs: round3(median(entry.passMs)),
        appends: sorted.length,
        appendP50Ms: round3(percentile(sorted, 0.5)),
        appendP99Ms: round3(percentile(sorted, 0.99)),
        appendMaxMs: round3(sorted.at(-1) ?? 0),
        rounds,
        checksum,
      });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export async function run(options: BenchOptions): Promise<void> {
  const batches = keyedBatches(64);
  const pools = new Map<Mode, WorkPool | null>([
    ['inline', null],
    ['1w', WorkPool.create({ workers: 1, thresholds: OFFLOAD_ALWAYS })],
    ['2w', WorkPool.create({ workers: 2, thresholds: OFFLOAD_ALWAYS })],
  ]);
  try {
    for (const pool of pools.values()) if (pool !== null) await pool.echo(Buffer.alloc(1));
    reportCrossover(await passes(options, pools, batches));
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool?.close()));
  }
  await stall(options, batches);
}
