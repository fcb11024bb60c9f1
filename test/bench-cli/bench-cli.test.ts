import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/cli/bench/result.js';
import { BROOK_BIN, brook, brookServe, stopAllProcesses, type ServeProcess } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * `brook bench` through the real binary in a child process: small runs (a few seconds at most)
 * on a temporary data directory or against `brook serve`, checking output, JSON and exit codes.
 */
const TIMEOUT_MS = 60_000;

function parseResult(out: string): BenchResult {
  return JSON.parse(out) as BenchResult;
}

function expectSaneLatency(result: BenchResult): void {
  const { latency } = result;
  expect(latency.count).toBeGreaterThan(0);
  expect(latency.min).toBeGreaterThanOrEqual(0);
  expect(latency.p50).toBeLessThanOrEqual(latency.p90);
  expect(latency.p90).toBeLessThanOrEqual(latency.p99);
  expect(latency.p99).toBeLessThanOrEqual(latency.p999);
  expect(latency.p999).toBeLessThanOrEqual(latency.max);
  expect(latency.max).toBeGreaterThan(0);
}

describe('brook bench', () => {
  let dir: TempDir | null = null;
  let served: ServeProcess | null = null;
  afterEach(async () => {
    await served?.stop();
    served = null;
    stopAllProcesses();
    dir?.remove();
    dir = null;
  });

  it('--json prints one object with the parameters, throughput, latency, disk use and open files of the run', async () => {
    const result = await brook(['bench', '--records', '20000', '--batch-size', '500', '--json'], { timeoutMs: TIMEOUT_MS });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const parsed = parseResult(result.out);
    expect(parsed).toMatchObject({ mode: 'produce', target: 'embedded', records: 20_000, bytes: 2_000_000, lostRecords: 0, recoveryMs: null });
    expect(parsed.parameters).toMatchObject({ batchRecords: 500, recordBytes: 100, acks: 1 });
    expect(parsed.seconds).toBeGreaterThan(0);
    expect(Math.abs(parsed.recordsPerSec / (20_000 / parsed.seconds) - 1)).toBeLessThan(1e-3);
    expect(parsed.mbPerSec).toBeCloseTo((parsed.recordsPerSec * 100) / 1e6, 1);
    expectSaneLatency(parsed);
    // One latency sample per batch: 20,000 records in batches of 500.
    expect(parsed.latency.count).toBe(40);
    expect(parsed.latency.measures).toBe('per batch: send call → acknowledgement');
    expect(parsed.timeline.length).toBeGreaterThan(0);
    expect(parsed.latencyDistribution[parsed.latencyDistribution.length - 1]).toEqual({ percentile: 100, ms: parsed.latency.max });
    // Values plus per-record and per-batch overhead are on disk, in one segment.
    expect(parsed.apparentBytes).toBeGreaterThan(2_000_000);
    expect(parsed.diskBytes).toBeGreaterThanOrEqual(2_000_000);
    expect(parsed.segments).toBe(1);
    if (process.platform === 'linux') expect(parsed.openFiles).toBeGreaterThan(3);
  });

  it('e2e at a fixed rate reports latency percentiles from scheduled send to receipt, with plain progress lines when not on a terminal', async () => {
    const result = await brook(['bench', '--mode', 'e2e', '--rate', '2000', '--duration', '2'], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(result.out).not.toContain('\r');
    const progress = lines.filter((line) => /^e2e {2}[\d,]+ records {2}[\d,]+ rec\/s {2}elapsed /.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(result.out).toContain('brook bench: e2e · embedded · 2 s × 100 B · 2,000 rec/s');
    for (const label of ['latency p50 ms', 'latency p90 ms', 'latency p99 ms', 'latency p99.9 ms', 'latency max ms']) {
      expect(lines.some((line) => new RegExp(`^${label.replace('.', '\\.')}\\s+\\d+\\.\\d{3}$`).test(line)), label).toBe(true);
    }
    expect(result.out).toMatch(/^records\s+4,000$/m);
    expect(result.out).toMatch(/^lost records\s+0$/m);
    expect(result.out).toContain('per record: scheduled send time → consumer receipt (coordinated omission corrected)');
  });

  it('consume mode produces first, untimed, then times reading every record of every partition', async () => {
    const result = await brook(['bench', '--mode', 'consume', '--records', '30000', '--partitions', '3', '--warmup', '2000', '--compression', 'lz4', '--json'], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(0);
    const parsed = parseResult(result.out);
    expect(parsed).toMatchObject({ mode: 'consume', records: 30_000, lostRecords: 0 });
    expect(parsed.latency.measures).toBe('per poll: fetch call → records returned');
    expectSaneLatency(parsed);
    expect(parsed.segments).toBe(3);
  });

  it('--compare runs A and B alternately (A B, then B A) and prints medians and B/A ratios', async () => {
    const result = await brook(['bench', '--records', '20000', '--compare', 'batch-size=100', 'batch-size=1000,segment.bytes=200000', '--rounds', '2'], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(0);
    const rounds = result.out.split('\n').filter((line) => /^round \d\/2 [AB]:/.test(line)).map((line) => line.slice(0, 12));
    expect(rounds).toEqual(['round 1/2 A:', 'round 1/2 B:', 'round 2/2 B:', 'round 2/2 A:']);
    expect(result.out).toContain('A: batch-size=100');
    expect(result.out).toContain('B: batch-size=1000 segment.bytes=200000');
    const row = (label: string): string[] => result.out.split('\n').find((line) => line.startsWith(`${label} `))!.trim().split(/\s{2,}/);
    const [, a, b, ratio] = row('records/s');
    const parse = (cell: string): number => Number(cell.replace(/[,×]/g, ''));
    expect(parse(ratio!)).toBeCloseTo(parse(b!) / parse(a!), 2);
    // B's smaller segments show in the disk figures: 2 MB of values in 200 kB segments.
    const [, segmentsA, segmentsB] = row('segments');
    expect(parse(segmentsA!)).toBe(1);
    expect(parse(segmentsB!)).toBeGreaterThan(5);
  });

  it('--compare --json gives both sides\' parameters, every run and the ratio of each metric', async () => {
    const result = await brook(['bench', '--records', '10000', '--json', '--compare', '', 'linger-ms=1', '--rounds', '1'], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(0);
    const { compare } = JSON.parse(result.out) as { compare: { a: { parameters: { lingerMs: number } }; b: { parameters: { lingerMs: number } }; runs: { a: BenchResult[]; b: BenchResult[] }; metrics: Array<{ key: string; a: number; b: number; ratio: number }> } };
    expect([compare.a.parameters.lingerMs, compare.b.parameters.lingerMs]).toEqual([0, 1]);
    expect([compare.runs.a.length, compare.runs.b.length]).toEqual([1, 1]);
    const rate = compare.metrics.find((metric) => metric.key === 'recordsPerSec')!;
    expect(rate.a).toBe(compare.runs.a[0]!.recordsPerSec);
    expect(rate.ratio).toBeCloseTo(rate.b / rate.a, 2);
  });

  it('runs against a broker given by --bootstrap-server in a fresh topic that it deletes afterwards', async () => {
    dir = makeTempDir();
    served = await brookServe(['--data-dir', dir.path]);
    const produce = await brook(['bench', '--bootstrap-server', served.address, '--records', '20000', '--partitions', '2', '--acks', 'all', '--json'], { timeoutMs: TIMEOUT_MS });
    expect(produce.code).toBe(0);
    const parsed = parseResult(produce.out);
    expect(parsed).toMatchObject({ target: 'remote', records: 20_000, diskBytes: null, openFiles: null });
    expectSaneLatency(parsed);
    // acks=0: no produce responses; every record still has to reach the consumer.
    const e2e = await brook(['bench', '--bootstrap-server', served.address, '--mode', 'e2e', '--rate', '1000', '--duration', '1', '--acks', '0', '--partitions', '2', '--json'], { timeoutMs: TIMEOUT_MS });
    expect(e2e.code).toBe(0);
    expect(parseResult(e2e.out)).toMatchObject({ mode: 'e2e', records: 1000, lostRecords: 0 });
    expect(readdirSync(dir.path).filter((name) => name.startsWith('brook-bench-'))).toEqual([]);
  });

  it('--measure-recovery crashes the producing process and reports how long reopening the data directory took', async () => {
    dir = makeTempDir();
    const result = await brook(['bench', '--records', '30000', '--segment-bytes', '500000', '--measure-recovery', '--data-dir', dir.path, '--json'], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(0);
    const parsed = parseResult(result.out);
    expect(parsed.records).toBe(30_000);
    expect(parsed.recoveryMs).toBeGreaterThan(0);
    expect(parsed.recovery).toMatchObject({ cleanShutdown: false });
    expect(parsed.recovery!.segmentsLoaded).toBeGreaterThanOrEqual(6);
    expect(parsed.segmentsRecovered).toBeGreaterThanOrEqual(1);
    expect(parsed.segments).toBe(parsed.recovery!.segmentsLoaded);
    // --data-dir is kept: the recovered topic is still there.
    expect(readdirSync(dir.path)).toContain(`${parsed.topic}-0`);
  });

  it('--report writes a self-contained HTML page with the run\'s data', async () => {
    dir = makeTempDir();
    const path = join(dir.path, 'report.html');
    const result = await brook(['bench', '--records', '20000', '--report', path], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(0);
    expect(result.out).toContain(`report: ${path}`);
    const html = readFileSync(path, 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="bench-data">(.*?)<\/script>/s.exec(html)![1]!) as { series: Array<{ timeline: unknown[]; distribution: unknown[] }> };
    expect(data.series).toHaveLength(1);
    expect(data.series[0]!.distribution.length).toBeGreaterThan(2);
  });

  it.each([
    [['--batch-size', '0'], '--batch-size=0 is invalid: use an integer in [1, 1000000]'],
    [['--frobnicate'], 'unknown flag'],
    [['--mode', 'e2e', '--rate', 'fast'], '--rate=fast is invalid: use a number'],
    [['--compare', 'batch-size=10'], '--compare takes two configurations'],
    [['--compare', 'colour=blue', ''], '--compare key "colour" is unknown'],
    [['--report', '/no/such/dir/out.html'], 'directory /no/such/dir does not exist'],
    [['--bootstrap-server', '127.0.0.1:9', '--durability', 'fsync'], '--durability applies to embedded runs'],
  ])('bench %j exits 2 with a message saying what to change', async (args, message) => {
    const result = await brook(['bench', ...args], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('see brook bench --help');
    expect(result.out).toBe('');
  });

  it('--help lists the flags and explains --compare', async () => {
    const result = await brook(['bench', '--help']);
    expect(result.code).toBe(0);
    for (const flag of ['--mode', '--rate', '--record-size', '--batch-size', '--linger-ms', '--partitions', '--compression', '--workers', '--acks', '--durability', '--segment-bytes', '--index-interval-bytes', '--config', '--bootstrap-server', '--warmup', '--json', '--report', '--compare', '--rounds', '--measure-recovery']) {
      expect(result.out).toContain(flag);
    }
    expect(result.out).toContain('--compare "A" "B"');
  });

  const hasScript = process.platform === 'linux' && existsSync('/usr/bin/script') && spawnSync('/usr/bin/script', ['--version']).status === 0;
  it.skipIf(!hasScript && process.env['BROOK_REQUIRE_CLIENTS'] !== '1')('on a terminal, progress is one line redrawn in place with a bar and the time left', () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BROOK_BIN)} bench --mode e2e --rate 1000 --duration 1.5`;
    const result = spawnSync('/usr/bin/script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: TIMEOUT_MS });
    expect(result.status).toBe(0);
    const beforeSummary = result.stdout.slice(0, result.stdout.indexOf('brook bench:'));
    const redraws = beforeSummary.split('\r').filter((part) => part.startsWith('e2e  ['));
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    expect(redraws[0]).toMatch(/^e2e {2}\[[#.]{30}\] +\d+% {2}[\d,]+ records .*ETA /);
  });
});
