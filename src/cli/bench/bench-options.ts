import { ConfigError } from '../../core/errors.js';
import { MiB } from '../../core/units.js';
import { resolveLogConfig, type LogConfigInput } from '../../storage/config.js';
import { Flags, UsageError } from '../command.js';

/**
 * `brook bench` settings: flags (or a `--compare` side's key=value overrides) → one validated
 * BenchConfig. Every mistake is a UsageError (exit 2) naming the flag and what to give instead.
 * Pure apart from reading the flag values.
 */
export const BENCH_MODES = ['produce', 'consume', 'e2e'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];
export const BENCH_COMPRESSIONS = ['none', 'lz4'] as const;
export type BenchCompression = (typeof BENCH_COMPRESSIONS)[number];
export const BENCH_ACKS = ['0', '1', 'all'] as const;
export type BenchAcks = 0 | 1 | 'all';
export const BENCH_DURABILITIES = ['pagecache', 'fsync'] as const;
export type BenchDurability = (typeof BENCH_DURABILITIES)[number];
export const BENCH_PAYLOADS = ['text', 'random'] as const;
export type BenchPayload = (typeof BENCH_PAYLOADS)[number];

export interface BenchConfig {
  readonly mode: BenchMode;
  /** Records in the timed phase, or null when the run is limited by time. */
  readonly records: number | null;
  readonly durationSec: number | null;
  /** Fixed send rate (records/s), or null for as fast as possible. Always set for e2e. */
  readonly ratePerSec: number | null;
  readonly warmupRecords: number;
  readonly warmupSec: number;
  readonly recordBytes: number;
  readonly batchRecords: number;
  readonly lingerMs: number;
  readonly partitions: number;
  readonly compression: BenchCompression;
  readonly workers: number;
  readonly acks: BenchAcks;
  readonly durability: BenchDurability;
  readonly payload: BenchPayload;
  /** Sends (batches) awaiting acknowledgement before the generator waits. */
  readonly maxInFlight: number;
  /** Topic settings under Kafka's names: --segment-bytes, --index-interval-bytes, --config. */
  readonly topicConfig: Readonly<Record<string, string>>;
  readonly dataDir: string | null;
  readonly bootstrapServer: string | null;
  readonly measureRecovery: boolean;
}

export const RECORDS_DEFAULT = 1_000_000;
export const E2E_DURATION_SEC_DEFAULT = 10;
export const E2E_RATE_DEFAULT = 10_000;
const RECORD_BYTES_MAX = 16 * MiB;
const BATCH_RECORDS_MAX = 1_000_000;
/** Bytes the producer counts per record on top of its value (its batch.size accounting). */
export const RECORD_OVERHEAD_BYTES = 21;
/** RecordBatch v2 header bytes. */
const BATCH_OVERHEAD_BYTES = 61;
/** Kafka's default max.message.bytes; the bench raises it for larger batches unless told not to. */
const MAX_MESSAGE_BYTES_DEFAULT = 1_048_588;

/** Flags that describe the workload; only these (and topic settings) may differ in --compare. */
export const RUN_FLAGS = [
  'mode',
  'records',
  'duration',
  'rate',
  'warmup',
  'record-size',
  'batch-size',
  'linger-ms',
  'partitions',
  'compression',
  'workers',
  'acks',
  'durability',
  'payload',
  'max-in-flight',
  'segment-bytes',
  'index-interval-bytes',
  'measure-recovery',
] as const;

export type RawFlags = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** Producer batch bytes holding exactly `batchRecords` uncompressed records (before the header). */
export function batchBytesFor(config: Pick<BenchConfig, 'batchRecords' | 'recordBytes'>): number {
  return config.batchRecords * (RECORD_OVERHEAD_BYTES + config.recordBytes);
}

function positive(flags: Flags, name: string, fallback: number | null): number | null {
  if (!flags.has(name)) return fallback;
  const value = flags.number(name, 0, 0);
  if (value <= 0) throw new UsageError('bench', `--${name}=${flags.string(name) ?? ''} is invalid: use a number > 0`);
  return value;
}

