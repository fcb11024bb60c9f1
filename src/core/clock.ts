/**
 * Time as a dependency: wall-clock milliseconds and timers. The broker, the group coordinator and
 * consumers take a Clock so that tests drive time by hand (ManualClock) instead of sleeping.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  nowMs(): number;
  /**
   * Run `callback` once after `delayMs`. Like setTimeout, a pending timer keeps the process alive
   * (a consumer waiting in a long poll must not let the process exit); owners cancel their timers
   * when they close.
   */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
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
