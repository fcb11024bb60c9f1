import { Flags } from '../command.js';
import { applyOverrides, describeOverrides, resolveBenchConfig, type BenchConfig, type RawFlags } from './bench-options.js';
import type { BenchResult } from './result.js';
import { formatTable, METRICS } from './summary.js';

/**
 * `--compare A B`: two configurations, each the base flags with its own key=value overrides, run
 * alternately (A B, B A, A B …, --rounds times) so that drift of the machine (page cache, other jobs,
 * thermal state) hits both alike. Each metric is summarised by its median per side and the
 * ratio B/A.
 */
export interface CompareSide {
  readonly name: 'A' | 'B';
  readonly overrides: string;
  readonly config: BenchConfig;
}

export interface ComparedMetric {
  readonly key: string;
  readonly label: string;
  readonly a: number | null;
  readonly b: number | null;
  /** b / a, or null when either is missing or a is 0. */
  readonly ratio: number | null;
  readonly higherIsBetter: boolean;
}

export interface CompareOutcome {
  readonly a: CompareSide;
  readonly b: CompareSide;
  readonly rounds: number;
  readonly runsA: ReadonlyArray<BenchResult>;
  readonly runsB: ReadonlyArray<BenchResult>;
  readonly metrics: ReadonlyArray<ComparedMetric>;
}

/** Resolve both sides up front, so a mistake in B is reported before A runs. */
export function compareSides(base: RawFlags, overridesA: string, overridesB: string): [CompareSide, CompareSide] {
  const side = (name: 'A' | 'B', overrides: string): CompareSide => ({
    name,
    overrides,
    config: resolveBenchConfig(new Flags('bench', applyOverrides(base, overrides))),
  });
  return [side('A', overridesA), side('B', overridesB)];
}

export function median(values: ReadonlyArray<number>): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function compareMetrics(runsA: ReadonlyArray<BenchResult>, runsB: ReadonlyArray<BenchResult>): ComparedMetric[] {
  const out: ComparedMetric[] = [];
  for (const metric of METRICS) {
    const values = (runs: ReadonlyArray<BenchResult>): number[] =>
      runs.map((run) => metric.get(run)).filter((value): value is number => value !== null);
    const a = median(values(runsA));
    const b = median(values(runsB));
    if (a === null && b === null) continue;
    const ratio = a === null || b === null || a === 0 ? null : Math.round((b / a) * 1000) / 1000;
    out.push({ key: metric.key, label: metric.label, a, b, ratio, higherIsBetter: metric.higherIsBetter });
  }
  return out;
}

export async function runCompare(
  sides: readonly [CompareSide, CompareSide],
  rounds: number,
  runOne: (config: BenchConfig, label: string) => Promise<BenchResult>,
  afterRun: (side: CompareSide, round: number, result: BenchResult) => void,
): Promise<CompareOutcome> {
  const [a, b] = sides;
  const runsA: BenchResult[] = [];
  const runsB: BenchResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    // A B, then B A, …: neither side always runs first (JIT warm-up, heap and page cache).
    for (const side of round % 2 === 1 ? sides : [b, a]) {
      const result = await runOne(side.config, `round ${round}/${rounds} ${side.name}: `);
      (side === a ? runsA : runsB).push(result);
      afterRun(side, round, result);
    }
  }
  return { a, b, rounds, runsA, runsB, metrics: compareMetrics(runsA, runsB) };
}

/** The run of a side whose throughput is the median: the one the report plots. */
export function representative(runs: ReadonlyArray<BenchResult>): BenchResult {
  const sorted = [...runs].sort((x, y) => x.recordsPerSec - y.recordsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function compareTable(outcome: CompareOutcome): string {
  const formatFor = (key: string): ((value: number) => string) => METRICS.find((metric) => metric.key === key)!.format;
  const rows: string[][] = [['metric', 'A (median)', 'B (median)', 'B/A']];
  for (const metric of outcome.metrics) {
    const format = formatFor(metric.key);
    rows.push([metric.label, metric.a === null ? '—' : format(metric.a), metric.b === null ? '—' : format(metric.b), metric.ratio === null ? '—' : `${metric.ratio.toFixed(3)}×`]);
  }
  return [
    `brook bench --compare: ${outcome.rounds} round${outcome.rounds === 1 ? '' : 's'}, A and B alternating`,
    `A: ${describeOverrides(outcome.a.overrides)}`,
    `B: ${describeOverrides(outcome.b.overrides)}`,
    formatTable(rows, [false, true, true, true]),
    '',
  ].join('\n');
}
