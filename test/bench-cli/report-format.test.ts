import { describe, expect, test } from 'vitest';
import { resolveBenchConfig } from '../../src/cli/bench/bench-options.js';
import { compareMetrics, median, representative } from '../../src/cli/bench/compare.js';
import { LatencyHistogram } from '../../src/cli/bench/histogram.js';
import { renderReport, scriptJson } from '../../src/cli/bench/html-report.js';
import { latencyDistribution, percentileLadder, summariseLatency, type BenchResult } from '../../src/cli/bench/result.js';
import { formatTable, summaryTable } from '../../src/cli/bench/summary.js';
import { Flags } from '../../src/cli/command.js';

function result(recordsPerSec: number, latenciesUs: ReadonlyArray<number>, extra: Partial<BenchResult> = {}): BenchResult {
  const histogram = new LatencyHistogram();
  for (const value of latenciesUs) histogram.record(value);
  return {
    mode: 'produce',
    target: 'embedded',
    topic: 'brook-bench-test',
    parameters: resolveBenchConfig(new Flags('bench', {})),
    records: 1000,
    bytes: 100_000,
    seconds: 1000 / recordsPerSec,
    recordsPerSec,
    mbPerSec: (recordsPerSec * 100) / 1e6,
    latency: summariseLatency(histogram, { measures: 'per batch: send call → acknowledgement', correctedForCoordinatedOmission: false }),
    latencyDistribution: latencyDistribution(histogram),
    timeline: [{ t: 0.5, recordsPerSec }],
    lostRecords: 0,
    diskBytes: 4096,
    apparentBytes: 4000,
    segments: 1,
    files: 5,
    openFiles: 20,
    recoveryMs: null,
    segmentsRecovered: null,
    recovery: null,
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, startedAt: '2026-01-01T00:00:00.000Z' },
    ...extra,
  };
}

describe('summary table', () => {
  test('columns are padded to their widest cell, numbers right-aligned', () => {
    expect(formatTable([['metric', 'value'], ['records/s', '1,234'], ['p99 ms', '0.5']], [false, true])).toBe(
      ['metric     value', 'records/s  1,234', 'p99 ms       0.5'].join('\n'),
    );
  });

  test('shows measured metrics and leaves out those not measured (recovery without --measure-recovery)', () => {
    const text = summaryTable(result(500_000, [1000, 2000, 3000]));
    expect(text).toMatch(/records\/s\s+500,000/);
    expect(text).toMatch(/latency p99 ms\s+3\.000/);
    expect(text).not.toContain('recovery ms');
    expect(text).toContain('latency: per batch: send call → acknowledgement');
  });
});

describe('compare', () => {
  test('each metric is the median of its side, and the ratio is B/A', () => {
    const runsA = [result(100, [1000]), result(300, [3000]), result(200, [2000])];
    const runsB = [result(400, [1000]), result(500, [1000]), result(600, [1000])];
    const metrics = compareMetrics(runsA, runsB);
    const rate = metrics.find((metric) => metric.key === 'recordsPerSec')!;
    expect(rate).toMatchObject({ a: 200, b: 500, ratio: 2.5 });
    const p99 = metrics.find((metric) => metric.key === 'latency.p99')!;
    expect(p99).toMatchObject({ a: 2, b: 1, ratio: 0.5 });
    expect(metrics.some((metric) => metric.key === 'recoveryMs')).toBe(false);
  });

  test('median of an even count is the mean of the middle two; the representative run has the median throughput', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(representative([result(100, [1]), result(300, [1]), result(200, [1])]).recordsPerSec).toBe(200);
  });
});

describe('percentile ladder', () => {
  test('climbs from 0 towards 100 evenly on the 1/(1 − p) scale, includes p50/p90/p99 and ends with the max', () => {
    const ladder = percentileLadder(100_000);
    expect(ladder[0]).toBe(0);
    expect(ladder[ladder.length - 1]).toBe(100);
    for (let index = 1; index < ladder.length; index++) expect(ladder[index]!).toBeGreaterThan(ladder[index - 1]!);
    for (const p of [50, 90, 99, 99.9]) expect(ladder.some((value) => Math.abs(value - p) < 1e-9)).toBe(true);
    expect(ladder.filter((value) => value < 100).every((value) => value <= 99.999 + 1e-9)).toBe(true);
  });
});

describe('HTML report', () => {
  test('is one self-contained page: inline script and style, no URL fetched', () => {
    const html = renderReport({
      title: 'brook bench: produce',
      generatedAt: 'now',
      series: [{ name: 'run', description: 'produce', timeline: [{ t: 1, recordsPerSec: 10 }], distribution: [{ percentile: 50, ms: 1 }], latencyCount: 1, latencyMeasures: 'x' }],
      table: [['metric', 'value'], ['records/s', '10']],
      notes: [],
    });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('id="throughput-chart"');
    expect(html).toContain('id="latency-chart"');
    expect(html).toContain('document.body.dataset.rendered');
  });

  test('text from the run cannot break out of the page: names are escaped, embedded JSON cannot close its script', () => {
    const nasty = '</script><img src=x onerror=alert(1)>';
    const html = renderReport({ title: nasty, generatedAt: 'now', series: [{ name: nasty, description: nasty, timeline: [], distribution: [], latencyCount: 0, latencyMeasures: nasty }], table: [['metric', nasty]], notes: [nasty] });
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('<img');
    expect(JSON.parse(scriptJson({ name: nasty }))).toEqual({ name: nasty });
  });
});
