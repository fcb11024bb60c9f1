import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/broker/broker.js';
import { WorkPool } from '../src/pool/pool.js';
import { OFFLOAD_ALWAYS } from '../src/pool/thresholds.js';
import type { RecordInput } from '../src/records/record.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT_FILE } from '../src/storage/file-names.js';
import { Log } from '../src/storage/log.js';
import { fold, median, report, size, type BenchOptions } from './report.js';
import { crossover, round3 as round, timed, type Timed } from './timing.js';

/**
 * Recovery on the pool (`npm run bench -- recovery`): how long Broker.open takes to recover
 * partitions after an unclean stop, inline and with the recovery scans on 1 or 2 worker threads,
 * and from what segment size a scan is worth handing to a worker.
 *
 * The unclean stop is simulated: the data is written by a broker that is closed cleanly, then
 * every partition's clean-shutdown marker and recovery-point checkpoint are deleted before each
 * timed open, so every segment is rescanned from byte 0, exactly the work of a crash before the
 * first checkpoint (a SIGKILLed writer would leave the same files, minus at most a torn tail,
 * which costs nothing to cut). The files stay in the page cache: this measures CPU (CRC-32C,
 * header checks, index rebuilds), not the disk.
 *
 * 1. `recovery/open/<workers>`: N partitions × S MiB of 1,000-record batches (100-byte values,
 *    uncompressed), one segment each; Broker.open with workers 0 / 1 / 2 (the pool's default
 *    thresholds), in alternating rounds after one warm-up round, median of 3. Pool start-up is included: it is part of
 *    opening a broker with workers.
 *    `recovery/logs/<workers>`: the same partitions opened as Logs (as many at once as
 *    Broker.open would) with pools started before timing: the scan phase without pool start-up.
 * 2. `recovery/segment/<bytes>/<mode>`: one partition of K segments of a given size, made of
 *    100-record batches; Log.open inline against Log.open with a 1- or 2-worker pool that
 *    offloads every scan (OFFLOAD_ALWAYS; pools made before timing). Per segment: wall time and
 *    the main thread's CPU time (Linux schedstat); median of 5 alternating rounds. `recovery/crossover` interpolates where each
 *    pool starts to beat inline, on wall time and on main-thread CPU.
 */

const MiB = 1024 * 1024;
const KiB = 1024;
const VALUE_BYTES = 100;
const TIMESTAMP = 1_700_000_000_000;

let checksum = 0;


/** `distinct` batches of `records` records with compressible 100-byte values, reused in turn. */
function makeBatches(distinct: number, records: number): Buffer[] {
  return Array.from({ length: distinct }, (_, batch) => {
    const inputs: RecordInput[] = Array.from({ length: records }, (_, index) => ({
      key: null,
      value: Buffer.from(`{"batch":${batch},"index":${index},"event":"page_view"}`.padEnd(VALUE_BYTES, ' ')),
      timestamp: TIMESTAMP + index,
    }));
    return encodeRecordBatch(inputs, { compression: 'none', timestamp: TIMESTAMP });
  });
}

/** Make every segment of every partition directory look unrecovered (see the module comment). */
function forgetCleanShutdown(partitionDirectories: ReadonlyArray<string>): void {
  for (const directory of partitionDirectories) {
    for (const name of [CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT_FILE]) rmSync(join(directory, name), { force: true });
  }
}

async function writePartitions(dataDir: string, partitions: number, partitionBytes: number): Promise<number> {
  const batches = makeBatches(16, 1000);
  const broker = await Broker.open({ dataDir, scheduleTasks: false, config: { 'max.message.bytes': 4 * MiB } });
  let bytes = 0;
  try {
    await broker.createTopic('recovery', { partitions });
    for (let partition = 0; partition < partitions; partition++) {
      for (let written = 0, index = 0; written < partitionBytes; index++) {
        const batch = batches[index % batches.length]!;
        await broker.append('recovery', partition, batch);
        written += batch.length;
        bytes += batch.length;
      }
    }
  } finally {
    await broker.close();
  }
  return bytes;
}

