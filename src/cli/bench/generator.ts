import { assert } from '../../core/assert.js';
import type { PhaseMonitor } from './monitor.js';
import { yieldToEventLoop, YIELD_INTERVAL_MS } from './monitor.js';
import type { RateSchedule } from './rate.js';
import type { BenchProducer } from './target.js';

/**
 * The two ways a bench sends records:
 * - flat out (`sendFlatOut`): whole batches back to back, at most `maxInFlightSends` awaiting
 *   their acknowledgement (a closed loop: throughput is what the target sustains);
 * - at a fixed rate (`sendAtRate`): every record that is due by the schedule goes out at once
 *   (an open loop), at most `maxOutstandingRecords` unacknowledged before the generator waits.
 *   Falling behind is measured, not hidden: callers charge latency from the scheduled time.
 *
 * Both yield to the event loop every YIELD_INTERVAL_MS (20 ms) of continuous work, so timers (progress, timeline,
 * linger) fire during the run.
 */

/** A counter of unacknowledged work with a wait for it to drop to a level. */
export class Outstanding {
  #count = 0;
  #limit = 0;
  #wake: (() => void) | null = null;

  get count(): number {
    return this.#count;
  }

  add(amount: number): void {
    this.#count += amount;
  }

  done(amount: number): void {
    this.#count -= amount;
    assert(this.#count >= 0, 'more acknowledgements than sends');
    if (this.#wake !== null && this.#count <= this.#limit) {
      const wake = this.#wake;
      this.#wake = null;
      wake();
    }
  }

  /** Resolve once at most `limit` are outstanding. */
  async atMost(limit: number): Promise<void> {
    while (this.#count > limit) {
      this.#limit = limit;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

export interface FlatOutOptions {
  readonly producer: BenchProducer;
  /** Prebuilt full batches, cycled through; `tail` builds a shorter last one once. */
  readonly batches: ReadonlyArray<ReadonlyArray<Buffer>>;
  readonly tail: (count: number) => ReadonlyArray<Buffer>;
  readonly maxInFlightSends: number;
  /** Stop before sending more than this many records (null: no limit). */
  readonly records: number | null;
  /** Checked before each send: true ends the run (a duration limit). */
  readonly expired: (nowMs: number) => boolean;
  /** Called with each acknowledged send: its record count and when it was sent. */
  readonly onAck: ((count: number, sentMs: number) => void) | null;
}

/** Send flat out; resolves with the records sent once all are acknowledged. */
export async function sendFlatOut(options: FlatOutOptions): Promise<number> {
  const { producer, batches, records, onAck } = options;
  const batchRecords = batches[0]!.length;
  const outstanding = new Outstanding();
  let failure: Error | null = null;
  let sent = 0;
  let batchIndex = 0;
  let lastYieldMs = performance.now();
  while (failure === null) {
    const nowMs = performance.now();
    if ((records !== null && sent >= records) || options.expired(nowMs)) break;
    const count = records === null ? batchRecords : Math.min(batchRecords, records - sent);
    const values = count === batchRecords ? batches[batchIndex++ % batches.length]! : options.tail(count);
    sent += count;
    outstanding.add(1);
    producer.send(values).then(
      () => {
        outstanding.done(1);
        if (onAck !== null) onAck(count, nowMs);
      },
      (error: unknown) => {
        failure ??= error as Error;
        outstanding.done(1);
      },
    );
    await outstanding.atMost(options.maxInFlightSends - 1);
    if (nowMs - lastYieldMs >= YIELD_INTERVAL_MS) {
      lastYieldMs = nowMs;
      await yieldToEventLoop();
    }
  }
  await producer.flush();
  await outstanding.atMost(0);
  if (failure !== null) throw failure;
  return sent;
}

export interface AtRateOptions {
  readonly producer: BenchProducer;
  readonly schedule: RateSchedule;
  /** Records 0..warmup−1 are sent but not measured; timing starts at record `warmup`'s time. */
  readonly warmup: number;
  readonly monitor: PhaseMonitor;
  readonly maxOutstandingRecords: number;
  /** Values of records first..first+count−1. */
  readonly valuesFor: (first: number, count: number) => ReadonlyArray<Buffer>;
  /** Called when records first..first+count−1 are acknowledged, at ackMs. */
  readonly onAck: ((first: number, count: number, ackMs: number) => void) | null;
}

/** Send every record when it is due; resolves once all are acknowledged. */
export async function sendAtRate(options: AtRateOptions): Promise<void> {
  const { producer, schedule, monitor, onAck } = options;
  const outstanding = new Outstanding();
  let failure: Error | null = null;
  let sent = 0;
  let lastYieldMs = performance.now();
  while (sent < schedule.total && failure === null) {
    const nowMs = performance.now();
    if (!monitor.started && sent >= options.warmup) monitor.start(schedule.scheduledMs(options.warmup));
    const due = schedule.dueCount(nowMs);
    if (due > sent) {
      // Never cross the warm-up boundary in one send, so timing starts on time.
      const end = sent < options.warmup && due > options.warmup ? options.warmup : due;
      const first = sent;
      const count = end - sent;
      sent = end;
      outstanding.add(count);
      producer.send(options.valuesFor(first, count)).then(
        () => {
          if (onAck !== null) onAck(first, count, performance.now());
          outstanding.done(count);
        },
        (error: unknown) => {
          failure ??= error as Error;
          outstanding.done(count);
        },
      );
      await outstanding.atMost(options.maxOutstandingRecords);
      if (nowMs - lastYieldMs >= YIELD_INTERVAL_MS) {
        lastYieldMs = nowMs;
        await yieldToEventLoop();
      }
      continue;
    }
    lastYieldMs = nowMs;
    const waitMs = schedule.waitMs(sent, nowMs);
    // A timer fires no sooner than 1 ms; shorter waits spin on the event loop instead.
    if (waitMs > 1.5) await new Promise((resolve) => setTimeout(resolve, Math.floor(waitMs - 0.5)));
    else await yieldToEventLoop();
  }
  if (!monitor.started) monitor.start(schedule.scheduledMs(options.warmup));
  await producer.flush();
  await outstanding.atMost(0);
  if (failure !== null) throw failure;
}
