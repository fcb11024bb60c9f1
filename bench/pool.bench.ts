import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WorkPool } from '../src/pool/pool.js';
import { OFFLOAD_ALWAYS } from '../src/pool/thresholds.js';
import { RECORDS_OFFSET } from '../src/records/batch-layout.js';
import type { CompressionCodec, RecordInput } from '../src/records/record.js';
import { decodeRecordBatch, encodeRecordBatch } from '../src/records/record-batch.js';
import { fold, median, report, size, type BenchOptions } from './report.js';
import { crossover } from './timing.js';

/**
 * Worker pool (`npm run bench -- pool`): is a task cheaper inline or on a worker, and from what
 * batch size? For each task (validate, encode, decode, LZ4 compress and decompress of a records
 * section), batches of 1 to 10,000 records with null keys and 100-byte values, none and lz4,
 * compressible and random payloads, and three pools:
 *
 * - inline: `workers: 0`, the task functions on the main thread (the baseline);
 * - 1w, 2w: piscina with 1 or 2 threads, every task offloaded (OFFLOAD_ALWAYS);
 * - auto: 2 threads with the default thresholds (thresholds.ts): small tasks inline, large ones
 *   offloaded, which should track the better of inline and 2w on main-thread time;
 * - classic (decode only): decodeRecordBatch, one Record object per record, for reference.
 *
 * `inFlight` tasks (16) are kept outstanding: each completion starts the next, as a broker serving
 * many partitions would. Each cell runs for a fixed window, is repeated, and reports medians:
 *
 * - recordsPerSec, mbPerSec: throughput (MB = 1e6 bytes of record payload, keys + values);
 * - mainCpuUsPerBatch: CPU time of the main thread per batch (Linux schedstat), the cost the
 *   broker's own thread pays, which offloading is meant to shrink; mainUsPerBatch is the same
 *   from event-loop utilisation (wall clock, so it also counts time preempted by the workers or
 *   other processes); cpuUsPerBatch is all threads together (what offloading costs in total);
 * - ratio: throughput against inline for the same cell.
 *
 * Decode includes reading every record's value as a subarray (what a consumer does); encode in a
 * worker includes, on the main thread, packing the records into one ArrayBuffer (none) or writing
 * the uncompressed records section (lz4; the worker compresses and seals it). compress and
 * decompress pass a subarray of a batch, which the pool must copy (counted in copiedBytes) before
 * transferring. `pool/roundtrip` rows time an empty task (echo) of 64 B, 64 KiB and 1 MiB with 1
 * and 16 in flight. `pool/crossover` rows give, per task and codec, the smallest batch at which a
 * worker pool beats inline on throughput and on main-thread CPU, and the inline cost per byte.
 * Round trips are also timed with piscina's concurrentTasksPerWorker (tasksPerWorker) 1, 4, 16.
 * BROOK_BENCH_POOL_TASKS=encode (comma-separated) measures only the tasks named.
 */

const VALUE_BYTES = 100;
const TIMESTAMP = 1_700_000_000_000;
const IN_FLIGHT = 16;
const YIELD_EVERY = 16;

type Payload = 'compressible' | 'random';
type TaskName = 'validate' | 'encode' | 'decode' | 'compress' | 'decompress';
type ModeName = 'inline' | '1w' | '2w' | 'auto' | 'classic';

interface Cell {
  readonly task: TaskName;
  readonly codec: CompressionCodec;
  readonly payload: Payload;
  readonly records: number;
}

interface Window {
  readonly tasks: number;
  readonly elapsedMs: number;
  /** Event-loop busy time (wall clock: includes time the main thread was preempted). */
  readonly mainMs: number;
  /** CPU time of the main thread alone (Linux schedstat), or mainMs where unavailable. */
  readonly mainCpuMs: number;
  /** CPU time of the whole process, every thread. */
  readonly cpuMs: number;
}

