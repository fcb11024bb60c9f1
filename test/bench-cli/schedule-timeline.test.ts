import { describe, expect, test } from 'vitest';
import { RateSchedule } from '../../src/cli/bench/rate.js';
import { POINTS_MAX, ThroughputTimeline } from '../../src/cli/bench/timeline.js';
import { formatBar, formatProgress, LineProgress } from '../../src/cli/bench/progress.js';

describe('RateSchedule', () => {
  test('record i is due at start + i / rate, and dueCount counts the records due by then', () => {
    const schedule = new RateSchedule(2000, 1000, 10);
    expect(schedule.intervalMs).toBe(0.5);
    expect(schedule.scheduledMs(4)).toBe(1002);
    expect(schedule.dueCount(999)).toBe(0);
    expect(schedule.dueCount(1000)).toBe(1);
    expect(schedule.dueCount(1001.2)).toBe(3);
    expect(schedule.dueCount(5000)).toBe(10);
  });

  test('waitMs says how long until the next record is due, 0 once it is', () => {
    const schedule = new RateSchedule(100, 0, 1000);
    expect(schedule.waitMs(3, 25)).toBe(5);
    expect(schedule.waitMs(3, 31)).toBe(0);
  });
});

describe('ThroughputTimeline', () => {
  test('turns cumulative counts sampled every interval into records/s per interval', () => {
    const timeline = new ThroughputTimeline(1000, 100);
    timeline.sample(1100, 500);
    timeline.sample(1150, 700); // under one interval since the last sample: skipped
    timeline.sample(1200, 1500);
    timeline.sample(1250, 1600, true); // the final sample is always kept
    expect(timeline.points()).toEqual([
      { t: 0.1, recordsPerSec: 5000 },
      { t: 0.2, recordsPerSec: 10_000 },
      { t: 0.25, recordsPerSec: 2000 },
    ]);
  });

  test('a final sample just after the last one is folded into it rather than giving a sliver', () => {
    const timeline = new ThroughputTimeline(0, 100);
    timeline.sample(100, 1000);
    timeline.sample(200, 2000);
    timeline.sample(210, 2100, true);
    expect(timeline.points()).toEqual([
      { t: 0.1, recordsPerSec: 10_000 },
      { t: 0.21, recordsPerSec: 10_000 },
    ]);
  });

  test('keeps at most POINTS_MAX points by merging neighbours, and still covers the whole run', () => {
    const timeline = new ThroughputTimeline(0, 10);
    const samples = POINTS_MAX * 5;
    for (let index = 1; index <= samples; index++) timeline.sample(index * 10, index * 100, index === samples);
    const points = timeline.points();
    expect(points.length).toBeLessThanOrEqual(POINTS_MAX);
    expect(points.length).toBeGreaterThan(POINTS_MAX / 4);
    expect(points[points.length - 1]!.t).toBeCloseTo((samples * 10) / 1000, 3);
    // A steady 10,000 records/s stays 10,000 records/s whatever the merging.
    for (const point of points) expect(point.recordsPerSec).toBe(10_000);
    expect(timeline.intervalMs).toBeGreaterThan(10);
  });
});

describe('progress', () => {
  test('the bar fills in proportion and shows the percentage', () => {
    expect(formatBar(0.5, 10)).toBe('[#####.....]  50%');
    expect(formatBar(1.2, 4)).toBe('[####] 100%');
  });

  test('a progress line names the phase, the count, the rate and the time left', () => {
    const line = formatProgress({ label: 'produce', records: 1_500_000, elapsedSec: 3, fraction: 0.75, recordsPerSec: 500_000 }, false);
    expect(line).toBe('produce  1,500,000 records  500,000 rec/s  elapsed 3.0s  ETA 1.0s');
  });

  test('without a terminal, one plain line per second', () => {
    const written: string[] = [];
    const progress = new LineProgress((text) => written.push(text));
    for (let tenth = 0; tenth <= 25; tenth++) progress.update({ label: 'e2e', records: tenth * 100, elapsedSec: tenth / 10, fraction: null, recordsPerSec: 1000 });
    expect(written).toHaveLength(2);
    expect(written.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});
