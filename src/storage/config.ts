import { ConfigError } from '../core/errors.js';
import { DAY_MS, GiB, INT32_MAX, MiB, MINUTE_MS } from '../core/units.js';

/**
 * Per-log (topic-level) settings under Kafka's own names and with Kafka's defaults (3.9; the
 * minimum of segment.bytes is 3.9's 14 bytes rather than 4.0's 1 MiB, so tests can roll often).
 * Values may be numbers or the strings a properties file holds. Every key is validated when a
 * log opens; a bad value raises ConfigError naming the key, the value and the allowed range.
 *
 * Kafka's Long.MAX_VALUE ("never") is accepted and held as Infinity.
 */
export interface LogConfig {
  readonly 'segment.bytes': number;
  readonly 'segment.ms': number;
  readonly 'segment.jitter.ms': number;
  readonly 'segment.index.bytes': number;
  readonly 'index.interval.bytes': number;
  readonly 'retention.ms': number;
  readonly 'retention.bytes': number;
  readonly 'log.retention.check.interval.ms': number;
  readonly 'file.delete.delay.ms': number;
  readonly 'flush.messages': number;
  readonly 'flush.ms': number;
  readonly 'cleanup.policy': ReadonlyArray<'delete' | 'compact'>;
  readonly 'delete.retention.ms': number;
  readonly 'min.cleanable.dirty.ratio': number;
  readonly 'min.compaction.lag.ms': number;
  readonly 'max.compaction.lag.ms': number;
  readonly 'max.message.bytes': number;
  readonly 'message.timestamp.type': 'CreateTime' | 'LogAppendTime';
}

export type LogConfigKey = keyof LogConfig;
export type LogConfigInput = { readonly [K in LogConfigKey]?: LogConfig[K] | string | number | bigint };

const NEVER = Infinity;

export const LOG_CONFIG_DEFAULTS: LogConfig = Object.freeze({
  'segment.bytes': GiB,
  'segment.ms': 7 * DAY_MS,
  'segment.jitter.ms': 0,
  'segment.index.bytes': 10 * MiB,
  'index.interval.bytes': 4096,
  'retention.ms': 7 * DAY_MS,
  'retention.bytes': -1,
  'log.retention.check.interval.ms': 5 * MINUTE_MS,
  'file.delete.delay.ms': MINUTE_MS,
  'flush.messages': NEVER,
  'flush.ms': NEVER,
  'cleanup.policy': Object.freeze(['delete'] as const),
  'delete.retention.ms': DAY_MS,
  'min.cleanable.dirty.ratio': 0.5,
  'min.compaction.lag.ms': 0,
  'max.compaction.lag.ms': NEVER,
  'max.message.bytes': 1_048_588,
  'message.timestamp.type': 'CreateTime',
});

interface IntegerRule {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  readonly describe: string;
}
interface RatioRule {
  readonly kind: 'ratio';
}
interface EnumRule {
  readonly kind: 'enum';
  readonly values: ReadonlyArray<string>;
}
interface ListRule {
  readonly kind: 'list';
  readonly values: ReadonlyArray<string>;
}
type Rule = IntegerRule | RatioRule | EnumRule | ListRule;

const LONG = Number.MAX_SAFE_INTEGER;
const integer = (min: number, max: number, describe: string): IntegerRule => ({ kind: 'integer', min, max, describe });

