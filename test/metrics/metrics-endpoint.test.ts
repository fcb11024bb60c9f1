import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { RemoteBroker } from '../../src/client/remote-broker.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { brook, brookServe, stopAllProcesses, type ServeProcess } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from './exposition.js';

/**
 * `brook serve --metrics-port`: the real binary in a child process, driven by a Kafka client over
 * the wire and scraped over HTTP like Prometheus would. Every expected figure comes from what the
 * test sent, fetched and committed, or from the data directory after a clean shutdown.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stopAllProcesses();
});

function tempDir(): TempDir {
  const directory = makeTempDir('brook-metrics-');
  cleanups.push(() => directory.remove());
  return directory;
}

function metricsUrl(serve: ServeProcess): string {
  const line = serve.output.find((text) => text.startsWith('brook: metrics on '));
  if (line === undefined) throw new Error(`no metrics line in: ${serve.output.join(' | ')}`);
  return line.slice('brook: metrics on '.length).trim();
}

async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

function batchOf(count: number, valueBytes: number, first: number): Buffer {
  return encodeRecordBatch(
    Array.from({ length: count }, (_, index) => ({ key: `k${first + index}`, value: 'v'.repeat(valueBytes) })),
  );
}

const FETCH_ALL = { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 } as const;

describe('brook serve --metrics-port', () => {
  test('counts the records and bytes clients produced and fetched, per topic and per API', async () => {
    const dir = tempDir();
    const serve = await brookServe(['--data-dir', dir.path, '--metrics-port', '0']);
    const url = metricsUrl(serve);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(url).not.toMatch(/:0\/metrics$/);
    const client = await RemoteBroker.connect(serve.address);
    cleanups.push(() => client.close());
    await client.createTopic('events', 2, {});

    const produced = [
      { partition: 0, batch: batchOf(3, 40, 0) },
      { partition: 1, batch: batchOf(5, 10, 3) },
      { partition: 0, batch: batchOf(2, 100, 8) },
    ];
    for (const { partition, batch } of produced) await client.produce('events', partition, batch, -1);
    const fetched = await client.fetch('events', [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }], FETCH_ALL);
    const fetchedBytes = fetched.reduce((sum, partition) => sum + partition.records.length, 0);
    expect(fetchedBytes).toBeGreaterThan(0);

    const metrics = await scrape(url);
    const bytesIn = produced.reduce((sum, { batch }) => sum + batch.length, 0);
    expect(valueOf(metrics, 'brook_records_in_total', { topic: 'events' })).toBe(10);
    expect(valueOf(metrics, 'brook_bytes_in_total', { topic: 'events' })).toBe(bytesIn);
    expect(valueOf(metrics, 'brook_records_out_total', { topic: 'events' })).toBe(10);
    expect(valueOf(metrics, 'brook_bytes_out_total', { topic: 'events' })).toBe(fetchedBytes);
    expect(metrics.types.get('brook_records_in_total')).toBe('counter');
    expect(metrics.types.get('brook_request_duration_seconds')).toBe('histogram');
    expect(metrics.help.get('brook_log_size_bytes')).toMatch(/\S/);
    await serve.stop();
  });

  test('has a latency histogram per API whose counts are the requests sent', async () => {
    const dir = tempDir();
    const serve = await brookServe(['--data-dir', dir.path, '--metrics-port', '0']);
    const client = await RemoteBroker.connect(serve.address);
    cleanups.push(() => client.close());
    await client.createTopic('events', 1, {});
    for (let index = 0; index < 4; index++) await client.produce('events', 0, batchOf(1, 10, index), 1);
    await client.fetch('events', [{ partition: 0, offset: 0 }], FETCH_ALL);
    await client.fetch('events', [{ partition: 0, offset: 2 }], FETCH_ALL);

    const metrics = await scrape(metricsUrl(serve));
    for (const [api, requests] of [['Produce', 4], ['Fetch', 2], ['CreateTopics', 1]] as const) {
      const count = valueOf(metrics, 'brook_request_duration_seconds_count', { api });
      expect(count, api).toBe(requests);
      const buckets = samplesOf(metrics, 'brook_request_duration_seconds_bucket', { api });
      const bounds = buckets.map((bucket) => Number(bucket.labels['le'] === '+Inf' ? Infinity : bucket.labels['le']));
      expect(bounds[0]).toBe(0.0001);
      expect(bounds.at(-1)).toBe(Infinity);
      // Cumulative buckets: never decreasing, the last one holds every request.
      const counts = buckets.map((bucket) => bucket.value);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(requests);
      expect(valueOf(metrics, 'brook_request_duration_seconds_sum', { api })).toBeGreaterThan(0);
    }
    expect(samplesOf(metrics, 'brook_request_duration_seconds_count', { api: 'JoinGroup' })).toEqual([]);
    await serve.stop();
  });

  test('reports log size, segments and end offset per partition, and group lag from committed offsets', async () => {
    const dir = tempDir();
    const serve = await brookServe(['--data-dir', dir.path, '--metrics-port', '0']);
    const client = await RemoteBroker.connect(serve.address);
    await client.createTopic('events', 2, {});
    await client.createTopic('rolled', 1, { 'segment.bytes': '200' });
    const sentBytes = [0, 0];
    for (const [partition, count] of [[0, 3], [1, 5], [0, 4], [1, 1]] as const) {
      const batch = batchOf(count, 20, 0);
      sentBytes[partition]! += batch.length;
      await client.produce('events', partition, batch, -1);
    }
    for (let index = 0; index < 6; index++) await client.produce('rolled', 0, batchOf(1, 80, index), -1);
    await client.commitOffsets('readers', [
      { topic: 'events', partition: 0, offset: 2 },
      { topic: 'events', partition: 1, offset: 6 },
      { topic: 'rolled', partition: 0, offset: 1 },
    ]);
    await client.close();

    const metrics = await scrape(metricsUrl(serve));
    const at = (topic: string, partition: number): Record<string, string> => ({ topic, partition: String(partition) });
    expect(valueOf(metrics, 'brook_log_end_offset', at('events', 0))).toBe(7);
    expect(valueOf(metrics, 'brook_log_end_offset', at('events', 1))).toBe(6);
    expect(valueOf(metrics, 'brook_log_size_bytes', at('events', 0))).toBe(sentBytes[0]);
    expect(valueOf(metrics, 'brook_log_size_bytes', at('events', 1))).toBe(sentBytes[1]);
    expect(valueOf(metrics, 'brook_log_segments', at('rolled', 0))).toBeGreaterThan(1);
    // Lag is the log end offset (every append acknowledged) minus the committed offset.
    for (const [topic, partition, committed] of [['events', 0, 2], ['events', 1, 6], ['rolled', 0, 1]] as const) {
      const end = valueOf(metrics, 'brook_log_end_offset', at(topic, partition));
      expect(valueOf(metrics, 'brook_consumer_group_lag', { group: 'readers', ...at(topic, partition) })).toBe(end - committed);
    }
    expect(samplesOf(metrics, 'brook_consumer_group_lag')).toHaveLength(3);
    expect(valueOf(metrics, 'brook_worker_pool_queue_depth')).toBe(0);
    expect(await serve.stop()).toBe(0);

    // After a clean shutdown the data directory tells the same story, file by file.
    const broker = await Broker.open({ dataDir: dir.path, scheduleTasks: false });
    cleanups.push(() => broker.close());
    for (const topic of ['events', 'rolled']) {
      for (const partition of broker.describeTopic(topic).partitions) {
        const labels = at(topic, partition.partition);
        expect(valueOf(metrics, 'brook_log_size_bytes', labels), `${topic}-${partition.partition}`).toBe(partition.sizeBytes);
        expect(valueOf(metrics, 'brook_log_segments', labels)).toBe(partition.segments);
        expect(valueOf(metrics, 'brook_log_end_offset', labels)).toBe(partition.logEndOffset);
        const logFiles = readdirSync(join(dir.path, `${topic}-${partition.partition}`)).filter((name) => name.endsWith('.log'));
        expect(logFiles).toHaveLength(partition.segments);
      }
    }
  });

  test('--metrics-port 0 picks a free port; other paths are 404 and the endpoint closes with the server', async () => {
    const dir = tempDir();
    const serve = await brookServe(['--data-dir', dir.path, '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
    const url = metricsUrl(serve);
    expect((await fetch(url.replace(/\/metrics$/, '/other'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    expect(await serve.stop()).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  test('without --metrics-port there is no endpoint, and --metrics-host alone is a usage error', async () => {
    const dir = tempDir();
    const serve = await brookServe(['--data-dir', dir.path]);
    expect(serve.output.some((line) => line.startsWith('brook: metrics on'))).toBe(false);
    await serve.stop();
    const refused = await brook(['serve', '--data-dir', dir.path, '--metrics-host', '127.0.0.1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--metrics-host needs --metrics-port/);
  });
});