/** Part 1: Broker.open after an unclean stop, workers 0 / 1 / 2 in alternating rounds. */
async function brokerOpen(options: BenchOptions): Promise<void> {
  const partitions = size(options, 2, 12);
  const partitionBytes = size(options, MiB, 64 * MiB);
  const rounds = size(options, 1, 3);
  const dataDir = mkdtempSync(join(tmpdir(), 'brook-bench-recovery-'));
  try {
    const bytes = await writePartitions(dataDir, partitions, partitionBytes);
    const directories = Array.from({ length: partitions }, (_, partition) => join(dataDir, `recovery-${partition}`));
    const samples = new Map<number, Timed[]>([[0, []], [1, []], [2, []]]);
    // Round -1 is a warm-up, not counted: the first reads of freshly written files are slow.
    for (let roundIndex = -1; roundIndex < rounds; roundIndex++) {
      // Alternate which side goes first, so no side always runs on a warmer machine.
      const order = roundIndex % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const workers of order) {
        forgetCleanShutdown(directories);
        let broker: Broker | null = null;
        const sample = await timed(async () => {
          broker = await Broker.open({ dataDir, scheduleTasks: false, workers });
        });
        const opened = broker as Broker | null;
        if (opened === null) throw new Error('Broker.open did not return');
        for (let partition = 0; partition < partitions; partition++) {
          const recoveryReport = opened.log('recovery', partition).recoveryReport;
          if (recoveryReport.cleanShutdown || recoveryReport.segmentsRecovered === 0) throw new Error('nothing was recovered');
          checksum = fold(checksum, recoveryReport.logEndOffset);
        }
        await opened.close();
        if (roundIndex >= 0) samples.get(workers)!.push(sample);
      }
    }
    reportOpenRows('open', samples, partitions, partitionBytes, bytes);
    await logsOpen(directories, rounds, bytes, partitionBytes);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function reportOpenRows(
  kind: 'open' | 'logs',
  samples: ReadonlyMap<number, ReadonlyArray<Timed>>,
  partitions: number,
  partitionBytes: number,
  bytes: number,
): void {
  const inlineWallMs = median(samples.get(0)!.map((sample) => sample.wallMs));
  for (const [workers, list] of samples) {
    const wallMs = median(list.map((sample) => sample.wallMs));
    report({
      name: `recovery/${kind}/${workers}w`,
      workers,
      partitions,
      partitionBytes,
      bytes,
      wallMs: round(wallMs),
      wallMsRounds: list.map((sample) => round(sample.wallMs)),
      mbPerSec: round(bytes / 1e6 / (wallMs / 1000)),
      mainCpuMs: round(median(list.map((sample) => sample.mainCpuMs))),
      cpuMs: round(median(list.map((sample) => sample.cpuMs))),
      ratio: round(inlineWallMs / wallMs),
      baseline: 'workers 0 (inline)',
      checksum,
    });
  }
}

/**
 * Part 1b: the same partitions opened as Logs, with pools started before the clock starts (the
 * scan phase alone, without the ~45-75 ms a pool takes to start), as many at once as
 * Broker.open would (4 per worker; inline one by one).
 */
async function logsOpen(directories: ReadonlyArray<string>, rounds: number, bytes: number, partitionBytes: number): Promise<void> {
  const pools = new Map<number, WorkPool | null>([
    [0, null],
    [1, WorkPool.create({ workers: 1 })],
    [2, WorkPool.create({ workers: 2 })],
  ]);
  const samples = new Map<number, Timed[]>([[0, []], [1, []], [2, []]]);
  try {
    for (const pool of pools.values()) if (pool !== null) await pool.echo(Buffer.allocUnsafeSlow(64));
    for (let roundIndex = -1; roundIndex < rounds; roundIndex++) {
      for (const workers of roundIndex % 2 === 0 ? [0, 1, 2] : [2, 1, 0]) {
        forgetCleanShutdown(directories);
        const pool = pools.get(workers)!;
        const logs: Log[] = [];
        const sample = await timed(async () => {
          let next = 0;
          const opener = async (): Promise<void> => {
            while (next < directories.length) {
              const directory = directories[next++]!;
              logs.push(await Log.open(directory, { scheduleTasks: false, ...(pool === null ? {} : { recoveryScanner: pool }) }));
            }
          };
          await Promise.all(Array.from({ length: pool === null ? 1 : workers * 4 }, opener));
        });
        for (const log of logs) {
          checksum = fold(checksum, log.recoveryReport.logEndOffset);
          await log.close();
        }
        if (roundIndex >= 0) samples.get(workers)!.push(sample);
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool?.close()));
  }
  reportOpenRows('logs', samples, directories.length, partitionBytes, bytes);
}

type Mode = 'inline' | '1w' | '2w';

interface SegmentRow {
  readonly segmentBytes: number;
  readonly results: ReadonlyMap<Mode, { readonly wallUs: number; readonly mainCpuUs: number }>;
}

/** One partition of `count` segments of about `segmentBytes` each, closed cleanly. */
async function writeSegments(directory: string, segmentBytes: number, count: number): Promise<void> {
  const batches = makeBatches(8, 100);
  const batchBytes = batches[0]!.length;
  const log = await Log.open(directory, { scheduleTasks: false, config: { 'segment.bytes': segmentBytes } });
  const perSegment = Math.max(1, Math.floor(segmentBytes / batchBytes));
  for (let index = 0; index < perSegment * count; index++) await log.append(batches[index % batches.length]!);
  await log.close();
  if (log.segmentCount < count) throw new Error(`expected ${count} segments of ${segmentBytes} B, got ${log.segmentCount}`);
}

/** Part 2: per-segment cost of recovery inline and with every scan on a worker. */
async function segmentThreshold(options: BenchOptions): Promise<SegmentRow[]> {
  const sizes = size(options, [16 * KiB, 256 * KiB], [16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB]);
  const rounds = size(options, 1, 5);
  const pools = new Map<Mode, WorkPool | null>([
    ['inline', null],
    ['1w', WorkPool.create({ workers: 1, thresholds: OFFLOAD_ALWAYS })],
    ['2w', WorkPool.create({ workers: 2, thresholds: OFFLOAD_ALWAYS })],
  ]);
  const rows: SegmentRow[] = [];
  try {
    for (const segmentBytes of sizes) {
      const count = Math.max(16, Math.round(size(options, 2 * MiB, 32 * MiB) / segmentBytes));
      const base = mkdtempSync(join(tmpdir(), 'brook-bench-recovery-segments-'));
      const directory = join(base, 'recovery-0');
      try {
        await writeSegments(directory, segmentBytes, count);
        const samples = new Map<Mode, Timed[]>([['inline', []], ['1w', []], ['2w', []]]);
        // Round -1 is a warm-up, not counted: the first reads of fresh files and pages are slow.
        for (let roundIndex = -1; roundIndex < rounds; roundIndex++) {
          const order: Mode[] = roundIndex % 2 === 0 ? ['inline', '1w', '2w'] : ['2w', '1w', 'inline'];
          for (const mode of order) {
            forgetCleanShutdown([directory]);
            const pool = pools.get(mode)!;
            let log: Log | null = null;
            const sample = await timed(async () => {
              log = await Log.open(directory, { scheduleTasks: false, ...(pool === null ? {} : { recoveryScanner: pool }) });
            });
            const opened = log as Log | null;
            if (opened === null) throw new Error('Log.open did not return');
            checksum = fold(checksum, opened.recoveryReport.segmentsRecovered);
            await opened.close();
            if (roundIndex >= 0) samples.get(mode)!.push(sample);
          }
        }
        const results = new Map<Mode, { wallUs: number; mainCpuUs: number }>();
        for (const [mode, list] of samples) {
          const wallUs = (median(list.map((sample) => sample.wallMs)) * 1000) / count;
          const mainCpuUs = (median(list.map((sample) => sample.mainCpuMs)) * 1000) / count;
          results.set(mode, { wallUs, mainCpuUs });
        }
        const inline = results.get('inline')!;
        for (const [mode, result] of results) {
          report({
            name: `recovery/segment/${segmentBytes}/${mode}`,
            mode,
            segmentBytes,
            segments: count,
            wallUsPerSegment: round(result.wallUs),
            mainCpuUsPerSegment: round(result.mainCpuUs),
            ratio: round(inline.wallUs / result.wallUs),
            mainCpuRatio: round(inline.mainCpuUs / result.mainCpuUs),
            baseline: 'inline',
            checksum,
          });
        }
        rows.push({ segmentBytes, results });
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool?.close()));
  }
  return rows;
}

function reportCrossover(rows: ReadonlyArray<SegmentRow>): void {
  const summary: { [field: string]: unknown } = {};
  for (const mode of ['1w', '2w'] as const) {
    const wall = rows.map((row) => ({ size: row.segmentBytes, ratio: row.results.get('inline')!.wallUs / row.results.get(mode)!.wallUs }));
    const main = rows.map((row) => ({
      size: row.segmentBytes,
      ratio: row.results.get('inline')!.mainCpuUs / row.results.get(mode)!.mainCpuUs,
    }));
    summary[`wallCrossoverBytes${mode}`] = crossover(wall);
    summary[`mainThreadCrossoverBytes${mode}`] = crossover(main);
  }
  report({ name: 'recovery/crossover', ...summary, checksum });
}

export async function run(options: BenchOptions): Promise<void> {
  await brokerOpen(options);
  reportCrossover(await segmentThreshold(options));
}
