/**
 * Progress of a bench phase. On a terminal: one line redrawn in place (`\r`) with a bar, the
 * current rate and the time left. Elsewhere (a pipe, a file, CI logs): a plain line every second.
 * With --json nothing goes to stdout; progress goes to stderr when that is a terminal, else nowhere.
 *
 * The formatting is pure (formatProgress); the sinks only decide when and where to write.
 */
export interface ProgressState {
  /** What is running: "produce", "consume", "e2e", "warm-up", "round 2/3 B: produce", … */
  readonly label: string;
  readonly records: number;
  readonly elapsedSec: number;
  /** Share done in [0, 1]; null when unknown. */
  readonly fraction: number | null;
  /** Records/s over the last sampling interval. */
  readonly recordsPerSec: number;
}

export interface ProgressSink {
  update(state: ProgressState): void;
  /** The phase ended: leave the terminal on a fresh line. */
  finish(): void;
}

const BAR_WIDTH = 30;

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, '0')}s`;
}

/** `[###########.........]  45%` */
export function formatBar(fraction: number, width = BAR_WIDTH): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(clamped * 100)).padStart(3)}%`;
}

export function etaSec(state: ProgressState): number | null {
  if (state.fraction === null || state.fraction <= 0) return null;
  return (state.elapsedSec * (1 - state.fraction)) / state.fraction;
}

/** One progress line; `bar` adds the bar (terminal). */
export function formatProgress(state: ProgressState, bar: boolean): string {
  const parts = [state.label];
  if (bar && state.fraction !== null) parts.push(formatBar(state.fraction));
  parts.push(`${formatCount(state.records)} records`, `${formatCount(state.recordsPerSec)} rec/s`, `elapsed ${formatDuration(state.elapsedSec)}`);
  const eta = etaSec(state);
  if (eta !== null) parts.push(`ETA ${formatDuration(eta)}`);
  return parts.join('  ');
}

export const silentProgress: ProgressSink = { update: () => undefined, finish: () => undefined };

/** A redrawn line on a terminal, at most every 100 ms. */
export class TtyProgress implements ProgressSink {
  readonly #write: (text: string) => void;
  #lastWidth = 0;
  #lastDrawMs = 0;
  #drawn = false;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  update(state: ProgressState): void {
    const now = performance.now();
    if (this.#drawn && now - this.#lastDrawMs < 100) return;
    this.#lastDrawMs = now;
    const line = formatProgress(state, true);
    this.#write(`\r${line}${' '.repeat(Math.max(0, this.#lastWidth - line.length))}`);
    this.#lastWidth = line.length;
    this.#drawn = true;
  }

  finish(): void {
    if (this.#drawn) this.#write('\n');
    this.#drawn = false;
    this.#lastWidth = 0;
  }
}

/** A plain line per second, for logs. */
export class LineProgress implements ProgressSink {
  readonly #write: (text: string) => void;
  #lastLineSec = 0;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  update(state: ProgressState): void {
    if (state.elapsedSec - this.#lastLineSec < 1) return;
    this.#lastLineSec = Math.floor(state.elapsedSec);
    this.#write(`${formatProgress(state, false)}\n`);
  }

  finish(): void {
    this.#lastLineSec = 0;
  }
}

/** How progress is shown, in a form that can be handed to a child process. */
export interface ProgressMode {
  readonly kind: 'tty' | 'lines' | 'none';
  readonly stream: 'stdout' | 'stderr';
}

export function progressSink(mode: ProgressMode, write: (text: string) => void): ProgressSink {
  switch (mode.kind) {
    case 'tty':
      return new TtyProgress(write);
    case 'lines':
      return new LineProgress(write);
    case 'none':
      return silentProgress;
  }
}