interface CellResult {
  readonly batchesPerSec: number;
  readonly mainUsPerBatch: number;
  readonly mainCpuUsPerBatch: number;
  readonly cpuUsPerBatch: number;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/**
 * Nanoseconds the main thread has run on a CPU, from Linux's schedstat: unlike event-loop
 * utilisation it does not count time the thread sat preempted, which on 2 shared cores is most
 * of the noise. null where there is no such file.
 */
function mainThreadCpuNs(): number | null {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

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

function makeRecords(payload: Payload, count: number): RecordInput[] {
  const next = xorshift(payload === 'random' ? 0x9e3779b9 : 0x5eed);
  const records: RecordInput[] = [];
  for (let index = 0; index < count; index++) {
    let value: Buffer;
    if (payload === 'random') {
      value = Buffer.allocUnsafe(VALUE_BYTES);
      for (let position = 0; position < VALUE_BYTES; position += 4) value.writeUInt32LE(next(), position);
    } else {
      const text = `{"id":${index},"user":"user-${next() % 10_000}","event":"page_view","amount":${next() % 1000}}`;
      value = Buffer.from(text.padEnd(VALUE_BYTES, ' ').slice(0, VALUE_BYTES));
    }
    records.push({ key: null, value, timestamp: TIMESTAMP + index });
  }
  return records;
}

function standaloneCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Keep `inFlight` tasks outstanding for `windowMs`; the loop turns every few completions. */
async function runWindow(task: (slot: number) => Promise<void>, inFlight: number, windowMs: number): Promise<Window> {
  let tasks = 0;
  const start = performance.now();
  const end = start + windowMs;
  const utilisation = performance.eventLoopUtilization();
  const mainCpuStart = mainThreadCpuNs();
  const cpuStart = process.cpuUsage();
  const slot = async (index: number): Promise<void> => {
    while (performance.now() < end) {
      await task(index);
      tasks++;
      if (tasks % YIELD_EVERY === 0) await yieldToEventLoop();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, index) => slot(index)));
  const elapsedMs = performance.now() - start;
  const mainMs = performance.eventLoopUtilization(utilisation).active;
  const mainCpuEnd = mainThreadCpuNs();
  const cpu = process.cpuUsage(cpuStart);
  const mainCpuMs = mainCpuStart === null || mainCpuEnd === null ? mainMs : (mainCpuEnd - mainCpuStart) / 1e6;
  return { tasks, elapsedMs, mainMs, mainCpuMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** A task function for one cell on one pool; slots own their buffers, which come back per call. */
function makeTask(cell: Cell, mode: ModeName, pool: WorkPool, inFlight: number): (slot: number) => Promise<void> {
  const records = makeRecords(cell.payload, cell.records);
  const batch = encodeRecordBatch(records, { compression: cell.codec, timestamp: TIMESTAMP });
  const slots = Array.from({ length: inFlight }, () => standaloneCopy(batch));
  switch (cell.task) {
    case 'validate':
      return async (slot) => {
        const result = await pool.validate(slots[slot]!);
        slots[slot] = result.batch;
        checksum = fold(checksum, result.batchBytes);
      };
    case 'encode':
      return async () => {
        const encoded = await pool.encode(records, { compression: cell.codec, timestamp: TIMESTAMP });
        checksum = fold(checksum, encoded.readUInt32BE(17));
      };
    case 'decode':
      if (mode === 'classic') {
        return async (slot) => {
          for (const record of decodeRecordBatch(slots[slot]!).records) checksum = fold(checksum, record.value![0]!);
        };
      }
      return async (slot) => {
        const decoded = await pool.decode(slots[slot]!);
        slots[slot] = decoded.bytes;
        for (let index = 0; index < decoded.recordCount; index++) checksum = fold(checksum, decoded.value(index)![0]!);
      };
    case 'compress': {
      const section = encodeRecordBatch(records, { compression: 'none', timestamp: TIMESTAMP }).subarray(RECORDS_OFFSET);
      return async () => {
        checksum = fold(checksum, (await pool.compress(section, 'lz4')).length);
      };
    }
    case 'decompress': {
      const compressed = encodeRecordBatch(records, { compression: 'lz4', timestamp: TIMESTAMP }).subarray(RECORDS_OFFSET);
      return async () => {
        checksum = fold(checksum, (await pool.decompress(compressed, 'lz4')).length);
      };
    }
  }
}

interface Settings {
  readonly windowMs: number;
  readonly warmupMs: number;
  readonly repeats: number;
}

async function measureCell(task: (slot: number) => Promise<void>, settings: Settings): Promise<CellResult> {
  await runWindow(task, IN_FLIGHT, settings.warmupMs);
  const rates: number[] = [];
  const mainUs: number[] = [];
  const mainCpuUs: number[] = [];
  const cpuUs: number[] = [];
  for (let repeat = 0; repeat < settings.repeats; repeat++) {
    const window = await runWindow(task, IN_FLIGHT, settings.windowMs);
    rates.push(window.tasks / (window.elapsedMs / 1000));
    mainUs.push((window.mainMs * 1000) / window.tasks);
    mainCpuUs.push((window.mainCpuMs * 1000) / window.tasks);
    cpuUs.push((window.cpuMs * 1000) / window.tasks);
  }
  return {
    batchesPerSec: median(rates),
    mainUsPerBatch: median(mainUs),
    mainCpuUsPerBatch: median(mainCpuUs),
    cpuUsPerBatch: median(cpuUs),
  };
}

function round(value: number, digits = 3): number {
  return Number(value.toPrecision(digits));
}

async function roundTrips(settings: Settings, smoke: boolean): Promise<void> {
  const sizes = smoke ? [64] : [64, 64 * 1024, 1024 * 1024];
  for (const workers of [1, 2]) for (const tasksPerWorker of smoke ? [4] : [1, 4, 16]) {
    const pool = WorkPool.create({ workers, tasksPerWorker, maxQueue: 64 });
    const mode = `${workers}w`;
    for (const bytes of sizes) {
      for (const inFlight of [1, IN_FLIGHT]) {
        const slots: Buffer[] = Array.from({ length: inFlight }, () => Buffer.allocUnsafeSlow(bytes));
        const task = async (slot: number): Promise<void> => {
          slots[slot] = await pool.echo(slots[slot]!);
        };
        await runWindow(task, inFlight, settings.warmupMs);
        const perTaskUs: number[] = [];
        const mainUs: number[] = [];
        const mainCpuUs: number[] = [];
        for (let repeat = 0; repeat < settings.repeats; repeat++) {
          const window = await runWindow(task, inFlight, settings.windowMs);
          perTaskUs.push((window.elapsedMs * 1000) / window.tasks);
          mainUs.push((window.mainMs * 1000) / window.tasks);
          mainCpuUs.push((window.mainCpuMs * 1000) / window.tasks);
        }
        report({ name: `pool/roundtrip/${mode}/${tasksPerWorker}tpw/${bytes}B/${inFlight}`, mode, tasksPerWorker,
          bytes, inFlight, usPerTask: round(median(perTaskUs)), mainUsPerTask: round(median(mainUs)),
          mainCpuUsPerTask: round(median(mainCpuUs)) });
      }
    }
    await pool.close();
  }
}

interface Row {
  readonly cell: Cell;
  readonly batchBytes: number;
  readonly payloadBytes: number;
  /** The size the pool's threshold for this task is measured in (see thresholds.ts). */
  readonly inputBytes: number;
  readonly results: ReadonlyMap<ModeName, CellResult>;
}

/** What a threshold compares: stored bytes, key + value bytes, or section bytes. */
function thresholdInputBytes(cell: Cell, batchBytes: number, records: RecordInput[]): number {
  switch (cell.task) {
    case 'validate':
    case 'decode':
      return batchBytes;
    case 'encode':
      return cell.records * VALUE_BYTES;
    case 'compress':
      return encodeRecordBatch(records, { compression: 'none', timestamp: TIMESTAMP }).length - RECORDS_OFFSET;
    case 'decompress':
      return batchBytes - RECORDS_OFFSET;
  }
}


/**
 * Per task, codec and payload: where offloading starts to pay, in the threshold's own unit
 * (`…Bytes`) and in records, by throughput and by main-thread CPU; and the inline cost.
 */
function reportCrossovers(rows: ReadonlyArray<Row>): void {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.cell.task}/${row.cell.codec}/${row.cell.payload}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [key, group] of groups) {
    const sorted = [...group].sort((a, b) => a.cell.records - b.cell.records);
    const inline = (row: Row): CellResult => row.results.get('inline')!;
    const summary: { [field: string]: unknown } = { name: `pool/crossover/${key}` };
    for (const mode of ['1w', '2w'] as const) {
      const throughput = (row: Row): number => row.results.get(mode)!.batchesPerSec / inline(row).batchesPerSec;
      const mainThread = (row: Row): number => inline(row).mainCpuUsPerBatch / row.results.get(mode)!.mainCpuUsPerBatch;
      for (const [label, ratio] of [['throughput', throughput], ['mainThread', mainThread]] as const) {
        summary[`${label}CrossoverBytes${mode}`] = crossover(sorted.map((row) => ({ size: row.inputBytes, ratio: ratio(row) })));
        summary[`${label}CrossoverRecords${mode}`] = crossover(
          sorted.map((row) => ({ size: row.cell.records, ratio: ratio(row) })),
        );
      }
    }
    const largest = sorted[sorted.length - 1]!;
    summary['inlineNsPerInputByte'] = round((inline(largest).mainCpuUsPerBatch * 1000) / largest.inputBytes);
    summary['inlineNsPerRecord'] = round((inline(largest).mainCpuUsPerBatch * 1000) / largest.cell.records);
    summary['inlineUsSmallest'] = round(inline(sorted[0]!).mainCpuUsPerBatch);
    report({ ...summary, name: `pool/crossover/${key}`, checksum });
  }
}

const TASK_NAMES: ReadonlyArray<TaskName> = ['validate', 'encode', 'decode', 'compress', 'decompress'];

/** BROOK_BENCH_POOL_TASKS=encode,decode measures only those tasks (all by default). */
function selectedTasks(): ReadonlyArray<TaskName> {
  const wanted = process.env['BROOK_BENCH_POOL_TASKS'];
  if (wanted === undefined || wanted === '') return TASK_NAMES;
  const names = wanted.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !TASK_NAMES.includes(name as TaskName));
  if (unknown.length > 0) throw new Error(`BROOK_BENCH_POOL_TASKS: unknown task ${unknown.join(', ')} (known: ${TASK_NAMES.join(', ')})`);
  return TASK_NAMES.filter((name) => names.includes(name));
}

