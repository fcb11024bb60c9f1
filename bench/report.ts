import { arch, cpus, totalmem } from 'node:os';

/**
 * One JSON object per measurement, on its own line, so runs can be compared by machine.
 * Every measurement carries the machine and Node version it was taken on.
 */
export interface Measurement {
  readonly name: string;
  readonly records?: number;
  readonly recordsPerSec?: number;
  readonly mbPerSec?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly p999Ms?: number;
  readonly baseline?: string;
  readonly ratio?: number;
  readonly [extra: string]: unknown;
}

export interface BenchOptions {
  /** Smoke size: small parameters so CI runs every benchmark and none rots. */
  readonly smoke: boolean;
}

const machine = {
  node: process.version,
  arch: arch(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
};

export function report(measurement: Measurement): void {
  process.stdout.write(`${JSON.stringify({ ...measurement, machine })}\n`);
}

/** Sorted-sample percentile (nearest rank). */
export function percentile(sortedSamples: ArrayLike<number>, fraction: number): number {
  if (sortedSamples.length === 0) return 0;
  const rank = Math.min(sortedSamples.length - 1, Math.max(0, Math.ceil(fraction * sortedSamples.length) - 1));
  return sortedSamples[rank]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return percentile(sorted, 0.5);
}

/** Pick a size: the small one for smoke runs, the large one for real runs. */
export function size<T>(options: BenchOptions, smoke: T, real: T): T {
  return options.smoke ? smoke : real;
}

/** Fold bytes into a checksum that is printed, so no work can be optimised away. */
export function fold(checksum: number, value: number): number {
  return (Math.imul(checksum ^ value, 0x01000193) >>> 0);
}
