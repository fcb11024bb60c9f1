import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RUN_FLAGS, resolveBenchConfig, type RawFlags } from '../bench/bench-options.js';
import { compareSides, compareTable, representative, runCompare, type CompareOutcome } from '../bench/compare.js';
import { renderReport, type ReportData, type ReportSeries } from '../bench/html-report.js';
import { progressSink, type ProgressMode } from '../bench/progress.js';
import type { BenchResult } from '../bench/result.js';
import { runBench } from '../bench/run-bench.js';
import { describeRun, formatInteger, formatTable, METRICS, summaryTable } from '../bench/summary.js';
import { UsageError, type CliIO, type CommandContext, type CommandSpec, type FlagSpec, type Flags } from '../command.js';

/**
 * `brook bench`: produce, consume and end-to-end runs against the embedded broker or a broker at
 * an address, with a progress display, a summary table (or --json), a latency histogram and an
 * optional self-contained HTML report; --compare runs two configurations alternately.
 * The workloads and measurements live in src/cli/bench/; this module maps flags and output.
 */
const FLAGS: Readonly<Record<string, FlagSpec>> = {
  mode: { type: 'string', valueName: 'produce|consume|e2e', describe: 'produce: timed produce; consume: produce untimed, then time reading it all; e2e: a producer at --rate and a consumer, latency = receipt − scheduled send time', defaultText: 'produce' },
  records: { type: 'string', valueName: 'n', describe: 'records in the timed phase', defaultText: '1000000; e2e runs --duration 10' },
  duration: { type: 'string', valueName: 'seconds', describe: 'run for this long instead of a record count (produce, e2e)' },
  rate: { type: 'string', valueName: 'records/s', describe: 'send at this fixed rate (open loop; latency from each record\'s scheduled time, coordinated omission corrected)', defaultText: 'flat out; e2e 10000' },
  warmup: { type: 'string', valueName: 'n|Ns', describe: 'untimed records (50000) or seconds (2s) before measuring', defaultText: '0' },
  'record-size': { type: 'string', valueName: 'bytes', describe: 'value bytes per record (keys are null)', defaultText: '100' },
  'batch-size': { type: 'string', valueName: 'records', describe: 'records per batch (the producer\'s batch.size is set to hold exactly this many)', defaultText: '1000' },
  'linger-ms': { type: 'string', valueName: 'ms', describe: 'producer linger.ms', defaultText: '0' },
  partitions: { type: 'string', valueName: 'n', describe: 'partitions of the bench topic', defaultText: '1' },
  compression: { type: 'string', valueName: 'none|lz4', describe: 'producer compression', defaultText: 'none' },
  payload: { type: 'string', valueName: 'text|random', describe: 'value contents: compressible JSON-like text, or random bytes', defaultText: 'text' },
  acks: { type: 'string', valueName: '0|1|all', describe: 'producer acks (all also makes the embedded producer idempotent)', defaultText: '1' },
  'max-in-flight': { type: 'string', valueName: 'n', describe: 'batches awaiting acknowledgement before the producer waits', defaultText: '8' },
  workers: { type: 'string', valueName: 'n', describe: 'embedded: worker threads for CRC/LZ4/encode work (0 = inline)', defaultText: '0' },
  durability: { type: 'string', valueName: 'pagecache|fsync', describe: 'embedded: when an append is acknowledged', defaultText: 'pagecache' },
  'segment-bytes': { type: 'string', valueName: 'bytes', describe: 'topic segment.bytes', defaultText: '1073741824' },
  'index-interval-bytes': { type: 'string', valueName: 'bytes', describe: 'topic index.interval.bytes', defaultText: '4096' },
  config: { type: 'string', multiple: true, valueName: 'key=value', describe: 'any topic setting: segment.ms, retention.ms, retention.bytes, flush.messages, flush.ms, ...' },
  'data-dir': { type: 'string', valueName: 'path', describe: 'embedded: data directory (kept afterwards)', defaultText: 'a temporary directory, removed afterwards' },
  'bootstrap-server': { type: 'string', valueName: 'host:port', describe: 'run against this broker instead (a fresh topic brook-bench-<random>, deleted afterwards)' },
  'measure-recovery': { type: 'boolean', describe: 'embedded: produce in a child process that SIGKILLs itself, then time reopening the data directory' },
  json: { type: 'boolean', describe: 'print one JSON object with every parameter and result (progress goes to stderr if it is a terminal)' },
  report: { type: 'string', valueName: 'out.html', describe: 'write a self-contained HTML report (throughput over time, latency percentiles, summary)' },
  compare: { type: 'string', valueName: '"k=v,…" "k=v,…"', describe: 'run configuration A (first value) and B (the argument after it) alternately and print B/A ratios' },
  rounds: { type: 'string', valueName: 'n', describe: 'rounds of A and B with --compare', defaultText: '3' },
};

const DETAILS = `Examples:
  brook bench --records 2000000 --record-size 100 --batch-size 1000
  brook bench --mode e2e --rate 50000 --duration 10 --report e2e.html
  brook bench --mode consume --records 1000000 --partitions 3 --json
  brook bench --measure-recovery --records 1000000 --config flush.messages=10000
  brook bench --bootstrap-server 127.0.0.1:9092 --mode produce --acks all
  brook bench --compare "batch-size=100" "batch-size=1000,linger-ms=5" --rounds 5

--compare "A" "B": A and B are comma-separated key=value lists applied over the other flags. Keys
are topic settings (any key with a dot: segment.ms=60000) or run flags without their dashes:
  ${RUN_FLAGS.join(', ')}
An empty A ("") means the other flags unchanged. Each metric is the median over the rounds.

Latency: flat-out produce times each batch from send to acknowledgement; with --rate each record
from its scheduled send time (coordinated omission corrected); e2e from scheduled send time to the
consumer's receipt; consume times each poll. Percentiles come from an HdrHistogram-style histogram
(3 significant digits).

After the run: disk use of the topic's partition directories (bytes allocated, segments, files),
open file descriptors of the broker's process at the end of the timed phase (Linux /proc), and with
--measure-recovery the time to reopen the data directory after the crash. --json prints all of it.`;

