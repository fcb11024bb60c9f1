import { assert } from '../../core/assert.js';

/**
 * A latency histogram in the manner of HdrHistogram (Gil Tene): values are integers (Brook's bench
 * records microseconds) kept in log-linear buckets, so every value is held to 3 significant
 * decimal digits whatever its magnitude, in fixed memory, with O(1) recording and no allocation.
 *
 * Layout (HdrHistogram's, with unit magnitude 0):
 * - SUB_BUCKET_COUNT = 2048 sub-buckets (the smallest power of two ≥ 2 × 10^3), so two values in
 *   the same slot differ by less than 1 part in 1024 (0.1%).
 * - Bucket 0 holds 0..2047 exactly. Bucket b ≥ 1 holds [1024·2^b, 2048·2^b) in 1024 slots of
 *   width 2^b. The counts array index of a value is (b + 1)·1024 + (sub-bucket − 1024).
 * - Values above HIGHEST_TRACKABLE (2^36 µs ≈ 19 hours) are clamped into the last slot; `max` still
 *   holds the exact largest value recorded.
 *
 * Percentiles follow HdrHistogram's getValueAtPercentile: the highest value equivalent to the
 * slot in which the cumulative count reaches ⌈p/100 · count⌉ (at least 1), capped at `max`.
 *
 * `recordCorrected(value, expectedInterval)` is HdrHistogram's recordValueWithExpectedInterval:
 * when a measurement loop that should take one sample every `expectedInterval` was stalled for
 * `value`, the samples it failed to take while stalled are back-filled as value − interval,
 * value − 2·interval, … down to interval (coordinated-omission correction after the fact).
 */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE; // 1024
const SUB_BUCKET_COUNT = 2 * SUB_BUCKET_HALF_COUNT; // 2048
/** Largest value kept apart from its neighbours: 2^36 µs ≈ 19 hours. */
export const HIGHEST_TRACKABLE = 2 ** 36;
/** Buckets needed so that the last one reaches HIGHEST_TRACKABLE: 2048 · 2^(BUCKET_COUNT − 1) > 2^36. */
const BUCKET_COUNT = 36 - Math.log2(SUB_BUCKET_COUNT) + 2; // 27
const COUNTS_LENGTH = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;
/** Relative error of any recorded value's slot: 1 part in 1024. */
export const HISTOGRAM_PRECISION = 1 / SUB_BUCKET_HALF_COUNT;

assert(SUB_BUCKET_COUNT >= 2 * 1000, 'sub-buckets must resolve 3 significant decimal digits');
assert(SUB_BUCKET_COUNT * 2 ** (BUCKET_COUNT - 1) > HIGHEST_TRACKABLE, 'the last bucket must reach HIGHEST_TRACKABLE');

/** Position of the highest set bit of a positive safe integer (floor(log2)), computed exactly. */
function highestBit(value: number): number {
  if (value >= 0x1_0000_0000) return 63 - Math.clz32(Math.floor(value / 0x1_0000_0000));
  return 31 - Math.clz32(value);
}

/** Index into the counts array of a value in [0, HIGHEST_TRACKABLE]. */
function countsIndex(value: number): number {
  if (value < SUB_BUCKET_COUNT) return value;
  const bucket = highestBit(value) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
  const subBucket = Math.floor(value / 2 ** bucket);
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (subBucket - SUB_BUCKET_HALF_COUNT);
}

/** The lowest value that lands in a slot, and the slot's width. */
function slotLowest(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  const subBucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  return subBucket * 2 ** bucket;
}

