import { describe, expect, test } from 'vitest';
import { HIGHEST_TRACKABLE, HISTOGRAM_PRECISION, LatencyHistogram } from '../../src/cli/bench/histogram.js';
import { Prng } from '../helpers/prng.js';

/** The oracle: nearest-rank percentile of a sorted array (the ⌈p/100 · n⌉-th smallest value). */
function nearestRank(sorted: ReadonlyArray<number>, p: number): number {
  if (p >= 100) return sorted[sorted.length - 1]!;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1]!;
}

/** Integer microseconds spread over eight decades (1 µs .. 100 s), heavier at the low end. */
function wideValues(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => Math.round(10 ** ((prng.nextUint32() / 4_294_967_296) * 8)));
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

/** HdrHistogram's recordValueWithExpectedInterval, written as its plain loop. */
function recordCorrectedNaively(histogram: LatencyHistogram, value: number, interval: number): void {
  histogram.record(value);
  if (interval <= 0 || value <= interval) return;
  for (let missing = value - interval; missing >= interval; missing -= interval) histogram.record(missing);
}

describe('LatencyHistogram', () => {
  test('percentiles match a sorted-array oracle to within one part in 1024, never below it', () => {
    for (const seed of [1, 2, 3]) {
      const prng = new Prng(seed);
      const values = wideValues(prng, 20_000 + seed * 997);
      const histogram = new LatencyHistogram();
      for (const value of values) histogram.record(value);
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of PERCENTILES) {
        const expected = nearestRank(sorted, p);
        const actual = histogram.percentile(p);
        expect(actual, `seed ${seed}, p${p}`).toBeGreaterThanOrEqual(expected);
        expect(actual, `seed ${seed}, p${p}`).toBeLessThanOrEqual(expected * (1 + HISTOGRAM_PRECISION));
      }
    }
  });

  test('values below 2048 are kept exactly', () => {
    const prng = new Prng(7);
    const values = Array.from({ length: 5000 }, () => prng.nextInt(2048));
    const histogram = new LatencyHistogram();
    for (const value of values) histogram.record(value);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of PERCENTILES) expect(histogram.percentile(p)).toBe(nearestRank(sorted, p));
  });

  test('count, min, max and mean are exact', () => {
    const histogram = new LatencyHistogram();
    for (const value of [5, 123_456, 7, 99_999_999]) histogram.record(value);
    expect(histogram.count).toBe(4);
    expect(histogram.min).toBe(5);
    expect(histogram.max).toBe(99_999_999);
    expect(histogram.mean).toBeCloseTo((5 + 123_456 + 7 + 99_999_999) / 4, 6);
    expect(histogram.percentile(100)).toBe(99_999_999);
  });

  test('a value beyond the trackable range lands in the top slot while max stays exact', () => {
    const histogram = new LatencyHistogram();
    histogram.record(10);
    histogram.record(HIGHEST_TRACKABLE * 4);
    expect(histogram.max).toBe(HIGHEST_TRACKABLE * 4);
    expect(histogram.percentile(99)).toBeGreaterThanOrEqual(HIGHEST_TRACKABLE);
    expect(histogram.percentile(50)).toBe(10);
  });

  test('an empty histogram reports zeros', () => {
    const histogram = new LatencyHistogram();
    expect([histogram.count, histogram.min, histogram.max, histogram.mean, histogram.percentile(99)]).toEqual([0, 0, 0, 0, 0]);
    expect(histogram.percentiles([50, 99])).toEqual([0, 0]);
  });

  test('percentiles() in one pass agrees with percentile() at each point', () => {
    const histogram = new LatencyHistogram();
    for (const value of wideValues(new Prng(11), 10_000)) histogram.record(value);
    expect(histogram.percentiles(PERCENTILES)).toEqual(PERCENTILES.map((p) => histogram.percentile(p)));
  });

  test('merging two histograms gives the same samples as recording everything in one', () => {
    const prng = new Prng(5);
    const first = wideValues(prng, 3000);
    const second = wideValues(prng, 4000);
    const left = new LatencyHistogram();
    const right = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (const value of first) (left.record(value), all.record(value));
    for (const value of second) (right.record(value), all.record(value));
    left.merge(right);
    expect(left.snapshot()).toEqual(all.snapshot());
  });

  test('a snapshot rebuilds the same histogram (as a crash child sends it)', () => {
    const histogram = new LatencyHistogram();
    for (const value of wideValues(new Prng(9), 2000)) histogram.record(value);
    const rebuilt = LatencyHistogram.fromSnapshot(JSON.parse(JSON.stringify(histogram.snapshot())));
    expect(rebuilt.percentiles(PERCENTILES)).toEqual(histogram.percentiles(PERCENTILES));
    expect([rebuilt.count, rebuilt.max, rebuilt.min]).toEqual([histogram.count, histogram.max, histogram.min]);
  });

  test('recordCorrected back-fills value − k·interval down to the interval, as HdrHistogram does', () => {
    const prng = new Prng(13);
    const cases: Array<[number, number]> = [
      [100, 1000], // no stall: nothing added
      [5000, 1000],
      [5500, 1000],
      [1_000_000, 1000], // many missing samples: counted slot by slot
      [50_000_000, 7],
    ];
    for (let index = 0; index < 20; index++) cases.push([1 + prng.nextInt(2_000_000), 1 + prng.nextInt(5000)]);
    for (const [value, interval] of cases) {
      const fast = new LatencyHistogram();
      const naive = new LatencyHistogram();
      fast.recordCorrected(value, interval);
      recordCorrectedNaively(naive, value, interval);
      const a = fast.snapshot();
      const b = naive.snapshot();
      expect(a.slots, `value ${value}, interval ${interval}`).toEqual(b.slots);
      expect([a.count, a.max, a.min], `value ${value}, interval ${interval}`).toEqual([b.count, b.max, b.min]);
      expect(a.sum).toBeCloseTo(b.sum, 0);
    }
  });

  test('a closed loop corrected with recordCorrected sees the same distribution as timing from scheduled sends', () => {
    // Requests are due every 1 ms and take 0.1 ms, except that the server stalls for 50 ms at
    // request 500. An open-loop generator sends on schedule and times each request from its
    // scheduled time; a closed loop (one request at a time) sends nothing during the stall and
    // records the stall once, so recordCorrected has to put the hidden samples back.
    const intervalUs = 1000;
    const serviceUs = 100;
    const requests = 2000;
    const stallStartUs = 500 * intervalUs;
    // The stall ends so that stalled requests complete exactly on a tick (50 ms after it began).
    const stallEndUs = stallStartUs + 50_000 - serviceUs;
    const completion = (sentUs: number): number =>
      sentUs >= stallStartUs && sentUs < stallEndUs ? stallEndUs + serviceUs : sentUs + serviceUs;
    const scheduled = new LatencyHistogram();
    for (let request = 0; request < requests; request++) {
      const dueUs = request * intervalUs;
      scheduled.record(completion(dueUs) - dueUs);
    }
    const corrected = new LatencyHistogram();
    let nowUs = 0;
    for (let request = 0; request < requests; request++) {
      const dueUs = request * intervalUs;
      if (dueUs < nowUs) continue; // the closed loop was blocked: this request was never sent
      const doneUs = completion(dueUs);
      corrected.recordCorrected(doneUs - dueUs, intervalUs);
      nowUs = doneUs;
    }
    const uncorrected = new LatencyHistogram();
    nowUs = 0;
    for (let request = 0; request < requests; request++) {
      const dueUs = request * intervalUs;
      if (dueUs < nowUs) continue;
      const doneUs = completion(dueUs);
      uncorrected.record(doneUs - dueUs);
      nowUs = doneUs;
    }
    expect(corrected.snapshot().slots).toEqual(scheduled.snapshot().slots);
    expect(corrected.percentile(99)).toBeGreaterThan(20_000);
    // Without the correction the stall hides below the 99th percentile.
    expect(uncorrected.percentile(99)).toBe(serviceUs);
  });
});
