import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { DAY_MS } from '../../src/core/units.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { brook, brookServe, stopAllProcesses, type ServeProcess } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/** The value and source of one setting line in `topics describe`'s settings table. */
function setting(out: string, name: string): { value: string; source: string } | undefined {
  const line = out.split('\n').find((text) => text.trim().startsWith(`${name} `));
  if (line === undefined) return undefined;
  const [, value = '', source = ''] = line.trim().split(/\s+/);
  return { value, source };
}

/** Rows of the partition table: partition → [log start, log end, size, segments]. */
function partitionRows(out: string): Map<number, string[]> {
  const lines = out.split('\n');
  const start = lines.findIndex((line) => line.startsWith('PARTITION'));
  const rows = new Map<number, string[]>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const [partition, ...rest] = line.trim().split(/\s+/);
    rows.set(Number(partition), rest);
  }
  return rows;
}

describe('brook topics', () => {
  let dir: TempDir;
  let served: ServeProcess | null = null;
  afterEach(async () => {
    await served?.stop();
    served = null;
    stopAllProcesses();
    dir?.remove();
  });

  it('creates a topic, lists it and describes its partitions and settings with their sources', async () => {
    dir = makeTempDir();
    const created = await brook(['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', '--data-dir', dir.path]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created topic orders with 3 partitions');
    await brook(['topics', 'create', 'audit', '--data-dir', dir.path]);
    const listed = await brook(['topics', 'list', '--data-dir', dir.path]);
    expect(listed.code).toBe(0);
    expect(listed.out.trim().split('\n')).toEqual(['audit', 'orders']);
    const described = await brook(['topics', 'describe', 'orders', '--data-dir', dir.path]);
    expect(described.code).toBe(0);
    expect(described.out).toContain('PartitionCount: 3');
    expect([...partitionRows(described.out).keys()]).toEqual([0, 1, 2]);
    expect(setting(described.out, 'retention.ms')).toEqual({ value: '3600000', source: 'TOPIC_CONFIG' });
    expect(setting(described.out, 'segment.bytes')).toEqual({ value: '1073741824', source: 'DEFAULT_CONFIG' });
    const json = JSON.parse((await brook(['topics', 'describe', 'orders', '--json', '--data-dir', dir.path])).out) as {
      partitions: unknown[];
      config: Array<{ name: string; value: string; source: string }>;
    };
    expect(json.partitions).toHaveLength(3);
    expect(json.config.find((entry) => entry.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '3600000', source: 'TOPIC_CONFIG' });
  });

  it('adds partitions, and refuses fewer partitions with INVALID_PARTITIONS', async () => {
    dir = makeTempDir();
    await brook(['topics', 'create', 'orders', '--partitions', '2', '--data-dir', dir.path]);
    const up = await brook(['topics', 'add-partitions', 'orders', '--partitions', '4', '--data-dir', dir.path]);
    expect(up.code).toBe(0);
    expect(up.out).toContain('now has 4 partitions (was 2)');
    const down = await brook(['topics', 'add-partitions', 'orders', '--partitions', '3', '--data-dir', dir.path]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('INVALID_PARTITIONS');
    expect(down.stderr).toContain('has 4 partitions');
    const described = await brook(['topics', 'describe', 'orders', '--data-dir', dir.path]);
    expect([...partitionRows(described.out).keys()]).toEqual([0, 1, 2, 3]);
  });

  it('alters a setting (source TOPIC_CONFIG) and resets it to the default with --delete-config', async () => {
    dir = makeTempDir();
    await brook(['topics', 'create', 'orders', '--config', 'segment.bytes=1048576', '--data-dir', dir.path]);
    const altered = await brook(['topics', 'alter', 'orders', '--set', 'retention.ms=60000', '--delete-config', 'segment.bytes', '--data-dir', dir.path]);
    expect(altered.stderr).toBe('');
    expect(altered.code).toBe(0);
    const described = await brook(['topics', 'describe', 'orders', '--data-dir', dir.path]);
    expect(setting(described.out, 'retention.ms')).toEqual({ value: '60000', source: 'TOPIC_CONFIG' });
    expect(setting(described.out, 'segment.bytes')).toEqual({ value: '1073741824', source: 'DEFAULT_CONFIG' });
    const bad = await brook(['topics', 'alter', 'orders', '--set', 'retention.ms=soon', '--data-dir', dir.path]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CONFIG_INVALID: retention.ms="soon" is invalid');
  });

  it('deletes a topic', async () => {
    dir = makeTempDir();
    await brook(['topics', 'create', 'orders', '--data-dir', dir.path]);
    const deleted = await brook(['topics', 'delete', 'orders', '--data-dir', dir.path]);
    expect(deleted.code).toBe(0);
    expect((await brook(['topics', 'list', '--data-dir', dir.path])).out).toBe('');
    const again = await brook(['topics', 'describe', 'orders', '--data-dir', dir.path]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('refuses a bad topic name with exit 1 and says which characters are allowed', async () => {
    dir = makeTempDir();
    const result = await brook(['topics', 'create', 'no spaces', '--data-dir', dir.path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('INVALID_TOPIC');
    expect(result.stderr).toContain("use only ASCII letters, digits, '.', '_' and '-'");
  });

  it('exits 2 on an unknown flag or a missing argument, pointing to --help', async () => {
    const unknown = await brook(['topics', 'list', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown flag '--colour'");
    expect(unknown.stderr).toContain('brook topics list --help');
    const missing = await brook(['topics', 'describe']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('expected <topic>');
  });

  it('answers --help on every topics command', async () => {
    for (const command of ['create', 'list', 'describe', 'delete', 'alter', 'add-partitions']) {
      const result = await brook(['topics', command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.out, command).toContain(`Usage: brook topics ${command}`);
      expect(result.out, command).toContain('--bootstrap-server');
    }
  });

  it('refuses a data directory a running broker holds, and works through --bootstrap-server instead', async () => {
    dir = makeTempDir();
    await brook(['topics', 'create', 'orders', '--partitions', '2', '--config', 'retention.ms=3600000', '--data-dir', dir.path]);
    served = await brookServe(['--data-dir', dir.path]);
    const locked = await brook(['topics', 'describe', 'orders', '--data-dir', dir.path]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('DATA_DIR_LOCKED');
    const remote = ['--bootstrap-server', served.address];
    const created = await brook(['topics', 'create', 'events', '--partitions', '3', ...remote]);
    expect(created.stderr).toBe('');
    expect(created.out).toContain('Created topic events with 3 partitions');
    expect((await brook(['topics', 'list', ...remote])).out.split('\n')).toEqual(expect.arrayContaining(['events', 'orders']));
    const described = await brook(['topics', 'describe', 'orders', ...remote]);
    expect(described.code).toBe(0);
    expect([...partitionRows(described.out).keys()]).toEqual([0, 1]);
    expect(setting(described.out, 'retention.ms')).toEqual({ value: '3600000', source: 'TOPIC_CONFIG' });
    expect(described.out).toContain('Segments are not visible over the wire');
    const down = await brook(['topics', 'add-partitions', 'events', '--partitions', '2', ...remote]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('INVALID_PARTITIONS');
    expect((await brook(['topics', 'add-partitions', 'events', '--partitions', '5', ...remote])).code).toBe(0);
    const alter = await brook(['topics', 'alter', 'orders', '--set', 'retention.ms=1', ...remote]);
    expect(alter.code).toBe(1);
    expect(alter.stderr).toContain('does not serve AlterConfigs');
    expect((await brook(['topics', 'delete', 'events', ...remote])).code).toBe(0);
    expect((await brook(['topics', 'list', ...remote])).out).not.toContain('events');
  });

  it('explains retention per segment: old rolled segments are eligible, the fresh active one is kept and says why', async () => {
    dir = makeTempDir();
    const broker = await Broker.open({ dataDir: dir.path, scheduleTasks: false });
    await broker.createTopic('logs', { partitions: 1, config: { 'segment.bytes': 150, 'retention.ms': DAY_MS } });
    const old = Date.UTC(2001, 0, 1);
    for (let index = 0; index < 3; index++) {
      await broker.append('logs', 0, encodeRecordBatch([{ value: `old record number ${index} with some padding` }], { timestamp: old + index }));
    }
    await broker.append('logs', 0, encodeRecordBatch([{ value: 'a fresh record, written just now, padded out' }]));
    const segmentCount = broker.log('logs', 0).segmentCount;
    await broker.close();
    expect(segmentCount).toBe(4);
    const result = await brook(['topics', 'describe', 'logs', '--retention', '--data-dir', dir.path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).not.toContain('Settings:');
    expect(result.out).toContain('applies to each partition on its own');
    expect(result.out).toContain('eligible for deletion now: 3');
    const rows = result.out.split('\n').filter((line) => /^\s+\d+\s+\d+\s+\d+\s/.test(line));
    expect(rows).toHaveLength(4);
    for (const row of rows.slice(0, 3)) {
      expect(row).toContain('eligible (retention.ms)');
      expect(row).toContain('2001-01-01T00:00:00');
    }
    expect(rows[3]).toMatch(/\bkept\b/);
    expect(rows[3]).toContain('within retention.ms=86400000 ms (1 d)');
    expect(rows[3]).toContain('active segment');
    expect(result.out).toContain('Next deletion: now: 3 segments');
    expect(result.out).toContain('every 300000 ms (5 min)');
    const json = JSON.parse((await brook(['topics', 'describe', 'logs', '--retention', '--json', '--data-dir', dir.path])).out) as {
      retention: Array<{ eligibleCount: number; segments: Array<{ status: string; reason: string }> }>;
    };
    expect(json.retention[0]!.eligibleCount).toBe(3);
    expect(json.retention[0]!.segments.map((segment) => segment.reason)).toEqual(['retention.ms', 'retention.ms', 'retention.ms', 'within-retention.ms']);
  });
});
