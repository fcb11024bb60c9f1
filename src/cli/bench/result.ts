import { availableParallelism } from 'node:os';
import type { BenchConfig } from './bench-options.js';
import type { LatencyHistogram } from './histogram.js';
import type { TimelinePoint } from './timeline.js';

/**
 * The result of one bench run, as `--json` prints it and the HTML report embeds it. Times are in
 * milliseconds unless a name says otherwise; MB are 10^6 bytes of record values (no keys or
 * batch overhead); null means "not measured here" (e.g. disk use of a remote broker).
 */
export interface LatencySummary {
  /** What one sample measures, e.g. "per record: scheduled send time → consumer receipt". */
  readonly measures: string;
  readonly correctedForCoordinatedOmission: boolean;
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly p9999: number;
  readonly max: number;
}

export interface PercentilePoint {
  /** 0..100 */
  readonly percentile: number;
  readonly ms: number;
}

export interface RecoveryResult {
  /** Wall time of Broker.open on the data directory after the crash. */
  readonly recoveryMs: number;
  /** Sum of the partition logs' own recovery durations (part of recoveryMs). */
  readonly logRecoveryMs: number;
  readonly segmentsLoaded: number;
  /** Segments above the recovery point whose every batch was checked again. */
  readonly segmentsRecovered: number;
  readonly bytesTruncated: number;
  readonly cleanShutdown: boolean;
}

export interface BenchResult {
  readonly mode: BenchConfig['mode'];
  readonly target: 'embedded' | 'remote';
  readonly topic: string;
  readonly parameters: BenchConfig;
  readonly records: number;
  /** Record value bytes in the timed phase. */
  readonly bytes: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly latency: LatencySummary;
  readonly latencyDistribution: ReadonlyArray<PercentilePoint>;
  readonly timeline: ReadonlyArray<TimelinePoint>;
  /** e2e and consume: records that never arrived. */
  readonly lostRecords: number;
  /** Allocated bytes of the topic's partition directories after the run (null for a remote broker). */
  readonly diskBytes: number | null;
  readonly apparentBytes: number | null;
  readonly segments: number | null;
  readonly files: number | null;
  /** Open file descriptors of the process running the broker at the end of the timed phase. */
  readonly openFiles: number | null;
  readonly recoveryMs: number | null;
  readonly segmentsRecovered: number | null;
  readonly recovery: RecoveryResult | null;
  readonly environment: {
    readonly node: string;
    readonly platform: string;
    readonly arch: string;
    readonly cpus: number;
    readonly startedAt: string;
  };
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
const msFromUs = (us: number): number => round3(us / 1000);

export function summariseLatency(histogram: LatencyHistogram, kind: { measures: string; correctedForCoordinatedOmission: boolean }): LatencySummary {
  const [p50, p90, p99, p999, p9999] = histogram.percentiles([50, 90, 99, 99.9, 99.99]);
  return {
    measures: kind.measures,
    correctedForCoordinatedOmission: kind.correctedForCoordinatedOmission,
    count: histogram.count,
    min: msFromUs(histogram.min),
    mean: msFromUs(histogram.mean),
    p50: msFromUs(p50!),
    p90: msFromUs(p90!),
    p99: msFromUs(p99!),
    p999: msFromUs(p999!),
    p9999: msFromUs(p9999!),
    max: msFromUs(histogram.max),
  };
}

/**
 * Percentiles for the distribution plot, spaced evenly on HdrHistogram's log axis 1/(1 − p):
 * POINTS_PER_DECADE per factor of ten, from 0 up to where the samples run out (1 − 1/count),
 * then the max as percentile 100.
 */
const POINTS_PER_DECADE = 10;
const DECADES_MAX = 6;

export function percentileLadder(count: number): number[] {
  if (count === 0) return [];
  const decades = Math.min(DECADES_MAX, Math.log10(Math.max(count, 1)));
  const ladder: number[] = [];
  for (let step = 0; step <= decades * POINTS_PER_DECADE; step++) {
    ladder.push(100 * (1 - 10 ** (-step / POINTS_PER_DECADE)));
  }
  if (!ladder.includes(50)) ladder.push(50);
  ladder.sort((a, b) => a - b);
  ladder.push(100);
  return ladder;
}

export function latencyDistribution(histogram: LatencyHistogram): PercentilePoint[] {
  const ladder = percentileLadder(histogram.count);
  const values = histogram.percentiles(ladder);
  return ladder.map((percentile, index) => ({ percentile: Math.round(percentile * 1e6) / 1e6, ms: msFromUs(values[index]!) }));
}

export function environment(startedAt: Date): BenchResult['environment'] {
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: availableParallelism(),
    startedAt: startedAt.toISOString(),
  };
}

export function throughput(records: number, bytes: number, seconds: number): { recordsPerSec: number; mbPerSec: number } {
  return { recordsPerSec: Math.round(records / seconds), mbPerSec: round3(bytes / seconds / 1e6) };
}
