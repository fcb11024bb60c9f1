import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionDirectory } from '../../storage/data-dir.js';
import type { BenchConfig } from './bench-options.js';
import { diskUsage, openFileCount, type DiskUsage } from './disk-usage.js';
import { EmbeddedTarget } from './embedded-target.js';
import type { ProgressMode, ProgressSink } from './progress.js';
import { produceThenCrash, reopenAfterCrash } from './recovery.js';
import { RemoteTarget } from './remote-target.js';
import {
  environment,
  latencyDistribution,
  summariseLatency,
  throughput,
  type BenchResult,
  type RecoveryResult,
} from './result.js';
import { consumePart, runWorkload, type WorkloadOutcome } from './workload.js';

/**
 * One bench run, start to finish: a data directory (a temporary one unless --data-dir) or a
 * connection to --bootstrap-server, a fresh topic `brook-bench-<random>`, the workload, then
 * the measurements taken around it (open files at the end of the timed phase; disk use of the
 * topic's partition directories once the broker is closed; recovery time in crash runs), and
 * clean-up: a remote topic is deleted, a temporary directory removed.
 */
export interface RunContext {
  readonly progress: ProgressSink;
  /** The same progress, for a crash run's child process. */
  readonly progressMode: ProgressMode;
  /** Prefix of progress labels, e.g. "round 2/3 B: ". */
  readonly label: string;
}

interface Measured {
  readonly outcome: WorkloadOutcome;
  readonly openFiles: number | null;
  readonly disk: DiskUsage | null;
  readonly recovery: RecoveryResult | null;
}

export function benchTopicName(): string {
  return `brook-bench-${randomBytes(4).toString('hex')}`;
}

export async function runBench(config: BenchConfig, context: RunContext): Promise<BenchResult> {
  const startedAt = new Date();
  const topic = benchTopicName();
  const measured = config.bootstrapServer !== null ? await runRemote(config, config.bootstrapServer, topic, context) : await runEmbedded(config, topic, context);
  const { stats, latencyKind, lostRecords } = measured.outcome;
  return {
    mode: config.mode,
    target: config.bootstrapServer === null ? 'embedded' : 'remote',
    topic,
    parameters: config,
    records: stats.records,
    bytes: stats.valueBytes,
    seconds: Math.round(stats.seconds * 1e6) / 1e6,
    ...throughput(stats.records, stats.valueBytes, stats.seconds),
    latency: summariseLatency(stats.latency, latencyKind),
    latencyDistribution: latencyDistribution(stats.latency),
    timeline: stats.timeline,
    lostRecords,
    diskBytes: measured.disk?.diskBytes ?? null,
    apparentBytes: measured.disk?.apparentBytes ?? null,
    segments: measured.disk?.segments ?? null,
    files: measured.disk?.files ?? null,
    openFiles: measured.openFiles,
    recoveryMs: measured.recovery?.recoveryMs ?? null,
    segmentsRecovered: measured.recovery?.segmentsRecovered ?? null,
    recovery: measured.recovery,
    environment: environment(startedAt),
  };
}

async function runRemote(config: BenchConfig, address: string, topic: string, context: RunContext): Promise<Measured> {
  const target = await RemoteTarget.connect(address);
  try {
    await target.createTopic(topic, config.partitions, config.topicConfig);
    try {
      const outcome = await runWorkload(target, topic, config, context.progress, context.label);
      return { outcome, openFiles: null, disk: null, recovery: null };
    } finally {
      await target.deleteTopic(topic).catch(() => undefined);
    }
  } finally {
    await target.close();
  }
}

function topicDirectories(dataDir: string, topic: string, partitions: number): string[] {
  return Array.from({ length: partitions }, (_, partition) => partitionDirectory(dataDir, topic, partition));
}

async function runEmbedded(config: BenchConfig, topic: string, context: RunContext): Promise<Measured> {
  const temporary = config.dataDir === null;
  const dataDir = config.dataDir ?? mkdtempSync(join(tmpdir(), 'brook-bench-'));
  // Interrupted (Ctrl-C): still remove the temporary directory, which may hold gigabytes.
  const onSignal = (signal: NodeJS.Signals): void => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  if (temporary) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    if (config.measureRecovery) return await runCrashed(config, dataDir, topic, context);
    const target = await EmbeddedTarget.open(config, dataDir);
    let outcome: WorkloadOutcome;
    let openFiles: number | null;
    try {
      await target.createTopic(topic, config.partitions, config.topicConfig);
      outcome = await runWorkload(target, topic, config, context.progress, context.label);
      openFiles = openFileCount();
    } finally {
      await target.close();
    }
    const disk = diskUsage(topicDirectories(dataDir, topic, config.partitions));
    return { outcome, openFiles, disk, recovery: null };
  } finally {
    if (temporary) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

async function runCrashed(config: BenchConfig, dataDir: string, topic: string, context: RunContext): Promise<Measured> {
  const crashed = await produceThenCrash({ config, dataDir, topic, progress: context.progressMode, label: context.label });
  const { broker, recovery } = await reopenAfterCrash(config, dataDir, topic);
  const target = new EmbeddedTarget(broker);
  let outcome: WorkloadOutcome;
  let openFiles = crashed.openFiles;
  try {
    if (crashed.outcome !== null) {
      outcome = crashed.outcome;
    } else {
      outcome = await consumePart(target, topic, config, context.progress, context.label);
      openFiles = openFileCount();
    }
  } finally {
    await target.close();
  }
  const disk = diskUsage(topicDirectories(dataDir, topic, config.partitions));
  return { outcome, openFiles, disk, recovery };
}
