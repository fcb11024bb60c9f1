import { Buffer } from 'node:buffer';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Broker } from '../../../src/broker/broker.js';
import { readBatchHeader, type BatchHeader } from '../../../src/records/record-batch.js';

/**
 * Running the external Kafka clients (kcat, kafka-python scripts) from tests: one-shot runs with
 * a hard timeout, long-running members that the test stops, and polling for a condition. Every
 * process started here is killed by `stopAllProcesses()` (call it in afterEach), by its own pid.
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

function track(child: ChildProcess): void {
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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const exited = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (exited !== null) return exited;
    this.signal('SIGKILL');
    throw new Error(`process did not exit within ${timeoutMs} ms; stderr:\n${this.#stderr}`);
  }
}

/** Poll `probe` every 50 ms until it returns something other than undefined/false. */
export async function waitFor<T>(
  description: string | (() => string),
  probe: () => T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof description === 'string' ? description : description()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The headers of every batch stored in a partition, in order (to check what was stored as-is). */
export function storedBatchHeaders(broker: Broker, topic: string, partition: number): BatchHeader[] {
  const headers: BatchHeader[] = [];
  let offset = broker.log(topic, partition).logStartOffset;
  for (;;) {
    const read = broker.read(topic, partition, offset, 16 * 1024 * 1024);
    if (read.records.length === 0) return headers;
    let position = 0;
    while (position < read.records.length) {
      const header = readBatchHeader(read.records, position);
      headers.push(header);
      position += header.batchLength + 12;
    }
    offset = read.nextOffset;
  }
}

/** Kafka's compression codec bits (attributes & 7): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
export const CODEC_LZ4 = 3;

export function codecOf(header: BatchHeader): number {
  return header.attributes & 0x07;
}

/** Absolute path of a file next to this helper. */
export function clientsPath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}