/** `--warmup 50000` (records) or `--warmup 2s` (seconds). */
export function parseWarmup(raw: string | undefined): { records: number; seconds: number } {
  if (raw === undefined) return { records: 0, seconds: 0 };
  const seconds = /^\s*(\d+(?:\.\d+)?)\s*s\s*$/.exec(raw);
  if (seconds !== null) return { records: 0, seconds: Number(seconds[1]) };
  const records = Number(raw);
  if (raw.trim() !== '' && Number.isSafeInteger(records) && records >= 0) return { records, seconds: 0 };
  throw new UsageError('bench', `--warmup=${raw} is invalid: give a record count (50000) or seconds with an s (2s)`);
}

/** key=value items of --config (repeatable; one item may hold several, comma-separated). */
export function parseSettings(items: ReadonlyArray<string>): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const item of items) {
    const separator = item.indexOf('=');
    if (separator <= 0) throw new UsageError('bench', `--config ${item} is invalid: use key=value, e.g. --config segment.ms=60000`);
    settings[item.slice(0, separator).trim()] = item.slice(separator + 1).trim();
  }
  return settings;
}

function topicSettings(flags: Flags, embedded: boolean, config: Pick<BenchConfig, 'batchRecords' | 'recordBytes' | 'compression'>): Record<string, string> {
  const settings = parseSettings(flags.list('config'));
  if (flags.has('segment-bytes')) settings['segment.bytes'] = String(flags.integer('segment-bytes', 0, 14, 2_147_483_647));
  if (flags.has('index-interval-bytes')) settings['index.interval.bytes'] = String(flags.integer('index-interval-bytes', 0, 0, 2_147_483_647));
  const batchBytes = batchBytesFor(config) + BATCH_OVERHEAD_BYTES;
  // A batch that is bigger than Kafka's default limit would be refused: raise the limit, unless set.
  if (settings['max.message.bytes'] === undefined && batchBytes + 1024 > MAX_MESSAGE_BYTES_DEFAULT) {
    settings['max.message.bytes'] = String(batchBytes + 1024);
  }
  if (embedded) {
    let resolved;
    try {
      resolved = resolveLogConfig(settings as LogConfigInput);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError('bench', error.message);
      throw error;
    }
    if (config.compression === 'none' && batchBytes > resolved['segment.bytes']) {
      throw new UsageError(
        'bench',
        `a batch of ${config.batchRecords} records × ${config.recordBytes} B is ${batchBytes} bytes, more than segment.bytes=${resolved['segment.bytes']}: raise --segment-bytes or lower --batch-size`,
      );
    }
  }
  return settings;
}

function sizeLimits(flags: Flags, mode: BenchMode): { records: number | null; durationSec: number | null } {
  const records = flags.has('records') ? flags.integer('records', 0, 1) : null;
  const durationSec = positive(flags, 'duration', null);
  if (records !== null && durationSec !== null) {
    throw new UsageError('bench', 'give --records or --duration, not both');
  }
  if (mode === 'consume' && durationSec !== null) {
    throw new UsageError('bench', 'consume mode reads a fixed amount that is produced first: use --records, not --duration');
  }
  if (records === null && durationSec === null) {
    return mode === 'e2e' ? { records: null, durationSec: E2E_DURATION_SEC_DEFAULT } : { records: RECORDS_DEFAULT, durationSec: null };
  }
  return { records, durationSec };
}

function checkRemote(flags: Flags, bootstrapServer: string | null): void {
  if (bootstrapServer === null) return;
  for (const name of ['workers', 'durability', 'data-dir'] as const) {
    if (flags.has(name)) {
      throw new UsageError('bench', `--${name} applies to embedded runs; with --bootstrap-server it is a setting of the server (brook serve --${name})`);
    }
  }
  if (flags.boolean('measure-recovery')) {
    throw new UsageError('bench', '--measure-recovery crashes and reopens an embedded broker: it cannot be used with --bootstrap-server');
  }
}

