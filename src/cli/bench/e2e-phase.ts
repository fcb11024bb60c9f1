import type { BenchConfig } from './bench-options.js';
import { sendAtRate } from './generator.js';
import type { PhaseMonitor, PhaseStats } from './monitor.js';
import { sequencedValues, sequenceOf } from './payload.js';
import { fixedRateCounts } from './produce-phase.js';
import { RateSchedule } from './rate.js';
import type { BenchTarget } from './target.js';

/**
 * End to end: a producer sends at a fixed rate while a consumer reads the same topic. Each
 * record carries its sequence number; its latency is the time the consumer got it minus the
 * time it was SCHEDULED to be sent, so a stalled producer is charged for every record it held
 * back (coordinated omission corrected). Records that never arrive within DRAIN_TIMEOUT_MS of the
 * last acknowledgement are reported as lost.
 */
export const DRAIN_TIMEOUT_MS = 10_000;

export interface EndToEndStats extends PhaseStats {
  readonly lostRecords: number;
}

export const E2E_LATENCY = {
  measures: 'per record: scheduled send time → consumer receipt',
  correctedForCoordinatedOmission: true,
} as const;

export async function runEndToEnd(
  target: BenchTarget,
  topic: string,
  config: BenchConfig,
  monitor: PhaseMonitor,
  pool: ReadonlyArray<Buffer>,
  ratePerSec: number,
): Promise<EndToEndStats> {
  const { warmup, measured } = fixedRateCounts(config, ratePerSec);
  const total = warmup + measured;
  const consumer = await target.consumer(topic, config.partitions, 'latest');
  const producer = target.producer(topic, config);
  const schedule = new RateSchedule(ratePerSec, performance.now(), total);
  const latency = monitor.latency;
  let received = 0;
  let receiptMs = -1;
  let lastReceiptMs = schedule.startMs;
  const visit = (value: Uint8Array | null): void => {
    const sequence = sequenceOf(value);
    if (sequence < 0 || sequence >= total) return;
    // One clock reading per poll: every record of a fetch arrived at the same moment.
    if (receiptMs < 0) receiptMs = performance.now();
    received++;
    if (sequence >= warmup) {
      latency.record((receiptMs - schedule.scheduledMs(sequence)) * 1000);
      monitor.records++;
    }
  };
  let sendingDoneMs = Number.POSITIVE_INFINITY;
  let sendFailed = false;
  const consuming = (async () => {
    while (!sendFailed && received < total && performance.now() - sendingDoneMs < DRAIN_TIMEOUT_MS) {
      receiptMs = -1;
      await consumer.poll(visit);
      if (receiptMs >= 0) lastReceiptMs = receiptMs;
    }
  })();
  let consumeFailure: unknown = null;
  consuming.catch((error: unknown) => void (consumeFailure = error));
  try {
    await sendAtRate({
      producer,
      schedule,
      warmup,
      monitor,
      maxOutstandingRecords: config.maxInFlight * config.batchRecords,
      valuesFor: (first, count) => sequencedValues(pool, config.recordBytes, first, count),
      onAck: null,
    });
  } catch (error) {
    // Stop the consumer too, so the failure ends the run instead of waiting out the drain.
    sendFailed = true;
    await consuming.catch(() => undefined);
    await consumer.close();
    throw error;
  } finally {
    sendingDoneMs = performance.now();
  }
  await consuming.catch(() => undefined);
  await consumer.close();
  if (consumeFailure !== null) throw consumeFailure;
  const stats = monitor.stop(measured * config.recordBytes, Math.max(lastReceiptMs, monitor.startMs + 1));
  return { ...stats, lostRecords: total - received };
}
