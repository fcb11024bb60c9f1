import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Broker } from '../src/broker/broker.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import { median, report, type BenchOptions } from './report.js';

/**
 * The measurements behind docs/tuning.md: `brook bench --json` runs, one per table row, the rows
 * of a table run in alternating rounds (A B C A B C …) and each figure is the median over the
 * rounds. `npm run bench -- tuning --write-docs` rewrites the tables between the
 * `<!-- tuning:KEY -->` markers of docs/tuning.md; without it the rows are printed as JSON lines.
 * `--only=KEY` runs one table (or the retention example: `--only=retention-example`).
 */
const BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/tuning.md', import.meta.url));

interface Row {
  readonly label: string;
  readonly args: ReadonlyArray<string>;
}

interface Table {
  readonly key: string;
  readonly title: string;
  /** Arguments every row of the table shares (shown once above the table). */
  readonly common: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<Row>;
  /** What the p99 column measures in this table. */
  readonly latency: string;
}

const MiB = 1024 * 1024;

function tables(smoke: boolean): Table[] {
  const records = smoke ? '20000' : '2000000';
  const duration = smoke ? '2' : '8';
  const produce = ['--records', records, '--record-size', '100', '--batch-size', '1000', '--measure-recovery'];
  const steady = (rate: number): string[] => ['--mode', 'e2e', '--rate', String(smoke ? Math.min(rate, 5000) : rate), '--duration', duration, '--record-size', '100', '--batch-size', '100'];
  const retentionCheck = ['--config', 'log.retention.check.interval.ms=500', '--config', 'file.delete.delay.ms=0'];
  return [
    {
      key: 'segment.bytes',
      title: 'segment.bytes',
      common: produce,
      latency: 'produce send → ack',
      rows: [
        { label: '1 MiB', args: ['--segment-bytes', String(MiB)] },
        { label: '16 MiB', args: ['--segment-bytes', String(16 * MiB)] },
        { label: '128 MiB', args: ['--segment-bytes', String(128 * MiB)] },
        { label: '1 GiB (default)', args: [] },
      ],
    },
    {
      key: 'segment.ms',
      title: 'segment.ms',
      common: steady(20_000),
      latency: 'end-to-end at a fixed rate',
      rows: [
        { label: '1000 (1 s)', args: ['--config', 'segment.ms=1000'] },
        { label: '4000 (4 s)', args: ['--config', 'segment.ms=4000'] },
        { label: '604800000 (default)', args: [] },
      ],
    },
    {
      key: 'index.interval.bytes',
      title: 'index.interval.bytes',
      common: ['--records', smoke ? '20000' : '1000000', '--record-size', '100', '--batch-size', '10', '--measure-recovery'],
      latency: 'produce send → ack',
      rows: [
        { label: '0 (every batch)', args: ['--index-interval-bytes', '0'] },
        { label: '4096 (default)', args: [] },
        { label: '65536', args: ['--index-interval-bytes', '65536'] },
      ],
    },
    {
      key: 'retention.ms',
      title: 'retention.ms',
      common: [...steady(50_000), '--segment-bytes', String(MiB), ...retentionCheck],
      latency: 'end-to-end at a fixed rate',
      rows: [
        { label: '2000 (2 s)', args: ['--config', 'retention.ms=2000'] },
        { label: '604800000 (default)', args: [] },
      ],
    },
    {
      key: 'retention.bytes',
      title: 'retention.bytes',
      common: [...steady(50_000), '--segment-bytes', String(MiB), ...retentionCheck],
      latency: 'end-to-end at a fixed rate',
      rows: [
        { label: '4 MiB', args: ['--config', `retention.bytes=${4 * MiB}`] },
        { label: '16 MiB', args: ['--config', `retention.bytes=${16 * MiB}`] },
        { label: '-1 (default)', args: [] },
      ],
    },
    {
      key: 'flush',
      title: 'flush.messages / flush.ms / durability',
      common: ['--records', smoke ? '20000' : '1000000', '--record-size', '100', '--batch-size', '1000', '--measure-recovery'],
      latency: 'produce send → ack',
      rows: [
        { label: 'never (default)', args: [] },
        { label: 'flush.ms=1000', args: ['--config', 'flush.ms=1000'] },
        { label: 'flush.messages=100000', args: ['--config', 'flush.messages=100000'] },
        { label: 'flush.messages=10000', args: ['--config', 'flush.messages=10000'] },
        { label: 'durability fsync', args: ['--durability', 'fsync'] },
      ],
    },
    {
      key: 'batching',
      title: 'batch size and linger',
      common: ['--record-size', '100'],
      latency: 'produce send → ack (fixed-rate rows: end-to-end)',
      rows: [
        { label: 'batch 1 record', args: ['--batch-size', '1', '--records', smoke ? '2000' : '100000'] },
        { label: 'batch 10', args: ['--batch-size', '10', '--records', smoke ? '5000' : '500000'] },
        { label: 'batch 100', args: ['--batch-size', '100', '--records', records] },
        { label: 'batch 1000', args: ['--batch-size', '1000', '--records', records] },
        { label: 'batch 10000', args: ['--batch-size', '10000', '--records', records] },
        { label: 'e2e 10,000 rec/s, linger 0', args: [...steady(10_000), '--batch-size', '1000', '--linger-ms', '0'] },
        { label: 'e2e 10,000 rec/s, linger 5', args: [...steady(10_000), '--batch-size', '1000', '--linger-ms', '5'] },
        { label: 'e2e 10,000 rec/s, linger 20', args: [...steady(10_000), '--batch-size', '1000', '--linger-ms', '20'] },
      ],
    },
    {
      key: 'compression',
      title: 'compression',
      common: ['--records', smoke ? '20000' : '1000000', '--batch-size', '1000'],
      latency: 'produce send → ack',
      rows: [
        { label: 'none, 100 B text', args: ['--record-size', '100'] },
        { label: 'lz4, 100 B text', args: ['--record-size', '100', '--compression', 'lz4'] },
        { label: 'none, 1 KiB text', args: ['--record-size', '1024', '--records', smoke ? '5000' : '300000'] },
        { label: 'lz4, 1 KiB text', args: ['--record-size', '1024', '--records', smoke ? '5000' : '300000', '--compression', 'lz4'] },
        { label: 'lz4, 1 KiB random', args: ['--record-size', '1024', '--records', smoke ? '5000' : '300000', '--compression', 'lz4', '--payload', 'random'] },
      ],
    },
    {
      key: 'workers',
      title: 'workers',
      common: ['--records', smoke ? '20000' : '1000000', '--record-size', '100', '--batch-size', '1000', '--partitions', '3'],
      latency: 'produce send → ack',
      rows: [
        { label: '0 (inline), none', args: [] },
        { label: '1, none', args: ['--workers', '1'] },
        { label: '2, none', args: ['--workers', '2'] },
        { label: '0 (inline), lz4', args: ['--compression', 'lz4'] },
        { label: '1, lz4', args: ['--workers', '1', '--compression', 'lz4'] },
        { label: '2, lz4', args: ['--workers', '2', '--compression', 'lz4'] },
      ],
    },
  ];
}

