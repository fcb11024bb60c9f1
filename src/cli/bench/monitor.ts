import { LatencyHistogram } from './histogram.js';
import type { ProgressSink } from './progress.js';
import { ThroughputTimeline, type TimelinePoint } from './timeline.js';

/**
 * The measuring side of one timed phase: a record counter the workload bumps (a plain field, no
 * call per record), a latency histogram (microseconds), and a 25 ms timer that samples the
 * counter into the throughput timeline and feeds the progress display.
 *
 * Workloads that keep the event loop busy must yield to it every YIELD_INTERVAL_MS, or the timer
 * would not fire until the phase ended.
 */
export const SAMPLE_INTERVAL_MS = 25;
/** The timeline starts fine-grained (a sub-second run still gets a curve) and coarsens as it grows. */
const TIMELINE_INTERVAL_MS = 25;
/** Workloads that keep the event loop busy yield to it this often, so timers fire during a run. */
export const YIELD_INTERVAL_MS = 20;

export interface PhaseGoal {
  /** Records in the phase, or null when it runs for durationSec. */
  readonly records: number | null;
  readonly durationSec: number | null;
}

export interface PhaseStats {
  readonly records: number;
  readonly valueBytes: number;
  readonly seconds: number;
  readonly latency: LatencyHistogram;
  readonly timeline: TimelinePoint[];
}

export class PhaseMonitor {
  /** Records done in the timed phase; workloads add to it. */
  records = 0;
  readonly latency = new LatencyHistogram();
  readonly #label: string;
  readonly #goal: PhaseGoal;
  readonly #progress: ProgressSink;
  #startMs = 0;
  #endMs = 0;
  #timeline: ThroughputTimeline | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastSampleMs = 0;
  #lastSampleRecords = 0;
  #rate = 0;

  constructor(label: string, goal: PhaseGoal, progress: ProgressSink) {
    this.#label = label;
    this.#goal = goal;
    this.#progress = progress;
  }

  get started(): boolean {
    return this.#timeline !== null;
  }

  get startMs(): number {
    return this.#startMs;
  }

  /** Start timing (at `atMs`, default now: a fixed-rate run starts at a scheduled time). */
  start(atMs = performance.now()): void {
    this.#startMs = atMs;
    this.#lastSampleMs = atMs;
    this.#timeline = new ThroughputTimeline(atMs, TIMELINE_INTERVAL_MS);
    this.#timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    // Progress sampling never keeps the process alive: a run that fails still exits.
    this.#timer.unref();
  }

  /** Seconds since start. */
  elapsedSec(nowMs = performance.now()): number {
    return (nowMs - this.#startMs) / 1000;
  }

  /** True once a duration-limited phase has run its time. */
  expired(nowMs = performance.now()): boolean {
    return this.#goal.durationSec !== null && this.elapsedSec(nowMs) >= this.#goal.durationSec;
  }

  sample(nowMs = performance.now()): void {
    if (this.#timeline === null) return;
    this.#timeline.sample(nowMs, this.records);
    if (nowMs - this.#lastSampleMs >= 500) {
      this.#rate = ((this.records - this.#lastSampleRecords) * 1000) / (nowMs - this.#lastSampleMs);
      this.#lastSampleMs = nowMs;
      this.#lastSampleRecords = this.records;
    }
    const elapsedSec = this.elapsedSec(nowMs);
    const fraction =
      this.#goal.records !== null
        ? this.records / this.#goal.records
        : this.#goal.durationSec !== null
          ? elapsedSec / this.#goal.durationSec
          : null;
    const recordsPerSec = this.#rate > 0 ? this.#rate : this.records / Math.max(elapsedSec, 1e-3);
    this.#progress.update({ label: this.#label, records: this.records, elapsedSec, fraction, recordsPerSec });
  }

  /** Stop timing at `atMs` (default now) and return what was measured. */
  stop(valueBytes: number, atMs = performance.now()): PhaseStats {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#endMs = atMs;
    this.#timeline?.sample(atMs, this.records, true);
    this.#progress.finish();
    return {
      records: this.records,
      valueBytes,
      seconds: Math.max(1e-6, (this.#endMs - this.#startMs) / 1000),
      latency: this.latency,
      timeline: this.#timeline?.points() ?? [],
    };
  }
}

/** Let timers and I/O callbacks run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
