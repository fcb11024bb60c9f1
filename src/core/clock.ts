/**
 * Time as a dependency: wall-clock milliseconds and timers. The broker, the group coordinator and
 * consumers take a Clock so that tests drive time by hand (ManualClock) instead of sleeping.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface TimerOptions {
  readonly keepAlive?: boolean;
}

export interface Clock {
  nowMs(): number;
  /**
   * Run `callback` once after `delayMs`. Background timers (heartbeats, session timeouts,
   * maintenance) do not keep the process alive; pass `keepAlive` for a timer that stands for
   * work someone awaits (a long poll, linger, a retry backoff), which must not let the process exit.
   */
  setTimer(delayMs: number, callback: () => void, options?: TimerOptions): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs, callback, options) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    if (options?.keepAlive !== true) timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface ManualTimer {
  readonly dueMs: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; due timers fire in order during advance(). */
export class ManualClock implements Clock {
  #nowMs: number;
  #timers: ManualTimer[] = [];
  #sequence = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: ManualTimer = { dueMs: this.#nowMs + Math.max(0, delayMs), sequence: this.#sequence++, callback, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Move time forward by `deltaMs`, firing every timer that falls due, earliest first. */
  advance(deltaMs: number): void {
    const targetMs = this.#nowMs + deltaMs;
    for (;;) {
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      const due = this.#timers
        .filter((timer) => timer.dueMs <= targetMs)
        .sort((a, b) => a.dueMs - b.dueMs || a.sequence - b.sequence)[0];
      if (due === undefined) break;
      this.#nowMs = Math.max(this.#nowMs, due.dueMs);
      due.cancelled = true;
      due.callback();
    }
    this.#nowMs = targetMs;
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }
}
