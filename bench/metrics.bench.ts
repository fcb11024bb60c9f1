import { Broker } from '../src/broker/broker.js';
import { BrookMetrics } from '../src/metrics/brook-metrics.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import { median, report, size, type BenchOptions } from './report.js';

/**
 * What metrics cost on the append and read paths (`npm run bench -- metrics`): the same appends
 * and reads of small batches (10 records of 100 B, so per-batch costs show) with nobody
 * listening, and with a BrookMetrics registry subscribed to the diagnostics channels. The two run
 * in alternating rounds in one process; figures are medians, the ratio is with/without.
 */
const RECORDS_PER_BATCH = 10;

async function round(batches: number, batch: Buffer, withMetrics: boolean): Promise<{ appendPerSec: number; readPerSec: number }> {
  const broker = await Broker.open({ scheduleTasks: false });
  await broker.createTopic('metrics-bench', { partitions: 1 });
  const metrics = withMetrics ? await BrookMetrics.create(broker) : null;
  const appendStarted = performance.now();
  const pending: Array<Promise<unknown>> = [];
  for (let index = 0; index < batches; index++) {
    pending.push(broker.append('metrics-bench', 0, batch));
    if (pending.length >= 64) await pending.shift();
  }
  await Promise.all(pending);
  const appendSec = (performance.now() - appendStarted) / 1000;
  const readStarted = performance.now();
  let offset = 0;
  const end = broker.log('metrics-bench', 0).logEndOffset;
  while (offset < end) offset = broker.read('metrics-bench', 0, offset, batch.length).nextOffset;
  const readSec = (performance.now() - readStarted) / 1000;
  if (metrics !== null) {
    const text = await metrics.metrics();
    if (!text.includes('brook_records_in_total{topic="metrics-bench"}')) throw new Error('metrics did not count the appends');
    metrics.close();
  }
  await broker.close();
  return { appendPerSec: batches / appendSec, readPerSec: batches / readSec };
}

export async function run(options: BenchOptions): Promise<void> {
  const batches = size(options, 2_000, 100_000);
  const rounds = size(options, 1, 7);
  const value = Buffer.alloc(100, 'v');
  const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value })), {});
  const without: Array<{ appendPerSec: number; readPerSec: number }> = [];
  const withMetrics: Array<{ appendPerSec: number; readPerSec: number }> = [];
  await round(Math.min(batches, 10_000), batch, false); // warm-up
  for (let index = 0; index < rounds; index++) {
    without.push(await round(batches, batch, false));
    withMetrics.push(await round(batches, batch, true));
  }
  for (const path of ['appendPerSec', 'readPerSec'] as const) {
    const base = median(without.map((result) => result[path]));
    const measured = median(withMetrics.map((result) => result[path]));
    const name = path === 'appendPerSec' ? 'append' : 'read';
    report({ name: `metrics: ${name}, nobody listening`, batchesPerSec: Math.round(base), recordsPerSec: Math.round(base * RECORDS_PER_BATCH), rounds });
    report({
      name: `metrics: ${name}, BrookMetrics subscribed`,
      batchesPerSec: Math.round(measured),
      recordsPerSec: Math.round(measured * RECORDS_PER_BATCH),
      baseline: `metrics: ${name}, nobody listening`,
      ratio: Math.round((measured / base) * 1000) / 1000,
      rounds,
    });
  }
}
