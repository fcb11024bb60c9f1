import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

let directories: TempDir[] = [];
afterEach(() => {
  for (const directory of directories) directory.remove();
  directories = [];
});

function dataDir(): string {
  const directory = makeTempDir();
  directories.push(directory);
  return directory.path;
}

const batch = (value: string): Buffer => encodeRecordBatch([{ key: 'k', value }]);

describe('Broker topics', () => {
  test('creates topics as <topic>-<partition> directories and lists them', async () => {
    const path = dataDir();
    const broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    await broker.createTopic('orders', { partitions: 3 });
    await broker.createTopic('audit.log');
    expect(broker.listTopics()).toEqual(['audit.log', 'orders']);
    expect(readdirSync(path).filter((name) => !name.startsWith('topics') && name !== '.lock').sort()).toEqual([
      'audit.log-0',
      'orders-0',
      'orders-1',
      'orders-2',
    ]);
    await broker.close();
  });

  test('reopening restores topics, per-topic configs and data', async () => {
    const path = dataDir();
    let broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    await broker.createTopic('orders', { partitions: 2, config: { 'retention.ms': 3_600_000, 'cleanup.policy': 'delete,compact' } });
    await broker.append('orders', 1, batch('hello'));
    await broker.close();
    broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    expect(broker.partitionCount('orders')).toBe(2);
    const description = broker.describeTopic('orders');
    const retention = description.config.find((entry) => entry.name === 'retention.ms');
    expect(retention).toEqual({ name: 'retention.ms', value: 3_600_000, source: 'TOPIC_CONFIG' });
    expect(description.config.find((entry) => entry.name === 'cleanup.policy')!.value).toEqual(['delete', 'compact']);
    expect(description.partitions[1]).toMatchObject({ partition: 1, logStartOffset: 0, logEndOffset: 1, segments: 1 });
    expect(broker.log('orders', 1).readRecords(0).records[0]!.value!.toString()).toBe('hello');
    await broker.close();
  });

  test('describe names the source of each setting', async () => {
    const broker = await Broker.open({ config: { 'segment.bytes': 1_000_000 }, scheduleTasks: false });
    await broker.createTopic('t', { config: { 'retention.bytes': 5000 } });
    const sources = Object.fromEntries(broker.describeTopic('t').config.map((entry) => [entry.name, entry.source]));
    expect(sources['retention.bytes']).toBe('TOPIC_CONFIG');
    expect(sources['segment.bytes']).toBe('STATIC_BROKER_CONFIG');
    expect(sources['retention.ms']).toBe('DEFAULT_CONFIG');
    await broker.close();
  });

  test('topic names are validated as Kafka does', async () => {
    const broker = await Broker.open({ scheduleTasks: false });
    for (const name of ['', '.', '..', 'a'.repeat(250), 'has space', 'slash/name', 'ümlaut']) {
      await expect(broker.createTopic(name)).rejects.toMatchObject({ code: 'INVALID_TOPIC' });
    }
    await broker.createTopic('a'.repeat(249));
    await broker.createTopic('metrics.cpu');
    await expect(broker.createTopic('metrics_cpu')).rejects.toThrow(/collides with "metrics.cpu"/);
    await expect(broker.createTopic('metrics.cpu')).rejects.toMatchObject({ code: 'TOPIC_EXISTS' });
    await broker.close();
  });

  test('partitions can be added but never removed', async () => {
    const path = dataDir();
    const broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    await broker.createTopic('orders', { partitions: 2 });
    await broker.createPartitions('orders', 5);
    expect(broker.partitionCount('orders')).toBe(5);
    await expect(broker.createPartitions('orders', 3)).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    await expect(broker.createPartitions('orders', 5)).rejects.toThrow(/never removed/);
    await broker.append('orders', 4, batch('new partition'));
    await broker.close();
    const reopened = await Broker.open({ dataDir: path, scheduleTasks: false });
    expect(reopened.partitionCount('orders')).toBe(5);
    await reopened.close();
  });

  test('deleting a topic removes its partitions and its data', async () => {
    const path = dataDir();
    const broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    await broker.createTopic('gone', { partitions: 2 });
    await broker.append('gone', 0, batch('x'));
    await broker.deleteTopic('gone');
    expect(broker.listTopics()).toEqual([]);
    expect(existsSync(join(path, 'gone-0'))).toBe(false);
    expect(() => broker.log('gone', 0)).toThrow(/does not exist/);
    await broker.createTopic('gone');
    expect(broker.describeTopic('gone').partitions[0]!.logEndOffset).toBe(0);
    await broker.close();
  });

  test('altered retention settings take effect without a restart and persist', async () => {
    const path = dataDir();
    const broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    await broker.createTopic('t');
    broker.alterTopicConfig('t', { 'retention.ms': 1000 });
    expect(broker.log('t', 0).config['retention.ms']).toBe(1000);
    expect(() => broker.alterTopicConfig('t', { 'retention.ms': 'never' })).toThrow(/retention\.ms/);
    broker.alterTopicConfig('t', { 'retention.ms': null });
    expect(broker.log('t', 0).config['retention.ms']).toBe(604_800_000);
    broker.alterTopicConfig('t', { 'segment.bytes': 4096 });
    await broker.close();
    const reopened = await Broker.open({ dataDir: path, scheduleTasks: false });
    expect(reopened.log('t', 0).config['segment.bytes']).toBe(4096);
    await reopened.close();
  });

  test('without a dataDir the broker uses a temporary directory that close removes', async () => {
    const broker = await Broker.open({ scheduleTasks: false });
    await broker.createTopic('t');
    expect(existsSync(broker.dataDir)).toBe(true);
    await broker.close();
    expect(existsSync(broker.dataDir)).toBe(false);
  });

  test('an unknown partition is a clear error', async () => {
    const broker = await Broker.open({ scheduleTasks: false });
    await broker.createTopic('t', { partitions: 2 });
    expect(() => broker.log('t', 2)).toThrow(/has no partition 2 \(it has 2: 0\.\.1\)/);
    await broker.close();
  });
});