/** Resolve and validate a run's settings. */
export function resolveBenchConfig(flags: Flags): BenchConfig {
  const mode = flags.choice('mode', BENCH_MODES, 'produce');
  const bootstrapServer = flags.string('bootstrap-server') ?? null;
  checkRemote(flags, bootstrapServer);
  const { records, durationSec } = sizeLimits(flags, mode);
  const rate = positive(flags, 'rate', null);
  if (mode === 'consume' && rate !== null) throw new UsageError('bench', '--rate applies to produce and e2e runs; consume mode reads as fast as it can');
  const warmup = parseWarmup(flags.string('warmup'));
  if (mode === 'consume' && warmup.seconds > 0) throw new UsageError('bench', 'in consume mode give --warmup as a record count');
  const recordBytes = flags.integer('record-size', 100, mode === 'e2e' ? 8 : 1, RECORD_BYTES_MAX);
  const measureRecovery = flags.boolean('measure-recovery');
  if (measureRecovery && mode === 'e2e') throw new UsageError('bench', '--measure-recovery works with --mode produce or consume');
  const base = {
    recordBytes,
    batchRecords: flags.integer('batch-size', 1000, 1, BATCH_RECORDS_MAX),
    compression: flags.choice('compression', BENCH_COMPRESSIONS, 'none'),
  };
  const acks = flags.choice('acks', BENCH_ACKS, '1');
  return {
    mode,
    records,
    durationSec,
    ratePerSec: mode === 'e2e' ? (rate ?? E2E_RATE_DEFAULT) : rate,
    warmupRecords: warmup.records,
    warmupSec: warmup.seconds,
    ...base,
    lingerMs: flags.integer('linger-ms', 0, 0, 60_000),
    partitions: flags.integer('partitions', 1, 1, 10_000),
    workers: flags.integer('workers', 0, 0, 64),
    acks: acks === 'all' ? 'all' : acks === '0' ? 0 : 1,
    durability: flags.choice('durability', BENCH_DURABILITIES, 'pagecache'),
    payload: flags.choice('payload', BENCH_PAYLOADS, 'text'),
    maxInFlight: flags.integer('max-in-flight', 8, 1, 1024),
    topicConfig: topicSettings(flags, bootstrapServer === null, base),
    dataDir: flags.string('data-dir') ?? null,
    bootstrapServer,
    measureRecovery,
  };
}

/**
 * One side of `--compare`: "key=value,key=value" over the base flags. Keys are the run flags
 * without their dashes (batch-size, linger-ms, compression, …) or topic settings (any key with a
 * dot: segment.ms, flush.messages, …), which are added to --config.
 */
export function applyOverrides(base: RawFlags, spec: string): RawFlags {
  const merged: Record<string, string | boolean | string[] | undefined> = { ...base };
  const settings = [...((base['config'] as string[] | undefined) ?? [])];
  for (const item of spec.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const separator = item.indexOf('=');
    const key = separator <= 0 ? item : item.slice(0, separator).trim();
    const value = separator <= 0 ? '' : item.slice(separator + 1).trim();
    if (key.includes('.')) {
      if (separator <= 0) throw new UsageError('bench', `--compare item "${item}" is invalid: use key=value`);
      settings.push(`${key}=${value}`);
    } else if (key === 'measure-recovery') {
      merged[key] = value === '' || value === 'true';
    } else if ((RUN_FLAGS as ReadonlyArray<string>).includes(key)) {
      if (separator <= 0) throw new UsageError('bench', `--compare item "${item}" is invalid: use key=value`);
      merged[key] = value;
    } else {
      throw new UsageError(
        'bench',
        `--compare key "${key}" is unknown: use ${RUN_FLAGS.join(', ')}, or a topic setting with a dot (segment.ms=60000)`,
      );
    }
  }
  merged['config'] = settings;
  return merged;
}

/** Human description of the settings that differ between runs, e.g. "batch-size=100 linger-ms=5". */
export function describeOverrides(spec: string): string {
  const items = spec.split(',').map((part) => part.trim()).filter((part) => part !== '');
  return items.length === 0 ? '(base flags)' : items.join(' ');
}
