import type { BenchResult } from './result.js';
import { alignRows } from '../output.js';

/**
 * The end-of-run summary as aligned text columns, and the list of metrics it shows (compare.ts
 * and the HTML report use the same list). Pure.
 */
export interface Metric {
  readonly key: string;
  readonly label: string;
  /** The value, or null when not measured in this run. */
  readonly get: (result: BenchResult) => number | null;
  readonly format: (value: number) => string;
  /** True when a larger value is better (throughput), false when smaller is (latency, disk). */
  readonly higherIsBetter: boolean;
}

export const formatInteger = (value: number): string => Math.round(value).toLocaleString('en-US');
const formatMs = (value: number): string => value.toFixed(3);
const formatFixed = (digits: number) => (value: number): string => value.toFixed(digits);

export function formatBytes(value: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(scaled)} B` : `${scaled.toFixed(1)} ${units[unit]}`;
}

export const METRICS: ReadonlyArray<Metric> = [
  { key: 'recordsPerSec', label: 'records/s', get: (r) => r.recordsPerSec, format: formatInteger, higherIsBetter: true },
  { key: 'mbPerSec', label: 'MB/s (values)', get: (r) => r.mbPerSec, format: formatFixed(1), higherIsBetter: true },
  { key: 'records', label: 'records', get: (r) => r.records, format: formatInteger, higherIsBetter: true },
  { key: 'seconds', label: 'seconds', get: (r) => r.seconds, format: formatFixed(3), higherIsBetter: false },
  { key: 'latency.p50', label: 'latency p50 ms', get: (r) => (r.latency.count === 0 ? null : r.latency.p50), format: formatMs, higherIsBetter: false },
  { key: 'latency.p90', label: 'latency p90 ms', get: (r) => (r.latency.count === 0 ? null : r.latency.p90), format: formatMs, higherIsBetter: false },
  { key: 'latency.p99', label: 'latency p99 ms', get: (r) => (r.latency.count === 0 ? null : r.latency.p99), format: formatMs, higherIsBetter: false },
  { key: 'latency.p999', label: 'latency p99.9 ms', get: (r) => (r.latency.count === 0 ? null : r.latency.p999), format: formatMs, higherIsBetter: false },
  { key: 'latency.max', label: 'latency max ms', get: (r) => (r.latency.count === 0 ? null : r.latency.max), format: formatMs, higherIsBetter: false },
  { key: 'lostRecords', label: 'lost records', get: (r) => (r.mode === 'produce' ? null : r.lostRecords), format: formatInteger, higherIsBetter: false },
  { key: 'diskBytes', label: 'disk used', get: (r) => r.diskBytes, format: formatBytes, higherIsBetter: false },
  { key: 'segments', label: 'segments', get: (r) => r.segments, format: formatInteger, higherIsBetter: false },
  { key: 'files', label: 'files', get: (r) => r.files, format: formatInteger, higherIsBetter: false },
  { key: 'openFiles', label: 'open files', get: (r) => r.openFiles, format: formatInteger, higherIsBetter: false },
  { key: 'recoveryMs', label: 'recovery ms', get: (r) => r.recoveryMs, format: formatFixed(1), higherIsBetter: false },
  { key: 'segmentsRecovered', label: 'segments recovered', get: (r) => r.segmentsRecovered, format: formatInteger, higherIsBetter: false },
];

/** Rows of cells → text with every column padded to its widest cell (numbers right-aligned). */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string>>, rightAligned: ReadonlyArray<boolean>): string {
  return alignRows(rows, rightAligned).join('\n');
}

/** One line naming the workload: mode, target and the settings that shape it. */
export function describeRun(result: BenchResult): string {
  const p = result.parameters;
  const size = p.records !== null ? `${formatInteger(p.records)} records` : `${p.durationSec} s`;
  const parts = [
    p.mode,
    result.target === 'embedded' ? 'embedded' : `broker ${p.bootstrapServer ?? ''}`,
    `${size} × ${p.recordBytes} B`,
    p.ratePerSec === null ? 'flat out' : `${formatInteger(p.ratePerSec)} rec/s`,
    `batch ${p.batchRecords}`,
    `linger ${p.lingerMs} ms`,
    `${p.partitions} partition${p.partitions === 1 ? '' : 's'}`,
    p.compression,
    `acks ${p.acks}`,
  ];
  if (result.target === 'embedded') parts.push(p.durability, `workers ${p.workers}`);
  const settings = Object.entries(p.topicConfig).map(([key, value]) => `${key}=${value}`);
  if (settings.length > 0) parts.push(settings.join(' '));
  return parts.join(' · ');
}

export function summaryTable(result: BenchResult): string {
  const rows: string[][] = [['metric', 'value']];
  for (const metric of METRICS) {
    const value = metric.get(result);
    if (value === null) continue;
    rows.push([metric.label, metric.format(value)]);
  }
  const lines = [`brook bench: ${describeRun(result)}`, formatTable(rows, [false, true]), `latency: ${result.latency.measures}${result.latency.correctedForCoordinatedOmission ? ' (coordinated omission corrected)' : ''}`];
  if (result.lostRecords > 0) lines.push(`warning: ${formatInteger(result.lostRecords)} records were sent but never consumed`);
  return `${lines.join('\n')}\n`;
}
