import type { BenchConfig } from './bench-options.js';
import { CONSUME_LATENCY, prepareRecords, runConsume } from './consume-phase.js';
import { E2E_LATENCY, runEndToEnd } from './e2e-phase.js';
import { PhaseMonitor, type PhaseStats } from './monitor.js';
import { payloadPool } from './payload.js';
import { produceAtRate, produceFlatOut, produceLatencyKind, type LatencyKind } from './produce-phase.js';
import type { ProgressSink } from './progress.js';
import type { BenchTarget } from './target.js';

/**
 * One run's workload on a target whose topic exists: produce, consume or e2e, by config.mode.
 * A crash run splits it: the child does `producePart` (the measured produce, or the untimed
 * records of a consume run), the parent `consumePart` after reopening.
 */
export interface WorkloadOutcome {
  readonly stats: PhaseStats;
  readonly latencyKind: LatencyKind;
  readonly lostRecords: number;
}

function phaseMonitor(config: BenchConfig, label: string, progress: ProgressSink): PhaseMonitor {
  return new PhaseMonitor(`${label}${config.mode}`, { records: config.records, durationSec: config.durationSec }, progress);
}

/** produce: the measured produce phase; consume: the untimed records it will read (stats null). */
export async function producePart(target: BenchTarget, topic: string, config: BenchConfig, progress: ProgressSink, label: string): Promise<WorkloadOutcome | null> {
  const pool = payloadPool(config.payload, config.recordBytes);
  const producer = target.producer(topic, config);
  if (config.mode === 'consume') {
    await prepareRecords(producer, config, pool, progress);
    return null;
  }
  const monitor = phaseMonitor(config, label, progress);
  const stats =
    config.ratePerSec === null
      ? await produceFlatOut(producer, config, monitor, pool)
      : await produceAtRate(producer, config, monitor, pool, config.ratePerSec);
  return { stats, latencyKind: produceLatencyKind(config), lostRecords: 0 };
}

export async function consumePart(target: BenchTarget, topic: string, config: BenchConfig, progress: ProgressSink, label: string): Promise<WorkloadOutcome> {
  const stats = await runConsume(target, topic, config, phaseMonitor(config, label, progress));
  return { stats, latencyKind: CONSUME_LATENCY, lostRecords: stats.lostRecords };
}

export async function runWorkload(target: BenchTarget, topic: string, config: BenchConfig, progress: ProgressSink, label: string): Promise<WorkloadOutcome> {
  switch (config.mode) {
    case 'produce':
      return (await producePart(target, topic, config, progress, label))!;
    case 'consume':
      await producePart(target, topic, config, progress, label);
      return consumePart(target, topic, config, progress, label);
    case 'e2e': {
      const pool = payloadPool(config.payload, config.recordBytes);
      const stats = await runEndToEnd(target, topic, config, phaseMonitor(config, label, progress), pool, config.ratePerSec ?? 1);
      return { stats, latencyKind: E2E_LATENCY, lostRecords: stats.lostRecords };
    }
  }
}
