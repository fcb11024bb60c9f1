import type { BenchConfig } from './bench-options.js';
import { sendFlatOut } from './generator.js';
import { PhaseMonitor, yieldToEventLoop, YIELD_INTERVAL_MS, type PhaseStats } from './monitor.js';
import type { ProgressSink } from './progress.js';
import { prebuiltBatches } from './produce-phase.js';
import type { BenchProducer, BenchTarget } from './target.js';

/**
 * The consume workload: --records records are produced first, untimed; then, with --warmup, a
 * throwaway consumer reads that many of them untimed, and a consumer of every partition reads all
 * of them from the start, timed. Latency is per poll: the fetch call to the records it returned.
 */
export const CONSUME_LATENCY = { measures: 'per poll: fetch call → records returned', correctedForCoordinatedOmission: false } as const;

/** Polls in a row that find nothing before the reader gives up on records that never came. */
const EMPTY_POLLS_MAX = 50;

export interface ConsumeStats extends PhaseStats {
  readonly lostRecords: number;
}

/** Produce the records a consume run reads, flat out, with progress but no measurement. */
export async function prepareRecords(producer: BenchProducer, config: BenchConfig, pool: ReadonlyArray<Buffer>, progress: ProgressSink): Promise<number> {
  const total = config.records ?? 0;
  const monitor = new PhaseMonitor('prepare (produce, untimed)', { records: total, durationSec: null }, progress);
  const { batches, tail } = prebuiltBatches(pool, config.batchRecords);
  monitor.start();
  const sent = await sendFlatOut({
    producer,
    batches,
    tail,
    maxInFlightSends: config.maxInFlight,
    records: total,
    expired: () => false,
    onAck: (count) => void (monitor.records += count),
  });
  monitor.stop(0);
  return sent;
}

export async function runConsume(target: BenchTarget, topic: string, config: BenchConfig, monitor: PhaseMonitor): Promise<ConsumeStats> {
  const total = config.records ?? 0;
  if (config.warmupRecords > 0) {
    // A throwaway consumer reads the first records untimed (JIT, caches); the timed one then reads
    // all of them from the start, so exactly --records are timed.
    const warm = await target.consumer(topic, config.partitions, 'earliest');
    let warmed = 0;
    let idle = 0;
    while (warmed < Math.min(config.warmupRecords, total) && idle < EMPTY_POLLS_MAX) {
      const count = await warm.poll(null);
      warmed += count;
      idle = count === 0 ? idle + 1 : 0;
    }
    await warm.close();
  }
  const consumer = await target.consumer(topic, config.partitions, 'earliest');
  const latency = monitor.latency;
  let consumed = 0;
  let emptyPolls = 0;
  monitor.start();
  let lastYieldMs = performance.now();
  let lastRecordMs = performance.now();
  while (consumed < total && emptyPolls < EMPTY_POLLS_MAX) {
    const startMs = performance.now();
    const count = await consumer.poll(null);
    const endMs = performance.now();
    if (count > 0) {
      latency.record((endMs - startMs) * 1000);
      consumed += count;
      monitor.records = consumed;
      lastRecordMs = endMs;
      emptyPolls = 0;
    } else {
      emptyPolls++;
    }
    if (endMs - lastYieldMs >= YIELD_INTERVAL_MS) {
      lastYieldMs = endMs;
      await yieldToEventLoop();
    }
  }
  await consumer.close();
  const stats = monitor.stop(consumer.valueBytes, lastRecordMs);
  return { ...stats, lostRecords: Math.max(0, total - consumed) };
}
