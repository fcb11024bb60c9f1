import { spawn, type ChildProcess } from 'node:child_process';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, stopAllProcesses, track, type ProcessResult, type RunOptions } from '../server/clients/client-process.js';
import { waitFor } from './wait.js';

/**
 * Running the real `brook` binary (dist/src/cli/main.js, built by `npm test`'s tsc step) in a
 * child process: one-shot commands with their output and exit code, and a long-running
 * `brook serve` that tests stop. Every process is killed by `stopAllProcesses()`.
 */
/** The compiled binary, whether this helper runs from test/ (vitest) or dist/test/ (compiled). */
function findBinary(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.includes(`${sep}dist${sep}test${sep}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
  return join(root, 'dist', 'src', 'cli', 'main.js');
}
export const BROOK_BIN = findBinary();

export interface BrookResult extends ProcessResult {
  /** stdout as UTF-8. */
  readonly out: string;
}

/** Run `brook <args…>` to completion (stdin from `options.input`, closed at once without it). */
export async function brook(args: ReadonlyArray<string>, options: RunOptions = {}): Promise<BrookResult> {
  const result = await runProcess(process.execPath, [BROOK_BIN, ...args], options);
  return { ...result, out: result.stdout.toString('utf8') };
}

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Port it listens on (parsed from its "serving … on host:port" line). */
  readonly port: number;
  readonly address: string;
  /** Lines printed so far. */
  readonly output: string[];
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Start `brook serve --port 0 <args…>` and wait until it says where it listens. */
export async function brookServe(args: ReadonlyArray<string>, timeoutMs = 20_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BROOK_BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child); // stopAllProcesses() kills it if the test does not stop it
  const output: string[] = [];
  let port = 0;
  const onText = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      output.push(line);
      const match = / on [^ ]+:(\d+) \(advertised/.exec(line);
      if (match !== null) port = Number(match[1]);
    }
  };
  child.stdout.on('data', onText);
  child.stderr.on('data', onText);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = waitFor(
    () => `brook serve to start listening (output so far: ${output.join(' | ')})`,
    () => {
      if (child.exitCode !== null) throw new Error(`brook serve exited with ${child.exitCode}: ${output.join('\n')}`);
      return port !== 0;
    },
    timeoutMs,
    20,
  );
  await started.catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    port,
    address: `127.0.0.1:${port}`,
    output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export { stopAllProcesses };