interface BenchJson {
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly latency: { readonly p50: number; readonly p99: number; readonly count: number };
  readonly recoveryMs: number | null;
  readonly segments: number | null;
  readonly openFiles: number | null;
  readonly diskBytes: number | null;
}

function runBench(args: ReadonlyArray<string>): BenchJson {
  const result = spawnSync(process.execPath, [BIN, 'bench', ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (result.status !== 0) throw new Error(`brook bench ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as BenchJson;
}

interface Measured {
  readonly row: Row;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly recoveryMs: number | null;
  readonly segments: number | null;
  readonly openFiles: number | null;
  readonly diskMB: number | null;
}

function medianOrNull(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : median(present);
}

function measure(table: Table, rounds: number): Measured[] {
  const samples = table.rows.map(() => [] as BenchJson[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, row] of table.rows.entries()) samples[index]!.push(runBench([...table.common, ...row.args]));
  }
  return table.rows.map((row, index) => {
    const runs = samples[index]!;
    const disk = medianOrNull(runs.map((run) => run.diskBytes));
    return {
      row,
      recordsPerSec: median(runs.map((run) => run.recordsPerSec)),
      mbPerSec: median(runs.map((run) => run.mbPerSec)),
      p50Ms: median(runs.map((run) => run.latency.p50)),
      p99Ms: median(runs.map((run) => run.latency.p99)),
      recoveryMs: medianOrNull(runs.map((run) => run.recoveryMs)),
      segments: medianOrNull(runs.map((run) => run.segments)),
      openFiles: medianOrNull(runs.map((run) => run.openFiles)),
      diskMB: disk === null ? null : disk / 1e6,
    };
  });
}

const fixed = (value: number | null, digits: number): string => (value === null ? '—' : value.toFixed(digits));
const grouped = (value: number): string => Math.round(value).toLocaleString('en-US');

function markdown(table: Table, measured: ReadonlyArray<Measured>, rounds: number): string {
  const lines = [
    `Measured: \`brook bench ${table.common.join(' ')} <row> --json\`, median of ${rounds} alternating rounds ` +
      `(p99 = ${table.latency}).`,
    '',
    '| setting | row flags | rec/s | MB/s | p50 ms | p99 ms | recovery ms | segments | open files | disk MB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const entry of measured) {
    lines.push(
      `| ${entry.row.label} | \`${entry.row.args.join(' ') || '(defaults)'}\` | ${grouped(entry.recordsPerSec)} | ${fixed(entry.mbPerSec, 1)} | ` +
        `${fixed(entry.p50Ms, 2)} | ${fixed(entry.p99Ms, 2)} | ${fixed(entry.recoveryMs, 0)} | ${fixed(entry.segments, 0)} | ` +
        `${fixed(entry.openFiles, 0)} | ${fixed(entry.diskMB, 1)} |`,
    );
  }
  return lines.join('\n');
}

function replaceBetween(text: string, key: string, body: string): string {
  const open = `<!-- tuning:${key} -->`;
  const close = `<!-- /tuning:${key} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`docs/tuning.md has no ${open} … ${close} markers`);
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

/**
 * The retention example: a topic whose segments are in every state the explanation knows (old
 * enough, kept behind an older one, a future timestamp, the active segment), described by the
 * real binary.
 */
async function retentionExample(): Promise<string> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = mkdtempSync(join(tmpdir(), 'brook-tuning-'));
  try {
    const broker = await Broker.open({ dataDir, scheduleTasks: false });
    await broker.createTopic('clicks', { partitions: 2, config: { 'segment.bytes': 4096, 'retention.ms': 3_600_000 } });
    const now = Date.now();
    const value = Buffer.alloc(180, 'x');
    const batch = (timestamp: number): Buffer => encodeRecordBatch(Array.from({ length: 10 }, () => ({ value, timestamp })), {});
    // Partition 0: two segments 3 h old, then a recent one, then the active segment.
    for (const age of [3, 3, 3, 3, 0.1, 0.1, 0]) await broker.append('clicks', 0, batch(now - age * 3_600_000));
    // Partition 1: a segment 5 h old holding one record timestamped a day ahead, then newer ones.
    await broker.append('clicks', 1, batch(now - 5 * 3_600_000));
    await broker.append('clicks', 1, batch(now + 24 * 3_600_000));
    for (const age of [4, 4, 0]) await broker.append('clicks', 1, batch(now - age * 3_600_000));
    await broker.close();
    const described = spawnSync(process.execPath, [BIN, 'topics', 'describe', 'clicks', '--data-dir', dataDir, '--retention'], { encoding: 'utf8' });
    if (described.status !== 0) throw new Error(`brook topics describe failed: ${described.stderr}`);
    const output = described.stdout.replaceAll(dataDir, '<data-dir>');
    return ['```text', '$ brook topics describe clicks --data-dir <data-dir> --retention', output.trimEnd(), '```'].join('\n');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(options: BenchOptions): Promise<void> {
  const args = process.argv.slice(2);
  const writeDocs = args.includes('--write-docs') && !options.smoke;
  const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  const rounds = options.smoke ? 1 : 3;
  let doc = writeDocs ? readFileSync(DOC, 'utf8') : '';
  for (const table of tables(options.smoke)) {
    if (only !== undefined && table.key !== only) continue;
    const measured = measure(table, rounds);
    for (const entry of measured) {
      report({
        name: `tuning ${table.key}: ${entry.row.label}`,
        recordsPerSec: Math.round(entry.recordsPerSec),
        mbPerSec: entry.mbPerSec,
        p50Ms: entry.p50Ms,
        p99Ms: entry.p99Ms,
        recoveryMs: entry.recoveryMs,
        segments: entry.segments,
        openFiles: entry.openFiles,
        diskMB: entry.diskMB,
        command: `brook bench ${[...table.common, ...entry.row.args].join(' ')}`,
        rounds,
      });
    }
    if (writeDocs) {
      doc = replaceBetween(doc, table.key, markdown(table, measured, rounds));
      writeFileSync(DOC, doc);
    }
  }
  if (only === undefined || only === 'retention-example') {
    const example = await retentionExample();
    if (writeDocs) writeFileSync(DOC, replaceBetween(doc, 'retention-example', example));
    else report({ name: 'tuning retention-example', lines: example.split('\n').length });
  }
}
