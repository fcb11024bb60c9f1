import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Timing helpers shared by the benchmarks that compare inline work with work on the pool:
 * wall time, the main thread's own CPU time (Linux schedstat, so a worker's CPU is not counted),
 * and where a ratio crosses 1 between measured sizes.
 */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** Nanoseconds the main thread has run (Linux schedstat), or null where there is no such file. */
export function mainThreadCpuNs(): number | null {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

export interface Timed {
  readonly wallMs: number;
  /** The main thread's CPU; wall time where schedstat is missing. */
  readonly mainCpuMs: number;
  /** Every thread's CPU (process.cpuUsage). */
  readonly cpuMs: number;
}

export async function timed(action: () => Promise<void>): Promise<Timed> {
  const mainStart = mainThreadCpuNs();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await action();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const mainEnd = mainThreadCpuNs();
  const mainCpuMs = mainStart === null || mainEnd === null ? wallMs : (mainEnd - mainStart) / 1e6;
  return { wallMs, mainCpuMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Interpolate (in log size) where ratio(size) crosses 1 between the last loss and first win. */
export function crossover(points: ReadonlyArray<{ size: number; ratio: number }>): number | null {
  for (let index = 0; index < points.length; index++) {
    const point = points[index]!;
    if (point.ratio < 1) continue;
    if (index === 0) return point.size;
    const previous = points[index - 1]!;
    const fraction = (0 - Math.log(previous.ratio)) / (Math.log(point.ratio) - Math.log(previous.ratio));
    return Math.round(Math.exp(Math.log(previous.size) + fraction * (Math.log(point.size) - Math.log(previous.size))));
  }
  return null;
}

/** Three significant digits. */
export function round3(value: number, digits = 3): number {
  return Number(value.toPrecision(digits));
}
