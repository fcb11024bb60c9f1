import { describe, expect, test } from 'vitest';
import { ConfigError, EngineError } from '../../src/core/errors.js';
import {
  hasPolicy,
  LOG_CONFIG_DEFAULTS,
  LOG_CONFIG_KEYS,
  type LogConfigInput,
  type LogConfigKey,
  resolveLogConfig,
} from '../../src/storage/config.js';

/** Kafka 3.9's topic-level defaults, written out by hand rather than derived from src/. */
const KAFKA_DEFAULTS = {
  'segment.bytes': 1_073_741_824,
  'segment.ms': 604_800_000,
  'segment.jitter.ms': 0,
  'segment.index.bytes': 10_485_760,
  'index.interval.bytes': 4096,
  'retention.ms': 604_800_000,
  'retention.bytes': -1,
  'log.retention.check.interval.ms': 300_000,
  'file.delete.delay.ms': 60_000,
  'flush.messages': Infinity,
  'flush.ms': Infinity,
  'cleanup.policy': ['delete'],
  'delete.retention.ms': 86_400_000,
  'min.cleanable.dirty.ratio': 0.5,
  'min.compaction.lag.ms': 0,
  'max.compaction.lag.ms': Infinity,
  'max.message.bytes': 1_048_588,
  'message.timestamp.type': 'CreateTime',
} as const;

function resolveOne(key: string, value: unknown): unknown {
  return (resolveLogConfig({ [key]: value } as LogConfigInput) as unknown as Record<string, unknown>)[key];
}

