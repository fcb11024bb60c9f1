import type { BenchConfig } from './bench-options.js';
import { sendAtRate, sendFlatOut } from './generator.js';
import type { PhaseMonitor, PhaseStats } from './monitor.js';
import { RateSchedule } from './rate.js';
import type { BenchProducer } from './target.js';

/**
 * The produce workload. Flat out (no --rate): whole batches of --batch-size records, up to
 * --max-in-flight awaiting acknowledgement; latency is per send, from the send call to its
 * acknowledgement. At a fixed --rate: latency is per record, from its scheduled send time to the
 * acknowledgement of the send that carried it (coordinated omission corrected).
 */
export interface LatencyKind {
  /** What a latency sample measures, for the report. */
  readonly measures: string;
  readonly correctedForCoordinatedOmission: boolean;
}

export function produceLatencyKind(config: BenchConfig): LatencyKind {
  if (config.acks === 0) {
    return {
      measures: 'acks=0: nothing is acknowledged; time to hand each batch to the producer (waiting for buffer space included)',
      correctedForCoordinatedOmission: false,
    };
  }
  if (config.ratePerSec === null) return { measures: 'per batch: send call → acknowledgement', correctedForCoordinatedOmission: false };
  return { measures: 'per record: scheduled send time → acknowledgement', correctedForCoordinatedOmission: true };
}

/** Full batches built from the value pool, so the generator allocates nothing per record. */
export function prebuiltBatches(pool: ReadonlyArray<Buffer>, batchRecords: number): {
  batches: ReadonlyArray<ReadonlyArray<Buffer>>;
  tail: (count: number) => ReadonlyArray<Buffer>;
} {
  const batches = [0, 1, 2, 3].map((shift) => Array.from({ length: batchRecords }, (_, index) => pool[(shift + index) % pool.length]!));
  let tail: Buffer[] | null = null;
  return {
    batches,
    tail: (count) => {
      if (tail === null || tail.length !== count) tail = batches[0]!.slice(0, count);
      return tail;
    },
  };
}

/** Untimed records before the measured ones (--warmup), flat out. */
export async function warmUp(producer: BenchProducer, config: BenchConfig, pool: ReadonlyArray<Buffer>): Promise<void> {
  if (config.warmupRecords === 0 && config.warmupSec === 0) return;
  const { batches, tail } = prebuiltBatches(pool, config.batchRecords);
  const startMs = performance.now();
  await sendFlatOut({
    producer,
    batches,
    tail,
    maxInFlightSends: config.maxInFlight,
    records: config.warmupSec > 0 ? null : config.warmupRecords,
    expired: (nowMs) => config.warmupSec > 0 && nowMs - startMs >= config.warmupSec * 1000,
    onAck: null,
  });
}

export async function produceFlatOut(
  producer: BenchProducer,
  config: BenchConfig,
  monitor: PhaseMonitor,
  pool: ReadonlyArray<Buffer>,
): Promise<PhaseStats> {
  await warmUp(producer, config, pool);
  const { batches, tail } = prebuiltBatches(pool, config.batchRecords);
  const latency = monitor.latency;
  monitor.start();
  const sent = await sendFlatOut({
    producer,
    batches,
    tail,
    maxInFlightSends: config.maxInFlight,
    records: config.records,
    expired: (nowMs) => monitor.expired(nowMs),
    onAck: (count, sentMs) => {
      latency.record((performance.now() - sentMs) * 1000);
      monitor.records += count;
    },
  });
  return monitor.stop(sent * config.recordBytes);
}

/** Records in a fixed-rate run: warm-up (records, or seconds at the rate) and measured. */
export function fixedRateCounts(config: BenchConfig, ratePerSec: number): { warmup: number; measured: number } {
  const warmup = config.warmupRecords + Math.round(config.warmupSec * ratePerSec);
  const measured = config.records ?? Math.max(1, Math.round((config.durationSec ?? 0) * ratePerSec));
  return { warmup, measured };
}

export async function produceAtRate(
  producer: BenchProducer,
  config: BenchConfig,
  monitor: PhaseMonitor,
  pool: ReadonlyArray<Buffer>,
  ratePerSec: number,
): Promise<PhaseStats> {
  const { warmup, measured } = fixedRateCounts(config, ratePerSec);
  const schedule = new RateSchedule(ratePerSec, performance.now(), warmup + measured);
  const latency = monitor.latency;
  let lastAckMs = schedule.startMs;
  await sendAtRate({
    producer,
    schedule,
    warmup,
    monitor,
    maxOutstandingRecords: config.maxInFlight * config.batchRecords,
    valuesFor: (first, count) => {
      const values = new Array<Buffer>(count);
      for (let index = 0; index < count; index++) values[index] = pool[(first + index) % pool.length]!;
      return values;
    },
    onAck: (first, count, ackMs) => {
      lastAckMs = Math.max(lastAckMs, ackMs);
      let measuredCount = 0;
      for (let index = Math.max(first, warmup); index < first + count; index++) {
        latency.record((ackMs - schedule.scheduledMs(index)) * 1000);
        measuredCount++;
      }
      monitor.records += measuredCount;
    },
  });
  return monitor.stop(measured * config.recordBytes, lastAckMs);
}
