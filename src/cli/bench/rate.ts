import { assert } from '../../core/assert.js';

/**
 * Fixed-rate scheduling for open-loop load: record i is due at `startMs + i · 1000 / rate`,
 * whether or not the system under test kept up. A generator sends every record that is due, then
 * sleeps until the next one; latency is measured from the record's scheduled time, not from when
 * it was actually sent, so a stall that delays sending is charged to the records it delayed
 * (coordinated omission corrected by construction, as wrk2 and HdrHistogram's load generators do).
 *
 * Pure: the caller supplies the clock readings.
 */
export class RateSchedule {
  readonly ratePerSec: number;
  readonly startMs: number;
  /** Records in the whole run (warm-up included). */
  readonly total: number;
  readonly #intervalMs: number;

  constructor(ratePerSec: number, startMs: number, total: number) {
    assert(ratePerSec > 0 && Number.isFinite(ratePerSec), `rate ${ratePerSec} must be a positive number`);
    assert(Number.isSafeInteger(total) && total >= 0, `total ${total} must be a count`);
    this.ratePerSec = ratePerSec;
    this.startMs = startMs;
    this.total = total;
    this.#intervalMs = 1000 / ratePerSec;
  }

  /** Milliseconds between two records. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** When record `index` is due. */
  scheduledMs(index: number): number {
    return this.startMs + index * this.#intervalMs;
  }

  /** How many records are due at `nowMs` (records 0..n−1), at most `total`. */
  dueCount(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    const due = Math.floor((nowMs - this.startMs) / this.#intervalMs) + 1;
    return due > this.total ? this.total : due;
  }

  /**
   * How long to wait, from `nowMs`, before record `sent` is due: 0 when it already is.
   * Callers sleep on a timer only when this is more than a timer's resolution (1 ms); otherwise
   * they yield to the event loop and check again.
   */
  waitMs(sent: number, nowMs: number): number {
    const wait = this.scheduledMs(sent) - nowMs;
    return wait > 0 ? wait : 0;
  }
}