const RULES: { readonly [K in LogConfigKey]: Rule } = {
  'segment.bytes': integer(14, INT32_MAX, 'an integer in [14, 2147483647] bytes'),
  'segment.ms': integer(1, LONG, 'an integer ≥ 1 (milliseconds)'),
  'segment.jitter.ms': integer(0, LONG, 'an integer ≥ 0 (milliseconds)'),
  'segment.index.bytes': integer(12, INT32_MAX, 'an integer in [12, 2147483647] bytes'),
  'index.interval.bytes': integer(0, INT32_MAX, 'an integer in [0, 2147483647] bytes'),
  'retention.ms': integer(-1, LONG, 'an integer ≥ -1 (milliseconds; -1 = keep forever)'),
  'retention.bytes': integer(-1, LONG, 'an integer ≥ -1 (bytes per partition; -1 = unlimited)'),
  'log.retention.check.interval.ms': integer(1, LONG, 'an integer ≥ 1 (milliseconds)'),
  'file.delete.delay.ms': integer(0, LONG, 'an integer ≥ 0 (milliseconds)'),
  'flush.messages': integer(1, LONG, 'an integer ≥ 1 (messages)'),
  'flush.ms': integer(0, LONG, 'an integer ≥ 0 (milliseconds)'),
  'cleanup.policy': { kind: 'list', values: ['delete', 'compact'] },
  'delete.retention.ms': integer(0, LONG, 'an integer ≥ 0 (milliseconds)'),
  'min.cleanable.dirty.ratio': { kind: 'ratio' },
  'min.compaction.lag.ms': integer(0, LONG, 'an integer ≥ 0 (milliseconds)'),
  'max.compaction.lag.ms': integer(1, LONG, 'an integer ≥ 1 (milliseconds)'),
  'max.message.bytes': integer(0, INT32_MAX, 'an integer in [0, 2147483647] bytes'),
  'message.timestamp.type': { kind: 'enum', values: ['CreateTime', 'LogAppendTime'] },
};

export const LOG_CONFIG_KEYS = Object.keys(RULES) as LogConfigKey[];

/** Java's Long.MAX_VALUE as Kafka writes it in properties files. */
const LONG_MAX_TEXT = '9223372036854775807';

function parseInteger(key: string, raw: unknown, rule: IntegerRule): number {
  if (raw === LONG_MAX_TEXT || raw === 9_223_372_036_854_775_807n) {
    if (rule.max === LONG) return NEVER;
  }
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'bigint') value = Number(raw);
  else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) value = Number(raw.trim());
  else throw new ConfigError(key, raw, rule.describe);
  if (value === Infinity && rule.max === LONG) return NEVER;
  if (!Number.isSafeInteger(value) || value < rule.min || value > rule.max) {
    throw new ConfigError(key, raw, rule.describe);
  }
  return value;
}

function parseValue(key: LogConfigKey, raw: unknown): unknown {
  const rule = RULES[key];
  switch (rule.kind) {
    case 'integer':
      return parseInteger(key, raw, rule);
    case 'ratio': {
      const value = typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new ConfigError(key, raw, 'a number in [0, 1]');
      }
      return value;
    }
    case 'enum':
      if (typeof raw !== 'string' || !rule.values.includes(raw)) {
        throw new ConfigError(key, raw, `one of ${rule.values.join(', ')}`);
      }
      return raw;
    case 'list': {
      const items = Array.isArray(raw)
        ? (raw as unknown[])
        : typeof raw === 'string'
          ? raw.split(',').map((item) => item.trim())
          : null;
      if (items === null || items.length === 0 || items.some((item) => !rule.values.includes(String(item)))) {
        throw new ConfigError(key, raw, `a comma-separated list of ${rule.values.join(', ')}`);
      }
      return Object.freeze([...new Set(items.map(String))]);
    }
  }
}

/** Merge `input` over Kafka's defaults, validating every key. Unknown keys are refused. */
export function resolveLogConfig(input: LogConfigInput = {}, base: LogConfig = LOG_CONFIG_DEFAULTS): LogConfig {
  const resolved: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    if (!Object.hasOwn(RULES, key)) {
      throw new ConfigError(key, raw, `a known log setting (one of ${LOG_CONFIG_KEYS.join(', ')})`);
    }
    resolved[key] = parseValue(key as LogConfigKey, raw);
  }
  return Object.freeze(resolved as unknown as LogConfig);
}

export function hasPolicy(config: LogConfig, policy: 'delete' | 'compact'): boolean {
  return config['cleanup.policy'].includes(policy);
}