function configErrorFrom(body: () => unknown): ConfigError {
  try {
    body();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** How the message shows a value: strings quoted, bigints with n, the rest as String() does. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

describe('LOG_CONFIG_DEFAULTS', () => {
  test('every default equals Kafka\'s', () => {
    expect(LOG_CONFIG_DEFAULTS).toEqual(KAFKA_DEFAULTS);
  });

  test('the key list names exactly the settings that have defaults', () => {
    expect([...LOG_CONFIG_KEYS].sort()).toEqual(Object.keys(KAFKA_DEFAULTS).sort());
  });

  test('the defaults are frozen', () => {
    expect(Object.isFrozen(LOG_CONFIG_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(LOG_CONFIG_DEFAULTS['cleanup.policy'])).toBe(true);
  });
});

describe('resolveLogConfig', () => {
  test('no input gives the defaults, frozen', () => {
    const config = resolveLogConfig();
    expect(config).toEqual(KAFKA_DEFAULTS);
    expect(Object.isFrozen(config)).toBe(true);
    expect(resolveLogConfig({})).toEqual(KAFKA_DEFAULTS);
  });

  test('given values override the defaults and the rest stay', () => {
    const config = resolveLogConfig({ 'segment.bytes': 1024, 'retention.ms': -1 });
    expect(config['segment.bytes']).toBe(1024);
    expect(config['retention.ms']).toBe(-1);
    expect(config['index.interval.bytes']).toBe(4096);
  });

  test('values are merged over the given base rather than the defaults', () => {
    const base = resolveLogConfig({ 'segment.bytes': 2048, 'cleanup.policy': 'compact' });
    const config = resolveLogConfig({ 'retention.bytes': 10 }, base);
    expect(config['segment.bytes']).toBe(2048);
    expect(config['cleanup.policy']).toEqual(['compact']);
    expect(config['retention.bytes']).toBe(10);
  });

  test('string values from a properties file parse as numbers', () => {
    expect(resolveOne('segment.bytes', '1024')).toBe(1024);
    expect(resolveOne('retention.ms', '-1')).toBe(-1);
    expect(resolveOne('retention.bytes', ' 1073741824 ')).toBe(1_073_741_824);
    expect(resolveOne('min.cleanable.dirty.ratio', '0.25')).toBe(0.25);
  });

  test('Long.MAX_VALUE as a string, a bigint or Infinity means never for flush.messages and other longs', () => {
    expect(resolveOne('flush.messages', '9223372036854775807')).toBe(Infinity);
    expect(resolveOne('flush.ms', 9_223_372_036_854_775_807n)).toBe(Infinity);
    expect(resolveOne('max.compaction.lag.ms', Infinity)).toBe(Infinity);
    expect(resolveOne('retention.ms', '9223372036854775807')).toBe(Infinity);
  });

  test('small bigints are accepted as integers', () => {
    expect(resolveOne('segment.bytes', 4096n)).toBe(4096);
  });

  test('the smallest and largest allowed values are accepted', () => {
    expect(resolveOne('segment.bytes', 14)).toBe(14);
    expect(resolveOne('segment.bytes', 2_147_483_647)).toBe(2_147_483_647);
    expect(resolveOne('segment.index.bytes', 12)).toBe(12);
    expect(resolveOne('retention.bytes', -1)).toBe(-1);
    expect(resolveOne('flush.messages', 1)).toBe(1);
    expect(resolveOne('min.cleanable.dirty.ratio', 0)).toBe(0);
    expect(resolveOne('min.cleanable.dirty.ratio', 1)).toBe(1);
    expect(resolveOne('index.interval.bytes', 0)).toBe(0);
  });

  test('cleanup.policy parses a comma-separated list, trimming spaces and dropping repeats', () => {
    expect(resolveOne('cleanup.policy', 'delete,compact')).toEqual(['delete', 'compact']);
    expect(resolveOne('cleanup.policy', ' compact , delete ')).toEqual(['compact', 'delete']);
    expect(resolveOne('cleanup.policy', 'compact,compact')).toEqual(['compact']);
    expect(resolveOne('cleanup.policy', ['compact', 'delete'])).toEqual(['compact', 'delete']);
    const config = resolveLogConfig({ 'cleanup.policy': 'delete,compact' });
    expect(hasPolicy(config, 'delete')).toBe(true);
    expect(hasPolicy(config, 'compact')).toBe(true);
    expect(Object.isFrozen(config['cleanup.policy'])).toBe(true);
  });

  test('hasPolicy reports only the policies that are listed', () => {
    expect(hasPolicy(LOG_CONFIG_DEFAULTS, 'delete')).toBe(true);
    expect(hasPolicy(LOG_CONFIG_DEFAULTS, 'compact')).toBe(false);
    expect(hasPolicy(resolveLogConfig({ 'cleanup.policy': 'compact' }), 'delete')).toBe(false);
  });

  test('message.timestamp.type accepts both of Kafka\'s names', () => {
    expect(resolveOne('message.timestamp.type', 'LogAppendTime')).toBe('LogAppendTime');
    expect(resolveOne('message.timestamp.type', 'CreateTime')).toBe('CreateTime');
  });

  /** Per key: bad values, and a part of the rule that the message must state. */
  const BAD_VALUES: ReadonlyArray<readonly [key: LogConfigKey, values: ReadonlyArray<unknown>, rule: string]> = [
    ['segment.bytes', [13, 0, -1, 2_147_483_648, 1.5, '1k', '', NaN, '9223372036854775807', 'ten'], '[14, 2147483647]'],
    ['segment.ms', [0, -1, 1.5, 'abc', 2 ** 53], '≥ 1'],
    ['segment.jitter.ms', [-1, 0.5, '-5'], '≥ 0'],
    ['segment.index.bytes', [11, 0, -1, 2_147_483_648], '[12, 2147483647]'],
    ['index.interval.bytes', [-1, 2_147_483_648, 4096.5], '[0, 2147483647]'],
    ['retention.ms', [-2, 1.5, 'forever', '1h', -Infinity], '≥ -1'],
    ['retention.bytes', [-2, '1GB', '1e9'], '≥ -1'],
    ['log.retention.check.interval.ms', [0, -1, '0'], '≥ 1'],
    ['file.delete.delay.ms', [-1, '-1'], '≥ 0'],
    ['flush.messages', [0, -1, '9223372036854775808', 2 ** 53], '≥ 1'],
    ['flush.ms', [-1, 0.1], '≥ 0'],
    [
      'cleanup.policy',
      ['deleted', '', 'delete,', 'Delete', 'delete;compact', [], ['delete', 'purge'], 1],
      'delete, compact',
    ],
    ['delete.retention.ms', [-1, 'day'], '≥ 0'],
    ['min.cleanable.dirty.ratio', [-0.1, 1.01, 'half', NaN, Infinity, 2], '[0, 1]'],
    ['min.compaction.lag.ms', [-1, 1.5], '≥ 0'],
    ['max.compaction.lag.ms', [0, -1], '≥ 1'],
    ['max.message.bytes', [-1, 2_147_483_648, '1MB'], '[0, 2147483647]'],
    ['message.timestamp.type', ['createtime', 'BrokerTime', '', 1], 'CreateTime, LogAppendTime'],
  ];

  test('every key has a bad-value case', () => {
    expect(BAD_VALUES.map(([key]) => key).sort()).toEqual([...LOG_CONFIG_KEYS].sort());
  });

  test.each(BAD_VALUES)('bad values of %s throw ConfigError naming key, value and rule', (key, values, rule) => {
    for (const value of values) {
      const error = configErrorFrom(() => resolveLogConfig({ [key]: value } as LogConfigInput));
      expect(error).toBeInstanceOf(EngineError);
      expect(error.name).toBe('ConfigError');
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.key).toBe(key);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain(`${key}=${shown(value)}`);
      expect(error.message).toContain(rule);
    }
  });

  test('a bad value among good ones still throws, for the bad key', () => {
    const error = configErrorFrom(() =>
      resolveLogConfig({ 'segment.bytes': 1024, 'retention.ms': -5, 'flush.ms': 1000 } as LogConfigInput),
    );
    expect(error.key).toBe('retention.ms');
  });

  test.each(['segment.byte', 'retention.hours', 'log.retention.ms', 'log.segment.bytes', ''])(
    'the unknown key %j throws ConfigError listing the known keys',
    (key) => {
      const error = configErrorFrom(() => resolveLogConfig({ [key]: 1 } as unknown as LogConfigInput));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.key).toBe(key);
      expect(error.message).toContain(`${key}=1`);
      expect(error.message).toContain('a known log setting');
      expect(error.message).toContain('segment.bytes');
    },
  );

  test('keys inherited from Object.prototype are refused as unknown', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      const error = configErrorFrom(() => resolveLogConfig({ [key]: '1' } as unknown as LogConfigInput));
      expect(error.key).toBe(key);
    }
  });

  test('an empty, blank or hexadecimal min.cleanable.dirty.ratio is refused', () => {
    for (const value of ['', '  ', '0x1']) {
      const error = configErrorFrom(() => resolveLogConfig({ 'min.cleanable.dirty.ratio': value }));
      expect(error.key).toBe('min.cleanable.dirty.ratio');
    }
  });
});
