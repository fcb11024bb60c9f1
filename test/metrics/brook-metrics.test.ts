import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { RemoteBroker } from '../../src/client/remote-broker.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';
import { BrookMetrics, FETCH_CHANNEL, PRODUCE_CHANNEL, REQUEST_CHANNEL } from '../../src/index.js';
import type { FetchMessage, ProduceMessage, RequestMessage } from '../../src/core/channels.js';
import { storedRecordCount } from '../../src/records/stored-batches.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { parseExposition, samplesOf, valueOf } from './exposition.js';

/**
 * BrookMetrics over an embedded broker, and the diagnostics channels it listens to. Figures are
 * checked against what the test appended and read; nothing is timed.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openBroker(options: { workers?: number } = {}): Promise<Broker> {
  const broker = await Broker.open({ scheduleTasks: false, ...options });
  cleanups.push(() => broker.close());
  return broker;
}

async function attach(broker: Broker, groups?: ConsumerGroups): Promise<BrookMetrics> {
  const metrics = await BrookMetrics.create(broker, groups === undefined ? {} : { groups });
  cleanups.push(() => metrics.close());
  return metrics;
}

function batchOf(count: number, value = 'value'): Buffer {
  return encodeRecordBatch(Array.from({ length: count }, (_, index) => ({ key: `k${index}`, value })));
}

function listen<T>(name: string): { messages: T[]; stop(): void } {
  const messages: T[] = [];
  const onMessage = (message: unknown): void => void messages.push(message as T);
  subscribe(name, onMessage);
  const stop = (): void => void unsubscribe(name, onMessage);
  cleanups.push(stop);
  return { messages, stop };
}

describe('diagnostics channels', () => {
  test('every append through the broker publishes one produce message with its records and bytes', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2 });
    const produce = listen<ProduceMessage>(PRODUCE_CHANNEL);
    const batches = [batchOf(3), batchOf(1), batchOf(7)];
    await broker.append('t', 0, batches[0]!);
    await broker.append('t', 1, batches[1]!);
    await broker.append('t', 0, batches[2]!);
    expect(produce.messages).toEqual([
      { broker, topic: 't', partition: 0, records: 3, bytes: batches[0]!.length },
      { broker, topic: 't', partition: 1, records: 1, bytes: batches[1]!.length },
      { broker, topic: 't', partition: 0, records: 7, bytes: batches[2]!.length },
    ]);
  });

  test('an append the log refuses publishes nothing', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const produce = listen<ProduceMessage>(PRODUCE_CHANNEL);
    const corrupt = batchOf(2);
    corrupt[corrupt.length - 1]! ^= 0xff; // breaks the CRC
    await expect(broker.append('t', 0, corrupt)).rejects.toThrow();
    expect(produce.messages).toEqual([]);
  });

  test('appends validated on the worker pool publish too, in order', async () => {
    const broker = await openBroker({ workers: 1 });
    await broker.createTopic('t');
    const produce = listen<ProduceMessage>(PRODUCE_CHANNEL);
    const appended = [batchOf(2), batchOf(400, 'x'.repeat(200)), batchOf(5)].map((batch) => broker.append('t', 0, batch));
    await Promise.all(appended);
    expect(produce.messages.map((message) => message.records)).toEqual([2, 400, 5]);
  });

  test('the embedded consumer and Broker.read publish the records and bytes they return', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    await broker.append('t', 0, batchOf(4));
    await broker.append('t', 0, batchOf(6));
    const fetch = listen<FetchMessage>(FETCH_CHANNEL);
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const polled = await consumer.poll();
    await consumer.close();
    const read = broker.read('t', 0, 0);
    expect(polled.flatMap((batch) => batch.records)).toHaveLength(10);
    expect(fetch.messages).toEqual([
      { broker, topic: 't', partition: 0, records: 10, bytes: read.records.length },
      { broker, topic: 't', partition: 0, records: 10, bytes: read.records.length },
    ]);
  });

  test('storedRecordCount sums batch headers and ignores a partial batch at the end', () => {
    const two = Buffer.concat([batchOf(3), batchOf(4)]);
    expect(storedRecordCount(two)).toBe(7);
    expect(storedRecordCount([two, batchOf(2)])).toBe(9);
    expect(storedRecordCount(two.subarray(0, two.length - 1))).toBe(3);
    expect(storedRecordCount(Buffer.alloc(0))).toBe(0);
  });

  test('the wire server publishes one request message per request, with its API and duration', async () => {
    const broker = await openBroker();
    const server = await broker.listen({ port: 0 });
    cleanups.push(() => server.close());
    const requests = listen<RequestMessage>(REQUEST_CHANNEL);
    const client = await RemoteBroker.connect(`127.0.0.1:${server.port}`);
    cleanups.push(() => client.close());
    await client.createTopic('t', 1, {});
    await client.produce('t', 0, batchOf(2), 1);
    const names = requests.messages.map((message) => message.apiName);
    expect(names.filter((name) => name === 'CreateTopics')).toHaveLength(1);
    expect(names.filter((name) => name === 'Produce')).toHaveLength(1);
    const produce = requests.messages.find((message) => message.apiName === 'Produce')!;
    expect(produce.apiKey).toBe(0);
    expect(produce.broker).toBe(broker);
    expect(produce.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('BrookMetrics', () => {
  test('counts records and bytes in and out per topic, from the embedded producer and consumer', async () => {
    const broker = await openBroker();
    await broker.createTopic('orders', { partitions: 2 });
    await broker.createTopic('audit');
    const metrics = await attach(broker);
    const producer = broker.producer();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 9 }, (_, index) => ({ value: `order ${index}` })) });
    await producer.send({ topic: 'audit', messages: [{ value: 'a' }, { value: 'b' }] });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
    let consumed = 0;
    while (consumed < 9) consumed += (await consumer.poll()).reduce((sum, batch) => sum + batch.records.length, 0);
    await consumer.close();

    const stored = (topic: string, partitions: number): number =>
      Array.from({ length: partitions }, (_, partition) => broker.log(topic, partition).sizeBytes).reduce((a, b) => a + b, 0);
    const text = parseExposition(await metrics.metrics());
    expect(valueOf(text, 'brook_records_in_total', { topic: 'orders' })).toBe(9);
    expect(valueOf(text, 'brook_records_in_total', { topic: 'audit' })).toBe(2);
    expect(valueOf(text, 'brook_bytes_in_total', { topic: 'orders' })).toBe(stored('orders', 2));
    expect(valueOf(text, 'brook_records_out_total', { topic: 'orders' })).toBe(9);
    expect(valueOf(text, 'brook_bytes_out_total', { topic: 'orders' })).toBe(stored('orders', 2));
    expect(samplesOf(text, 'brook_records_out_total', { topic: 'audit' })).toEqual([]);

    const json = await metrics.json();
    const recordsIn = json.find((metric) => metric.name === 'brook_records_in_total')!;
    expect(recordsIn.values.find((value) => value.labels['topic'] === 'orders')?.value).toBe(9);
  });

  test('reads log state and group lag when scraped, so later appends and commits show at once', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2, config: { 'segment.bytes': 150 } });
    const groups = await ConsumerGroups.open(broker);
    cleanups.push(() => groups.close());
    const metrics = await attach(broker, groups);
    for (let index = 0; index < 5; index++) await broker.append('t', 0, batchOf(2, 'x'.repeat(30)));
    await broker.append('t', 1, batchOf(3));
    const commit = (partition: number, offset: number): Promise<void> =>
      groups.offsets.commit('g', [{ topic: 't', partition, offset, leaderEpoch: -1, metadata: null, commitTimestampMs: Date.now() }]);
    await commit(0, 4);

    let text = parseExposition(await metrics.metrics());
    for (const partition of broker.describeTopic('t').partitions) {
      const labels = { topic: 't', partition: String(partition.partition) };
      expect(valueOf(text, 'brook_log_size_bytes', labels)).toBe(partition.sizeBytes);
      expect(valueOf(text, 'brook_log_segments', labels)).toBe(partition.segments);
      expect(valueOf(text, 'brook_log_end_offset', labels)).toBe(partition.logEndOffset);
      expect(valueOf(text, 'brook_log_start_offset', labels)).toBe(partition.logStartOffset);
    }
    expect(valueOf(text, 'brook_log_segments', { topic: 't', partition: '0' })).toBeGreaterThan(1);
    expect(valueOf(text, 'brook_consumer_group_lag', { group: 'g', topic: 't', partition: '0' })).toBe(10 - 4);
    expect(samplesOf(text, 'brook_consumer_group_lag', { partition: '1' })).toEqual([]);

    await broker.append('t', 0, batchOf(1));
    await commit(1, 1);
    text = parseExposition(await metrics.metrics());
    expect(valueOf(text, 'brook_log_end_offset', { topic: 't', partition: '0' })).toBe(11);
    expect(valueOf(text, 'brook_consumer_group_lag', { group: 'g', topic: 't', partition: '0' })).toBe(11 - 4);
    expect(valueOf(text, 'brook_consumer_group_lag', { group: 'g', topic: 't', partition: '1' })).toBe(3 - 1);

    await broker.deleteTopic('t');
    text = parseExposition(await metrics.metrics());
    expect(samplesOf(text, 'brook_log_size_bytes', { topic: 't' })).toEqual([]);
    expect(samplesOf(text, 'brook_consumer_group_lag', { topic: 't' })).toEqual([]);
  });

  test('reports the worker pool: queue depth, tasks in flight and utilisation, all 0 without one', async () => {
    const inline = await attach(await openBroker());
    let text = parseExposition(await inline.metrics());
    expect(valueOf(text, 'brook_worker_pool_queue_depth')).toBe(0);
    expect(valueOf(text, 'brook_worker_pool_tasks_in_flight')).toBe(0);
    expect(valueOf(text, 'brook_worker_pool_utilization')).toBe(0);
    inline.close();

    const broker = await openBroker({ workers: 1 });
    await broker.createTopic('t');
    const pooled = await attach(broker);
    await broker.append('t', 0, batchOf(400, 'x'.repeat(200)));
    expect(broker.pool!.stats.offloadedTasks).toBeGreaterThan(0);
    text = parseExposition(await pooled.metrics());
    expect(valueOf(text, 'brook_worker_pool_queue_depth')).toBe(0);
    expect(valueOf(text, 'brook_worker_pool_tasks_in_flight')).toBe(0);
    const utilization = valueOf(text, 'brook_worker_pool_utilization');
    expect(utilization).toBeGreaterThanOrEqual(0);
    expect(utilization).toBeLessThanOrEqual(1);
  });

  test('close() leaves the channels without subscribers, so the engine skips publishing again', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    for (const name of [PRODUCE_CHANNEL, FETCH_CHANNEL, REQUEST_CHANNEL]) expect(channel(name).hasSubscribers).toBe(false);
    const metrics = await attach(broker);
    for (const name of [PRODUCE_CHANNEL, FETCH_CHANNEL, REQUEST_CHANNEL]) expect(channel(name).hasSubscribers).toBe(true);
    await broker.append('t', 0, batchOf(2));
    metrics.close();
    for (const name of [PRODUCE_CHANNEL, FETCH_CHANNEL, REQUEST_CHANNEL]) expect(channel(name).hasSubscribers).toBe(false);
    await broker.append('t', 0, batchOf(5));
    broker.read('t', 0, 0);
    const text = parseExposition(await metrics.metrics());
    expect(valueOf(text, 'brook_records_in_total', { topic: 't' })).toBe(2);
    expect(samplesOf(text, 'brook_records_out_total')).toEqual([]);
  });

  test('two brokers in one process keep separate registries and count only their own traffic', async () => {
    const first = await openBroker();
    const second = await openBroker();
    await first.createTopic('only-first');
    await second.createTopic('only-second');
    await first.createTopic('shared');
    await second.createTopic('shared');
    const firstMetrics = await attach(first);
    const secondMetrics = await attach(second);
    await first.append('shared', 0, batchOf(2));
    await second.append('shared', 0, batchOf(5));
    second.read('shared', 0, 0);
    const firstText = parseExposition(await firstMetrics.metrics());
    const secondText = parseExposition(await secondMetrics.metrics());
    expect(samplesOf(firstText, 'brook_log_size_bytes', { topic: 'only-second' })).toEqual([]);
    expect(samplesOf(secondText, 'brook_log_size_bytes', { topic: 'only-first' })).toEqual([]);
    expect(valueOf(firstText, 'brook_log_size_bytes', { topic: 'only-first', partition: '0' })).toBe(0);
    expect(valueOf(firstText, 'brook_records_in_total', { topic: 'shared' })).toBe(2);
    expect(valueOf(secondText, 'brook_records_in_total', { topic: 'shared' })).toBe(5);
    expect(samplesOf(firstText, 'brook_records_out_total')).toEqual([]);
    expect(valueOf(secondText, 'brook_records_out_total', { topic: 'shared' })).toBe(5);
  });
});
