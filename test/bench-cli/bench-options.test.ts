import { describe, expect, test } from 'vitest';
import { applyOverrides, parseWarmup, resolveBenchConfig, type RawFlags } from '../../src/cli/bench/bench-options.js';
import { Flags, UsageError } from '../../src/cli/command.js';

const resolve = (values: RawFlags) => resolveBenchConfig(new Flags('bench', values));

describe('resolveBenchConfig', () => {
  test('defaults: a million 100-byte records in batches of 1000, flat out, acks 1, embedded', () => {
    const config = resolve({});
    expect(config).toMatchObject({
      mode: 'produce',
      records: 1_000_000,
      durationSec: null,
      ratePerSec: null,
      recordBytes: 100,
      batchRecords: 1000,
      lingerMs: 0,
      partitions: 1,
      compression: 'none',
      acks: 1,
      durability: 'pagecache',
      bootstrapServer: null,
    });
  });

  test('e2e runs for 10 s at 10,000 records/s unless told otherwise', () => {
    expect(resolve({ mode: 'e2e' })).toMatchObject({ records: null, durationSec: 10, ratePerSec: 10_000 });
    expect(resolve({ mode: 'e2e', rate: '500', records: '2000' })).toMatchObject({ records: 2000, durationSec: null, ratePerSec: 500 });
  });

  test('--segment-bytes, --index-interval-bytes and --config become topic settings', () => {
    const config = resolve({ 'segment-bytes': '1048576', 'index-interval-bytes': '512', config: ['segment.ms=60000', 'flush.messages=1000'] });
    expect(config.topicConfig).toEqual({ 'segment.ms': '60000', 'flush.messages': '1000', 'segment.bytes': '1048576', 'index.interval.bytes': '512' });
  });

  test('a batch larger than Kafka\'s default max.message.bytes raises that limit for the topic', () => {
    expect(resolve({ 'batch-size': '10000' }).topicConfig['max.message.bytes']).toBe(String(10_000 * 121 + 61 + 1024));
    expect(resolve({}).topicConfig['max.message.bytes']).toBeUndefined();
  });

  test.each([
    [{ records: '10', duration: '2' }, 'give --records or --duration, not both'],
    [{ mode: 'consume', duration: '2' }, 'consume mode reads a fixed amount'],
    [{ mode: 'bogus' }, '--mode=bogus is invalid: use one of produce, consume, e2e'],
    [{ acks: '2' }, '--acks=2 is invalid: use one of 0, 1, all'],
    [{ 'batch-size': '0' }, '--batch-size=0 is invalid'],
    [{ rate: '-5' }, '--rate=-5 is invalid'],
    [{ warmup: 'soon' }, '--warmup=soon is invalid: give a record count (50000) or seconds with an s (2s)'],
    [{ config: ['segment.bytes'] }, 'use key=value'],
    [{ config: ['no.such.setting=1'] }, 'no.such.setting must be a known log setting'],
    [{ 'segment-bytes': '1000' }, 'more than segment.bytes=1000: raise --segment-bytes or lower --batch-size'],
    [{ 'bootstrap-server': '127.0.0.1:9092', workers: '2' }, '--workers applies to embedded runs'],
    [{ 'bootstrap-server': '127.0.0.1:9092', 'measure-recovery': true }, 'cannot be used with --bootstrap-server'],
    [{ mode: 'e2e', 'measure-recovery': true }, '--measure-recovery works with --mode produce or consume'],
    [{ mode: 'e2e', 'record-size': '4' }, '--record-size=4 is invalid'],
  ] as Array<[RawFlags, string]>)('%o is refused with a message saying what to change', (values, message) => {
    expect(() => resolve(values)).toThrow(UsageError);
    expect(() => resolve(values)).toThrow(message);
  });

  test('--warmup takes records or seconds', () => {
    expect(parseWarmup('50000')).toEqual({ records: 50_000, seconds: 0 });
    expect(parseWarmup('2s')).toEqual({ records: 0, seconds: 2 });
    expect(parseWarmup(undefined)).toEqual({ records: 0, seconds: 0 });
  });
});

describe('applyOverrides (one side of --compare)', () => {
  test('run flags replace the base values; dotted keys are added to --config', () => {
    const merged = applyOverrides({ 'batch-size': '100', records: '5000', config: ['retention.ms=1000'] }, 'batch-size=1000, linger-ms=5,segment.ms=60000');
    const config = resolveBenchConfig(new Flags('bench', merged));
    expect(config).toMatchObject({ batchRecords: 1000, lingerMs: 5, records: 5000 });
    expect(config.topicConfig).toEqual({ 'retention.ms': '1000', 'segment.ms': '60000' });
  });

  test('an empty side keeps the base flags', () => {
    expect(resolveBenchConfig(new Flags('bench', applyOverrides({ 'batch-size': '7' }, '')))).toMatchObject({ batchRecords: 7 });
  });

  test('an unknown key is refused with the list of keys that may differ', () => {
    expect(() => applyOverrides({}, 'json=1')).toThrow('--compare key "json" is unknown: use mode, records');
    expect(() => applyOverrides({}, 'batch-size')).toThrow('use key=value');
  });
});
