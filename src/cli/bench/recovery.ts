import { fork } from 'node:child_process';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../broker/broker.js';
import { EngineError } from '../../core/errors.js';
import type { BenchConfig } from './bench-options.js';
import type { CrashReport, CrashRequest } from './crash-messages.js';
import { LatencyHistogram } from './histogram.js';
import type { WorkloadOutcome } from './workload.js';
import type { RecoveryResult } from './result.js';

/**
 * `--measure-recovery`: the produce part runs in a child process that SIGKILLs itself once its
 * records are acknowledged (crash-child.ts), so the data directory is left as a real crash
 * leaves it. The parent then times Broker.open on it: loading every segment, re-checking every
 * batch above the recovery point, rebuilding indexes, cutting torn tails.
 */

/** The compiled child next to this module, or dist/src/cli/bench/crash-child.js when run from src/. */
export function crashChildFilename(moduleUrl: string = import.meta.url): string {
  if (!moduleUrl.endsWith('.ts')) return fileURLToPath(new URL('./crash-child.js', moduleUrl));
  const here = fileURLToPath(moduleUrl);
  const suffix = `${sep}src${sep}cli${sep}bench${sep}recovery.ts`;
  return join(here.slice(0, -suffix.length), 'dist', 'src', 'cli', 'bench', 'crash-child.js');
}

export interface CrashedRun {
  readonly outcome: WorkloadOutcome | null;
  readonly openFiles: number | null;
}

/** Run the produce part in a child that crashes itself; resolves once it is dead. */
export function produceThenCrash(request: CrashRequest): Promise<CrashedRun> {
  return new Promise((resolve, reject) => {
    const child = fork(crashChildFilename(), [JSON.stringify(request)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: CrashReport | null = null;
    child.on('message', (message) => {
      report = message as CrashReport;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const received = report as CrashReport | null;
      if (received === null) {
        return reject(new EngineError('STORAGE_ERROR', `the bench's crash child exited (code ${code}, signal ${signal}) before reporting`));
      }
      if (received.kind === 'failed') return reject(new EngineError('STORAGE_ERROR', `the bench's crash child failed: ${received.message}`));
      if (signal !== 'SIGKILL') {
        return reject(new EngineError('STORAGE_ERROR', `the bench's crash child should have died of SIGKILL, but exited (code ${code}, signal ${signal})`));
      }
      const outcome = received.outcome;
      resolve({
        openFiles: received.openFiles,
        outcome:
          outcome === null
            ? null
            : {
                stats: {
                  records: outcome.records,
                  valueBytes: outcome.valueBytes,
                  seconds: outcome.seconds,
                  latency: LatencyHistogram.fromSnapshot(outcome.latency),
                  timeline: outcome.timeline,
                },
                latencyKind: outcome.latencyKind,
                lostRecords: outcome.lostRecords,
              },
      });
    });
  });
}

/** Reopen the crashed data directory, timing it; the broker stays open for what comes next. */
export async function reopenAfterCrash(config: BenchConfig, dataDir: string, topic: string): Promise<{ broker: Broker; recovery: RecoveryResult }> {
  const startedMs = performance.now();
  const broker = await Broker.open({ dataDir, workers: config.workers, durability: config.durability });
  const recoveryMs = performance.now() - startedMs;
  let logRecoveryMs = 0;
  let segmentsLoaded = 0;
  let segmentsRecovered = 0;
  let bytesTruncated = 0;
  let cleanShutdown = true;
  for (let partition = 0; partition < broker.partitionCount(topic); partition++) {
    const report = broker.log(topic, partition).recoveryReport;
    logRecoveryMs += report.durationMs;
    segmentsLoaded += report.segmentsLoaded;
    segmentsRecovered += report.segmentsRecovered;
    bytesTruncated += report.bytesTruncated;
    cleanShutdown &&= report.cleanShutdown;
  }
  const round3 = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    broker,
    recovery: { recoveryMs: round3(recoveryMs), logRecoveryMs: round3(logRecoveryMs), segmentsLoaded, segmentsRecovered, bytesTruncated, cleanShutdown },
  };
}
