import type { Clock } from '../core/clock.js';
import type { Log } from '../storage/log.js';

/**
 * Kafka's fetch long poll for embedded consumers: answer at once when at least `minBytes` are
 * readable below the high watermarks, else park until an append moves a high watermark far
 * enough, or until `maxWaitMs` passes. Woken by appends (Log.onHighWatermark), never by polling.
 */
export interface FetchPosition {
  readonly log: Log;
  readonly offset: number;
}

/** Bytes readable at the positions, counting up to `enough` (reads stop early once it is reached). */
export function availableBytes(positions: ReadonlyArray<FetchPosition>, enough: number): number {
  let total = 0;
  for (const { log, offset } of positions) {
    if (offset >= log.highWatermark || offset < log.logStartOffset) {
      // Below the start the fetch will answer with an out-of-range reset; count it as available.
      if (offset < log.logStartOffset) return enough;
      continue;
    }
    let at = offset;
    while (at < log.highWatermark && total < enough) {
      const result = log.read(at, Math.max(1, enough - total), log.highWatermark);
      if (result.records.length === 0) break;
      total += result.records.length;
      at = result.nextOffset;
    }
    if (total >= enough) return total;
  }
  return total;
}

export function waitForData(
  positions: ReadonlyArray<FetchPosition>,
  minBytes: number,
  maxWaitMs: number,
  clock: Clock,
  signal?: { aborted: boolean; onAbort?: () => void },
): Promise<void> {
  const enough = Math.max(1, minBytes);
  if (maxWaitMs <= 0 || positions.length === 0 || availableBytes(positions, enough) >= enough) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const unsubscribes: Array<() => void> = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      timer.cancel();
      for (const unsubscribe of unsubscribes) unsubscribe();
      resolve();
    };
    const timer = clock.setTimer(maxWaitMs, finish, { keepAlive: true });
    for (const { log } of positions) {
      unsubscribes.push(
        log.onHighWatermark(() => {
          if (!done && availableBytes(positions, enough) >= enough) finish();
        }),
      );
    }
    if (signal !== undefined) signal.onAbort = finish;
  });
}