function rawFlags(flags: Flags): RawFlags {
  const raw: Record<string, string | boolean | string[] | undefined> = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    if (spec.multiple === true) raw[name] = flags.list(name);
    else if (spec.type === 'boolean') raw[name] = flags.boolean(name) ? true : undefined;
    else raw[name] = flags.string(name);
  }
  return raw;
}

function progressMode(json: boolean, io: CliIO): ProgressMode {
  if (json) return { kind: process.stderr.isTTY === true ? 'tty' : 'none', stream: 'stderr' };
  return { kind: io.isTTY ? 'tty' : 'lines', stream: 'stdout' };
}

/** Fail before running when the report could not be written at the end. */
function checkReportPath(path: string | undefined): string | null {
  if (path === undefined) return null;
  const absolute = resolve(path);
  const directory = dirname(absolute);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new UsageError('bench', `--report ${path}: directory ${directory} does not exist; create it or choose another path`);
  }
  return absolute;
}

function seriesOf(name: string, result: BenchResult): ReportSeries {
  return {
    name,
    description: describeRun(result),
    timeline: result.timeline,
    distribution: result.latencyDistribution,
    latencyCount: result.latency.count,
    latencyMeasures: result.latency.measures,
  };
}

function singleReport(result: BenchResult): ReportData {
  const rows: string[][] = [['metric', 'value']];
  for (const metric of METRICS) {
    const value = metric.get(result);
    if (value !== null) rows.push([metric.label, metric.format(value)]);
  }
  return { title: `brook bench: ${result.mode}`, generatedAt: new Date().toISOString(), series: [seriesOf('run', result)], table: rows, notes: [] };
}

function compareReport(outcome: CompareOutcome): ReportData {
  const rows: string[][] = [['metric', 'A (median)', 'B (median)', 'B/A']];
  for (const metric of outcome.metrics) {
    const format = METRICS.find((candidate) => candidate.key === metric.key)!.format;
    rows.push([metric.label, metric.a === null ? '—' : format(metric.a), metric.b === null ? '—' : format(metric.b), metric.ratio === null ? '—' : metric.ratio.toFixed(3)]);
  }
  return {
    title: 'brook bench --compare',
    generatedAt: new Date().toISOString(),
    series: [seriesOf(`A: ${outcome.a.overrides || '(base flags)'}`, representative(outcome.runsA)), seriesOf(`B: ${outcome.b.overrides || '(base flags)'}`, representative(outcome.runsB))],
    table: rows,
    notes: [`${outcome.rounds} rounds, A and B alternating; each plot shows the run of median throughput of each side.`],
  };
}

function compareJson(outcome: CompareOutcome): unknown {
  return {
    compare: {
      rounds: outcome.rounds,
      a: { overrides: outcome.a.overrides, parameters: outcome.a.config },
      b: { overrides: outcome.b.overrides, parameters: outcome.b.config },
      metrics: outcome.metrics,
      runs: { a: outcome.runsA, b: outcome.runsB },
    },
  };
}

async function run(context: CommandContext): Promise<number> {
  const { flags, positionals, io, print } = context;
  const json = flags.boolean('json');
  const reportPath = checkReportPath(flags.string('report'));
  const compare = flags.string('compare');
  if (compare === undefined && positionals.length > 0) throw new UsageError('bench', `unexpected argument "${positionals[0]}"`);
  if (compare !== undefined && positionals.length !== 1) {
    throw new UsageError('bench', '--compare takes two configurations: --compare "batch-size=100" "batch-size=1000" (use "" for the base flags)');
  }
  const rounds = flags.integer('rounds', 3, 1, 100);
  const mode = progressMode(json, io);
  const progress = progressSink(mode, mode.stream === 'stdout' ? io.out : io.err);
  if (compare === undefined) {
    const config = resolveBenchConfig(flags);
    const result = await runBench(config, { progress, progressMode: mode, label: '' });
    io.out(json ? `${JSON.stringify(result)}\n` : summaryTable(result));
    if (reportPath !== null) {
      writeFileSync(reportPath, renderReport(singleReport(result)));
      if (!json) print(`report: ${reportPath}`);
    }
    return 0;
  }
  const sides = compareSides(rawFlags(flags), compare, positionals[0]!);
  const outcome = await runCompare(
    sides,
    rounds,
    (config, label) => runBench(config, { progress, progressMode: mode, label }),
    (side, round, result) => {
      if (json) return;
      const cells = [`round ${round}/${rounds} ${side.name}:`, `${formatInteger(result.recordsPerSec)} records/s`];
      if (result.latency.count > 0) cells.push(`p50 ${result.latency.p50.toFixed(3)} ms`, `p99 ${result.latency.p99.toFixed(3)} ms`);
      print(formatTable([cells], []));
    },
  );
  io.out(json ? `${JSON.stringify(compareJson(outcome))}\n` : compareTable(outcome));
  if (reportPath !== null) {
    writeFileSync(reportPath, renderReport(compareReport(outcome)));
    if (!json) print(`report: ${reportPath}`);
  }
  return 0;
}

export const benchCommand: CommandSpec = {
  name: 'bench',
  summary: 'Measure produce, consume and end-to-end throughput and latency, embedded or against a broker (--bootstrap-server).',
  flags: FLAGS,
  details: DETAILS,
  run,
};