function slotWidth(index: number): number {
  return index < SUB_BUCKET_COUNT ? 1 : 2 ** ((index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1);
}

export interface HistogramSnapshot {
  /** [counts index, count] of every non-empty slot. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
  readonly count: number;
  readonly max: number;
  readonly min: number;
  readonly sum: number;
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(COUNTS_LENGTH);
  #count = 0;
  #max = 0;
  #min = Number.POSITIVE_INFINITY;
  #sum = 0;

  get count(): number {
    return this.#count;
  }

  /** Exact largest value recorded (0 when empty). */
  get max(): number {
    return this.#max;
  }

  /** Exact smallest value recorded (0 when empty). */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** Record `count` occurrences of a value; negative values count as 0, fractions are rounded. */
  record(value: number, count = 1): void {
    const rounded = value > 0 ? Math.round(value) : 0;
    const clamped = rounded > HIGHEST_TRACKABLE ? HIGHEST_TRACKABLE : rounded;
    this.#counts[countsIndex(clamped)]! += count;
    this.#count += count;
    this.#sum += rounded * count;
    if (rounded > this.#max) this.#max = rounded;
    if (rounded < this.#min) this.#min = rounded;
  }

  /**
   * Record a value measured by a loop that expected one sample every `expectedInterval`, and
   * back-fill the samples a stall of that length hid (HdrHistogram's recordValueWithExpectedInterval).
   * The back-fill adds counts slot by slot when that is shorter than value by value, so one huge
   * stall costs at most one pass over the counts.
   */
  recordCorrected(value: number, expectedInterval: number): void {
    this.record(value);
    if (!(expectedInterval > 0)) return;
    const rounded = Math.round(value);
    const interval = Math.round(expectedInterval);
    if (interval <= 0 || rounded <= interval) return;
    // Missing samples: rounded − k·interval for k = 1..n, all ≥ interval.
    const n = Math.floor(rounded / interval) - 1;
    if (n <= 0) return;
    const lowIndex = countsIndex(Math.min(rounded - n * interval, HIGHEST_TRACKABLE));
    const highIndex = countsIndex(Math.min(rounded - interval, HIGHEST_TRACKABLE));
    if (n <= highIndex - lowIndex + 1) {
      for (let missing = rounded - interval; missing >= interval; missing -= interval) this.record(missing);
      return;
    }
    for (let index = lowIndex; index <= highIndex; index++) {
      const low = slotLowest(index);
      const high = index === highIndex && rounded - interval >= HIGHEST_TRACKABLE ? Number.MAX_SAFE_INTEGER : low + slotWidth(index) - 1;
      // k such that low ≤ rounded − k·interval ≤ high, within 1..n.
      const kFirst = Math.max(1, Math.ceil((rounded - high) / interval));
      const kLast = Math.min(n, Math.floor((rounded - low) / interval));
      if (kLast < kFirst) continue;
      const terms = kLast - kFirst + 1;
      // Sum of the terms, for the mean: terms · rounded − interval · (kFirst + … + kLast).
      const termsSum = terms * rounded - (interval * terms * (kFirst + kLast)) / 2;
      this.#counts[index]! += terms;
      this.#count += terms;
      this.#sum += termsSum;
    }
    // The smallest missing value is ≥ interval > 0; the largest is below `rounded`, already the max.
    if (rounded - n * interval < this.#min) this.#min = rounded - n * interval;
  }

  /**
   * The value at percentile `p` (0..100): the highest value equivalent to the slot where the
   * cumulative count first reaches ⌈p/100 · count⌉, capped at the exact max. 0 when empty.
   */
  percentile(p: number): number {
    assert(p >= 0 && p <= 100, `percentile ${p} must be in [0, 100]`);
    if (this.#count === 0) return 0;
    if (p >= 100) return this.#max;
    const target = Math.max(1, Math.ceil((p / 100) * this.#count - 1e-9));
    let cumulative = 0;
    for (let index = 0; index < COUNTS_LENGTH; index++) {
      cumulative += this.#counts[index]!;
      if (cumulative >= target) {
        const highest = slotLowest(index) + slotWidth(index) - 1;
        return Math.max(this.min, Math.min(highest, this.#max));
      }
    }
    return this.#max;
  }

  /**
   * Several percentiles in one pass over the counts; `ps` must be ascending. Used for the report's
   * percentile curve, where each point would otherwise rescan the array.
   */
  percentiles(ps: ReadonlyArray<number>): number[] {
    const out: number[] = [];
    if (this.#count === 0) return ps.map(() => 0);
    let cumulative = 0;
    let index = -1;
    for (const p of ps) {
      assert(p >= 0 && p <= 100, `percentile ${p} must be in [0, 100]`);
      if (p >= 100) {
        out.push(this.#max);
        continue;
      }
      const target = Math.max(1, Math.ceil((p / 100) * this.#count - 1e-9));
      while (cumulative < target && index < COUNTS_LENGTH - 1) cumulative += this.#counts[++index]!;
      const highest = slotLowest(index) + slotWidth(index) - 1;
      out.push(Math.max(this.min, Math.min(highest, this.#max)));
    }
    return out;
  }

  /** Add another histogram's samples to this one. */
  merge(other: LatencyHistogram): void {
    const counts = other.#counts;
    for (let index = 0; index < COUNTS_LENGTH; index++) {
      const count = counts[index]!;
      if (count !== 0) this.#counts[index]! += count;
    }
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#max > this.#max) this.#max = other.#max;
    if (other.#count > 0 && other.#min < this.#min) this.#min = other.#min;
  }

  /** The samples as plain data (non-zero slots only), e.g. to send from a child process. */
  snapshot(): HistogramSnapshot {
    const slots: Array<[number, number]> = [];
    for (let index = 0; index < COUNTS_LENGTH; index++) {
      const count = this.#counts[index]!;
      if (count !== 0) slots.push([index, count]);
    }
    return { slots, count: this.#count, max: this.#max, min: this.min, sum: this.#sum };
  }

  static fromSnapshot(snapshot: HistogramSnapshot): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [index, count] of snapshot.slots) {
      assert(Number.isSafeInteger(index) && index >= 0 && index < COUNTS_LENGTH, `histogram slot ${index} is out of range`);
      histogram.#counts[index] = count;
    }
    histogram.#count = snapshot.count;
    histogram.#max = snapshot.max;
    histogram.#min = snapshot.count === 0 ? Number.POSITIVE_INFINITY : snapshot.min;
    histogram.#sum = snapshot.sum;
    return histogram;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#sum = 0;
  }
}
