import { Buffer } from 'node:buffer';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { API_KEYS } from '../../src/protocol/api-table.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/file-names.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { sleep, within } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';
import { CREATE_TOPICS, FETCH, fetchBody, JOIN_GROUP, METADATA, PRODUCE } from '../helpers/wire-requests.js';

/**
 * `brook serve` as a real process: on SIGTERM (or SIGINT) it stops accepting connections, answers
 * the requests it has read (a long-polling Fetch at once, and what is queued behind it), flushes,
 * writes the clean-shutdown markers, prints "brook: stopped cleanly" and exits 0; the data is all
 * there when the directory is opened again. Runs the built CLI in dist/ (npm test builds first).
 */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

const TOPIC = 'orders';

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything the process printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal that killed it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let directories: TempDir[] = [];
let children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children = [];
  for (const directory of directories) directory.remove();
  directories = [];
});

function serve(dataDir: string, overrides: ReadonlyArray<string> = []): Promise<Served> {
  const args = [CLI, 'serve', '--data-dir', dataDir, '--port', '0', ...overrides.flatMap((override) => ['--override', override])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`brook serve printed no serving line in 20 s; stdout: ${out}; stderr: ${err}`)), 20_000);
    const onData = (): void => {
      const match = /brook: serving (.+) on 127\.0\.0\.1:(\d+) /.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve({ child, port: Number(match[2]), stdout: () => out, stderr: () => err, exited });
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`brook serve exited (${code}) before serving; stdout: ${out}; stderr: ${err}`));
    });
  });
}

/** Whether a TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

function partitionDirectories(dataDir: string): string[] {
  return readdirSync(dataDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /-\d+$/.test(entry.name))
    .map((entry) => entry.name);
}

describe('brook serve graceful shutdown', () => {
  test('SIGTERM answers a long-polling Fetch and the request queued behind it, exits 0 cleanly, refuses new connections and keeps the data', async () => {
    const directory = makeTempDir('brook-shutdown-');
    directories.push(directory);
    const served = await serve(directory.path);

    const producer = await WireClient.connect(served.port);
    const created = await producer.request(API_KEYS.CreateTopics, 5, CREATE_TOPICS, {
      topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(created.topics[0]?.errorCode).toBe(0);
    const produced = new Map<number, string[]>([
      [0, []],
      [1, []],
    ]);
    for (let round = 0; round < 10; round++) {
      for (const partition of [0, 1]) {
        const values = Array.from({ length: 5 }, (_, index) => `p${partition} round ${round} record ${index}`);
        const answer = await producer.request(API_KEYS.Produce, 7, PRODUCE, {
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: encodeRecordBatch(values.map((value) => ({ key: null, value }))) }] }],
        });
        expect(answer.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
        produced.get(partition)?.push(...values);
      }
    }

    // A long poll at the end of partition 0 (30 s), with a Metadata request queued behind it.
    const poller = await WireClient.connect(served.port);
    const fetch = poller.send(API_KEYS.Fetch, 11, FETCH, fetchBody(TOPIC, 0, 50, 30_000));
    const queued = poller.send(API_KEYS.Metadata, 9, METADATA, { topics: null, allowAutoTopicCreation: false });
    await sleep(300); // the server has read both
    const pollStarted = performance.now();
    served.child.kill('SIGTERM');

    const fetched = await within(fetch.response, 10_000, 'the long poll answered after SIGTERM');
    expect(performance.now() - pollStarted).toBeLessThan(10_000);
    expect(fetched?.errorCode).toBe(0);
    expect(fetched?.responses[0]?.partitions[0]?.errorCode).toBe(0);
    expect(fetched?.responses[0]?.partitions[0]?.highWatermark).toBe(50);
    const metadata = await within(queued.response, 10_000, 'the request queued behind the long poll');
    expect(metadata?.topics.map((topic) => topic.name)).toContain(TOPIC);
    expect(poller.arrivals).toEqual([fetch.correlationId, queued.correlationId]);

    const exit = await within(served.exited, 20_000, 'brook serve exiting after SIGTERM');
    expect(exit, served.stderr()).toEqual({ code: 0, signal: null });
    expect(served.stdout()).toContain('brook: SIGTERM: shutting down');
    expect(served.stdout()).toContain('brook: stopped cleanly');
    expect(served.stderr()).toBe('');
    await within(Promise.all([producer.closed, poller.closed]), 5000, 'the server closing client connections');
    expect(await refused(served.port)).toBe(true);

    // Every partition (the topic's and __consumer_offsets') was closed cleanly.
    const partitions = partitionDirectories(directory.path);
    expect(partitions).toEqual(expect.arrayContaining([`${TOPIC}-0`, `${TOPIC}-1`, '__consumer_offsets-0']));
    expect(partitions.filter((name) => !existsSync(join(directory.path, name, CLEAN_SHUTDOWN_FILE)))).toEqual([]);

    // Reopened, the data is all there.
    const broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
    try {
      for (const [partition, values] of produced) {
        const log = broker.log(TOPIC, partition);
        expect(log.logEndOffset).toBe(values.length);
        const read: string[] = [];
        for (let offset = 0; offset < log.logEndOffset; ) {
          const result = log.readRecords(offset);
          for (const record of result.records) read.push(record.value?.toString() ?? '');
          offset = result.nextOffset;
        }
        expect(read).toEqual(values);
      }
    } finally {
      await broker.close();
    }
  });

  test('SIGINT sent the moment the serving line appears stops cleanly too: the handlers are in place before it is printed', async () => {
    const directory = makeTempDir('brook-shutdown-');
    directories.push(directory);
    const served = await serve(directory.path);
    served.child.kill('SIGINT'); // a supervisor may signal as soon as it reads the line
    const exit = await within(served.exited, 20_000, 'brook serve exiting after SIGINT');
    expect(exit, served.stderr()).toEqual({ code: 0, signal: null });
    expect(served.stdout()).toContain('brook: SIGINT: shutting down');
    expect(served.stdout()).toContain('brook: stopped cleanly');
    expect(await refused(served.port)).toBe(true);
  });

  test('SIGTERM does not wait for a JoinGroup held by a rebalance: the held request is answered and the process exits promptly', async () => {
    const directory = makeTempDir('brook-shutdown-');
    directories.push(directory);
    // A new group waits group.initial.rebalance.delay.ms for more members before answering.
    const served = await serve(directory.path, ['group.initial.rebalance.delay.ms=60000']);
    const member = await WireClient.connect(served.port);
    // v3: no MEMBER_ID_REQUIRED round trip (v4+), so this first join is held at once.
    const join = member.send(API_KEYS.JoinGroup, 3, JOIN_GROUP, {
      groupId: 'slow-group',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 60_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 6, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x73, 0xff, 0xff, 0xff, 0xff]) }],
    });
    let answered = false;
    void join.response.then(
      () => (answered = true),
      () => (answered = true),
    );
    await sleep(300);
    expect(answered).toBe(false); // held
    const started = performance.now();
    served.child.kill('SIGTERM');
    const exit = await within(served.exited, 15_000, 'brook serve exiting after SIGTERM with a held JoinGroup');
    expect(exit, served.stderr()).toEqual({ code: 0, signal: null });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(served.stdout()).toContain('brook: stopped cleanly');
    // Answered (e.g. COORDINATOR_NOT_AVAILABLE, so the client looks for the coordinator again) or
    // at least not left hanging: the connection is closed.
    await join.response.then(
      (answer) => expect(answer?.errorCode).not.toBe(0),
      () => undefined,
    );
  });
});
