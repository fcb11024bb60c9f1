import { assert } from '../../core/assert.js';

/**
 * Throughput over time: the cumulative record count sampled at (roughly) fixed intervals and
 * turned into records/s per interval. Memory is bounded: once POINTS_MAX samples are held, pairs
 * of neighbours are merged and the sampling interval doubles, so an hour-long run keeps the same
 * number of points as a ten-second one, each covering more time.
 *
 * Pure: the caller passes the time of each sample.
 */
export const POINTS_MAX = 400;

export interface TimelinePoint {
  /** Seconds since the phase started, at the end of the interval. */
  readonly t: number;
  readonly recordsPerSec: number;
}

export class ThroughputTimeline {
  #intervalMs: number;
  readonly #startMs: number;
  /** End time (ms since start) and cumulative records at each sample; index 0 is the start. */
  #timesMs: number[] = [0];
  #records: number[] = [0];

  constructor(startMs: number, intervalMs: number) {
    assert(intervalMs > 0, `interval ${intervalMs} must be positive`);
    this.#startMs = startMs;
    this.#intervalMs = intervalMs;
  }

  /** Current sampling interval (doubles when the point budget is used up). */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /**
   * Offer a sample: kept when at least one interval passed since the last kept one.
   * `force` keeps it regardless (the final sample at the end of the phase).
   */
  sample(nowMs: number, cumulativeRecords: number, force = false): void {
    const elapsedMs = nowMs - this.#startMs;
    const lastMs = this.#timesMs[this.#timesMs.length - 1]!;
    if (elapsedMs <= lastMs) return;
    if (!force && elapsedMs - lastMs < this.#intervalMs) return;
    if (force && elapsedMs - lastMs < this.#intervalMs / 2 && this.#timesMs.length > 1) {
      // A final sliver would give a noisy rate over a few milliseconds: fold it into the last interval.
      this.#timesMs[this.#timesMs.length - 1] = elapsedMs;
      this.#records[this.#records.length - 1] = cumulativeRecords;
      return;
    }
    this.#timesMs.push(elapsedMs);
    this.#records.push(cumulativeRecords);
    if (this.#timesMs.length > POINTS_MAX + 1) this.#halve();
  }

  /** Keep every other sample (the start always stays), doubling the interval. */
  #halve(): void {
    const times: number[] = [0];
    const records: number[] = [0];
    const last = this.#timesMs.length - 1;
    for (let index = 2; index <= last; index += 2) {
      times.push(this.#timesMs[index]!);
      records.push(this.#records[index]!);
    }
    if (last % 2 === 1) {
      times.push(this.#timesMs[last]!);
      records.push(this.#records[last]!);
    }
    this.#timesMs = times;
    this.#records = records;
    this.#intervalMs *= 2;
  }

  points(): TimelinePoint[] {
    const out: TimelinePoint[] = [];
    for (let index = 1; index < this.#timesMs.length; index++) {
      const seconds = (this.#timesMs[index]! - this.#timesMs[index - 1]!) / 1000;
      const records = this.#records[index]! - this.#records[index - 1]!;
      out.push({ t: round3(this.#timesMs[index]! / 1000), recordsPerSec: Math.round(records / seconds) });
    }
    return out;
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
