import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { decodeGroupCoordinatorRecord } from '../../src/groups/offsets-records.js';
import { TopicOffsetStore } from '../../src/groups/topic-offset-store.js';
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

const commit = (topic: string, partition: number, offset: number, commitTimestampMs = 1000) => ({
  topic,
  partition,
  offset,
  leaderEpoch: -1,
  metadata: null,
  commitTimestampMs,
});

describe('Committed offsets in __consumer_offsets', () => {
  test('commits are records in the compacted internal topic, in the partition of the group', async () => {
    const broker = await Broker.open({ dataDir: dataDir(), scheduleTasks: false });
    const store = await TopicOffsetStore.open(broker);
    expect(broker.partitionCount('__consumer_offsets')).toBe(50);
    expect(broker.describeTopic('__consumer_offsets').config.find((entry) => entry.name === 'cleanup.policy')!.value).toEqual([
      'compact',
    ]);
    await store.commit('billing', [commit('orders', 0, 42), commit('orders', 1, 7)]);
    const partition = store.partitionFor('billing');
    const records = broker.log('__consumer_offsets', partition).readRecords(0).records;
    const decoded = records.map((record) => decodeGroupCoordinatorRecord(record.key, record.value));
    expect(decoded[0]).toMatchObject({ kind: 'offset-commit', key: { group: 'billing', topic: 'orders', partition: 0 }, value: { offset: 42 } });
    expect(store.fetch('billing', [{ topic: 'orders', partition: 1 }])).toEqual([
      { topic: 'orders', partition: 1, offset: 7, leaderEpoch: -1, metadata: '' },
    ]);
    await broker.close();
  });

  test('committed offsets survive close and reopen; the latest commit wins and deletes are kept', async () => {
    const path = dataDir();
    let broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    let store = await TopicOffsetStore.open(broker);
    await store.commit('g1', [commit('t', 0, 5)]);
    await store.commit('g1', [commit('t', 0, 9)]);
    await store.commit('g2', [commit('t', 0, 1)]);
    await store.deleteGroup('g2');
    await broker.close();
    broker = await Broker.open({ dataDir: path, scheduleTasks: false });
    store = await TopicOffsetStore.open(broker);
    expect(store.fetch('g1').map((entry) => entry.offset)).toEqual([9]);
    expect(store.fetch('g2')).toEqual([]);
    await broker.close();
  });

  test('offsets.retention.minutes removes the offsets of an empty group whose last commit is too old', async () => {
    const broker = await Broker.open({ scheduleTasks: false });
    const store = await TopicOffsetStore.open(broker, { 'offsets.retention.minutes': 1 });
    await store.commit('idle', [commit('t', 0, 3, 1000)]);
    await store.commit('busy', [commit('t', 0, 4, 1000)]);
    expect(await store.expire((group) => group === 'idle', 1000 + 60_000)).toBe(0);
    expect(await store.expire((group) => group === 'idle', 1001 + 60_000)).toBe(1);
    expect(store.fetch('idle')).toEqual([]);
    expect(store.fetch('busy').length).toBe(1);
    await broker.close();
  });
});
