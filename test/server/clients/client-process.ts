import { Buffer } from 'node:buffer';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { serveBroker, type ServedBroker } from '../../helpers/served-broker.js';
import { within } from '../../helpers/wait.js';

/**
 * Running the external Kafka clients (kcat, kafka-python scripts) from tests: one-shot runs with
 * a hard timeout, and long-running members that the test stops. Every process started here is
 * killed, by its own pid, by `stopAllProcesses()` (which `serveForProcesses` calls after each test).
 */

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is closed at once without it). */
  readonly input?: Buffer | string;
  /** SIGKILL after this long (default 20 s); the result says timedOut. */
  readonly timeoutMs?: number;
}

const running = new Set<ChildProcess>();

export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
}

/** Kill (SIGKILL, by pid) every process these helpers started that is still running. */
export function stopAllProcesses(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

export function runProcess(command: string, args: ReadonlyArray<string>, options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8'), timedOut });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** A process that runs until the test stops it; its output accumulates as it arrives. */
export class LongRunningProcess {
  readonly #child: ChildProcess;
  #stdout = '';
  #stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string, args: ReadonlyArray<string>) {
    this.#child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    track(this.#child);
    this.#child.stdout?.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString('utf8')));
    this.#child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString('utf8')));
    this.#child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.#child.once('close', (code, signal) => resolve({ code, signal }));
      this.#child.once('error', () => resolve({ code: null, signal: null }));
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Complete stdout lines parsed as JSON (for scripts that print one document per line). */
  jsonLines(): unknown[] {
    const lines = this.#stdout.split('\n');
    lines.pop(); // the part after the last newline: empty, or a line still being written
    return lines.filter((line) => line.trim().length > 0).map((line) => JSON.parse(line) as unknown);
  }

  write(text: string): void {
    this.#child.stdin?.write(text);
  }

  closeStdin(): void {
    this.#child.stdin?.end();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
  }

  /** Wait for the process to exit; SIGKILL it if it has not within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await within(this.exited, timeoutMs, 'the process to exit');
    } catch {
      this.signal('SIGKILL');
      throw new Error(`process did not exit within ${timeoutMs} ms; stderr:\n${this.#stderr}`);
    }
  }
}

/** Absolute path of a file next to this helper. */
export function clientsPath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

/** librdkafka's own log lines (kcat's stderr) read "%<level>|…": warnings (4) and worse fail a test. */
export const LIBRDKAFKA_WARNING_OR_WORSE = /^%[0-4]\|/m;

/**
 * One broker served for the enclosing describe block (call it there): opened before its first
 * test and closed after its last, with the processes a test started killed after each test. The
 * object returned stands for the served broker once it is open.
 */
export function serveForProcesses(): ServedBroker {
  let served: ServedBroker | undefined;
  beforeAll(async () => {
    served = await serveBroker();
  });
  afterEach(() => stopAllProcesses());
  afterAll(async () => {
    stopAllProcesses();
    await served?.close();
  });
  const current = (): ServedBroker => {
    if (served === undefined) throw new Error('the broker is served from beforeAll on');
    return served;
  };
  return {
    get broker() {
      return current().broker;
    },
    get groups() {
      return current().groups;
    },
    get server() {
      return current().server;
    },
    get address() {
      return current().address;
    },
    close: () => current().close(),
  };
}