function cellsFor(options: BenchOptions): Cell[] {
  const sizes = size(options, [10, 1000], [1, 10, 100, 1000, 10_000]);
  const payloads: ReadonlyArray<Payload> = size(options, ['compressible'], ['compressible', 'random']);
  const cells: Cell[] = [];
  for (const payload of payloads) {
    for (const task of selectedTasks()) {
      const codecs: ReadonlyArray<CompressionCodec> = task === 'compress' || task === 'decompress' ? ['lz4'] : ['none', 'lz4'];
      for (const codec of codecs) for (const records of sizes) cells.push({ task, codec, payload, records });
    }
  }
  return cells;
}

export async function run(options: BenchOptions): Promise<void> {
  const settings: Settings = {
    windowMs: size(options, 15, 120),
    warmupMs: size(options, 5, 40),
    repeats: size(options, 1, 5),
  };
  const pools = new Map<ModeName, WorkPool>([
    ['inline', WorkPool.create({ workers: 0 })],
    ['1w', WorkPool.create({ workers: 1, maxQueue: 64, thresholds: OFFLOAD_ALWAYS })],
    ['2w', WorkPool.create({ workers: 2, maxQueue: 64, thresholds: OFFLOAD_ALWAYS })],
    ['auto', WorkPool.create({ workers: 2, maxQueue: 64 })],
  ]);
  pools.set('classic', pools.get('inline')!);
  try {
    await roundTrips(settings, options.smoke);
    const rows: Row[] = [];
    for (const cell of cellsFor(options)) {
      const records = makeRecords(cell.payload, cell.records);
      const batchBytes = encodeRecordBatch(records, { compression: cell.codec, timestamp: TIMESTAMP }).length;
      const payloadBytes = cell.records * VALUE_BYTES;
      const modes: ModeName[] = ['inline', '1w', '2w', 'auto', ...(cell.task === 'decode' ? (['classic'] as const) : [])];
      const results = new Map<ModeName, CellResult>();
      for (const mode of modes) {
        const pool = pools.get(mode)!;
        const result = await measureCell(makeTask(cell, mode, pool, IN_FLIGHT), settings);
        results.set(mode, result);
        const inline = results.get('inline')!;
        report({
          name: `pool/${cell.task}/${cell.codec}/${cell.payload}/${cell.records}/${mode}`,
          ...cell,
          mode,
          workers: pool.workers,
          inFlight: IN_FLIGHT,
          batchBytes,
          recordsPerSec: Math.round(result.batchesPerSec * cell.records),
          mbPerSec: round((result.batchesPerSec * payloadBytes) / 1e6),
          mainUsPerBatch: round(result.mainUsPerBatch),
          mainCpuUsPerBatch: round(result.mainCpuUsPerBatch),
          cpuUsPerBatch: round(result.cpuUsPerBatch),
          ratio: round(result.batchesPerSec / inline.batchesPerSec),
          baseline: 'inline',
          checksum,
        });
      }
      rows.push({ cell, batchBytes, payloadBytes, inputBytes: thresholdInputBytes(cell, batchBytes, records), results });
    }
    reportCrossovers(rows);
    const stats = { '1w': pools.get('1w')!.stats, '2w': pools.get('2w')!.stats, auto: pools.get('auto')!.stats };
    report({ name: 'pool/stats', stats, checksum });
  } finally {
    await Promise.all((['inline', '1w', '2w', 'auto'] as const).map((mode) => pools.get(mode)!.close()));
  }
}
