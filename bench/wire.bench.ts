import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ProduceAcks, Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { Broker } from '../src/broker/broker.js';
import { fold, median, percentile, report, size, type BenchOptions } from './report.js';

/**
 * The Kafka wire protocol over loopback (`npm run bench -- wire`): `brook serve` runs in a child
 * process, so server and client CPU are separate processes as in real use.
 *
 * - startup: spawn → first accepted TCP connection (empty data directory, then a restart on it),
 *   and the idle RSS of the server process;
 * - kcat (librdkafka) and KafkaJS produce and consume throughput, 100-byte and 1 KiB records,
 *   one partition, no compression; the embedded broker API on the same records in the same run is
 *   the baseline, so each wire figure carries ratio = wire / embedded;
 * - end-to-end latency at a fixed 10,000 records/s, latency = receipt − the record's scheduled
 *   send time (coordinated omission corrected): KafkaJS → KafkaJS (both in this process), KafkaJS
 *   → kcat, and @platformatic/kafka → kcat (to tell KafkaJS's cost from the server's); the
 *   embedded API at the same rate is the baseline. Each also reports the producer's ack latency,
 *   this process's event-loop delay, and the server's event-loop delay and GC pauses.
 *
 * Every wire measurement carries `serverCpu`: server CPU seconds / wall seconds over the timed
 * phase (1.0 = the server saturates one core). BROOK_WIRE_CPU_PROF=<dir> runs the main server
 * under `node --cpu-prof` and writes its profile there on shutdown; BROOK_WIRE_PARTS=startup,
 * throughput,latency runs a subset; BROOK_WIRE_DEBUG=1 prints progress on stderr.
 */

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const RECORDS_PER_BATCH = 1000;
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The embedded producer counts 21 bytes of overhead per record: this batch.size closes batches at 1,000 records. */
const batchBytesFor = (valueBytes: number): number => RECORDS_PER_BATCH * (21 + valueBytes);

/** kcat settings: large batches, a deep local queue, acks from the leader (one broker). */
const KCAT_PRODUCE_SETTINGS = [
  'linger.ms=5',
  'batch.num.messages=10000',
  'queue.buffering.max.messages=1000000',
  'queue.buffering.max.kbytes=1048576',
  'request.required.acks=1',
  'compression.codec=none',
];
const KCAT_CONSUME_SETTINGS = ['fetch.message.max.bytes=4194304'];

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const DEBUG = process.env['BROOK_WIRE_DEBUG'] === '1';
const benchStarted = performance.now();
/** BROOK_WIRE_DEBUG=1: progress on stderr, with seconds since the start. */
function progress(message: string): void {
  if (DEBUG) process.stderr.write(`[wire ${((performance.now() - benchStarted) / 1000).toFixed(2)} s] ${message}\n`);
}

/** `promise`, or a rejection after `ms`; the timer does not outlive it. */
async function within<T>(promise: Promise<T>, ms: number, failure: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(failure())), ms)));
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function values(valueBytes: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => {
    const value = Buffer.alloc(valueBytes);
    // Compressible but not constant: JSON-like text (no newline: kcat reads one record a line).
    value.write(`{"order":${index},"customer":"c-${index % 97}","total":${(index * 7) % 1000},"note":"`.padEnd(valueBytes - 2, 'x') + '"}');
    return value;
  });
}

// ---------------------------------------------------------------------------------------------
// The server process

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Linux's USER_HZ (`getconf CLK_TCK`), the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/** `node --import` (Node 20.6+) preloads the loop monitor; on older Nodes it is left out. */
const CAN_PRELOAD = (() => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 6);
})();

/**
 * Preloaded into the main server (`node --import`): an event-loop delay histogram (1 ms timer);
 * SIGUSR2 writes its percentiles to $BROOK_WIRE_LOOP_FILE and resets it. The server's own code is
 * untouched; this tells server-side stalls from client-side ones in the latency runs.
 */
const LOOP_MONITOR = `data:text/javascript,${encodeURIComponent(`
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { renameSync, writeFileSync } from 'node:fs';
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
let gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
let sequence = 0;
process.on('SIGUSR2', () => {
  const file = process.env.BROOK_WIRE_LOOP_FILE;
  const ms = (ns) => ns / 1e6;
  writeFileSync(file + '.tmp', JSON.stringify({ sequence: ++sequence, p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), gc }));
  renameSync(file + '.tmp', file);
  histogram.reset();
  gc = { count: 0, totalMs: 0, maxMs: 0 };
});
`)}`;

interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
}

class ServerProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #output: { stderr: string };
  readonly #loopFile: string | null;
  #loopSequence = 0;
  /** Spawn → first successful TCP connect. */
  readonly connectMs: number;
  /** Spawn → the "brook: serving" line (printed once listening, just before the signal handlers are installed). */
  readonly servingMs: number;

  private constructor(child: ChildProcess, output: { stderr: string }, loopFile: string | null, port: number, connectMs: number, servingMs: number) {
    this.#child = child;
    this.#output = output;
    this.#loopFile = loopFile;
    this.port = port;
    this.connectMs = connectMs;
    this.servingMs = servingMs;
  }

  /** Starts `brook serve` on a free port (another process may take the port first: then another). */
  static async start(dataDir: string, overrides: ReadonlyArray<string>, nodeFlags: ReadonlyArray<string> = [], loopFile: string | null = null): Promise<ServerProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ServerProcess.#start(dataDir, overrides, nodeFlags, loopFile, await freePort());
      } catch (error) {
        if (attempt >= 5 || !String(error).includes('EADDRINUSE')) throw error;
      }
    }
  }

  static async #start(dataDir: string, overrides: ReadonlyArray<string>, nodeFlags: ReadonlyArray<string>, loopFile: string | null, port: number): Promise<ServerProcess> {
    const monitored = loopFile !== null && CAN_PRELOAD;
    const monitor = monitored ? ['--import', LOOP_MONITOR] : [];
    const args = [...nodeFlags, ...monitor, CLI, 'serve', '--data-dir', dataDir, '--port', String(port)];
    for (const override of overrides) args.push('--override', override);
    const started = performance.now();
    const env = monitored ? { ...process.env, BROOK_WIRE_LOOP_FILE: loopFile } : process.env;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const output = { stderr: '' };
    let servingMs = 0;
    let stdout = '';
    let exited: string | null = null;
    child.stderr?.on('data', (chunk: Buffer) => void (output.stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (servingMs !== 0) return;
      stdout += chunk.toString();
      if (stdout.includes('brook: serving')) servingMs = performance.now() - started;
    });
    child.once('exit', (code, signal) => void (exited = `exited (code ${code}, signal ${signal}): ${output.stderr}`));
    let connectMs = 0;
    while (connectMs === 0 || servingMs === 0) {
      if (exited !== null) throw new Error(`brook serve ${exited}`);
      if (connectMs === 0 && (await tryConnect(port))) connectMs = performance.now() - started;
      else await sleep(2);
      if (performance.now() - started > 15_000) {
        child.kill('SIGKILL');
        throw new Error(`brook serve did not start on ${port} within 15 s: ${output.stderr}`);
      }
    }
    return new ServerProcess(child, output, monitored ? loopFile : null, port, connectMs, servingMs);
  }

  /** The server's event-loop delay since the last call (null without the monitor). */
  async loopDelay(): Promise<LoopDelay | null> {
    const file = this.#loopFile;
    if (file === null) return null;
    const wanted = ++this.#loopSequence;
    this.#child.kill('SIGUSR2');
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline) {
      const found = await stat(file).then(
        () => readFile(file, 'utf8'),
        () => null,
      );
      if (found !== null) {
        const parsed = JSON.parse(found) as LoopDelay & { sequence: number };
        if (parsed.sequence >= wanted) return { p50: parsed.p50, p99: parsed.p99, max: parsed.max, gc: parsed.gc };
      }
      await sleep(5);
    }
    return null;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resident set size in MB (Linux /proc; NaN, reported as null, elsewhere). */
  async rssMb(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8').catch(() => '');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match === null ? Number.NaN : Number(match[1]) / 1024;
  }

  /** User + system CPU seconds the server has used so far (Linux /proc; NaN elsewhere). */
  async cpuSeconds(): Promise<number> {
    const stat = await readFile(`/proc/${this.pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) return Number.NaN;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14, stime 15 (1-based over the whole line).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    if (child.exitCode !== 0) process.stderr.write(`brook serve exited with ${child.exitCode ?? child.signalCode}: ${this.#output.stderr}\n`);
  }
}

/** Times one phase, with the server's CPU use over it. */
async function timed(server: ServerProcess, work: () => Promise<void>): Promise<{ seconds: number; serverCpu: number }> {
  const cpuBefore = await server.cpuSeconds();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await server.cpuSeconds()) - cpuBefore;
  return { seconds, serverCpu: cpu / seconds };
}

// ---------------------------------------------------------------------------------------------
// Startup and idle memory

async function startup(options: BenchOptions): Promise<void> {
  const starts = size(options, 2, 5);
  const idleMs = size(options, 300, 1000);
  const freshMs: number[] = [];
  const servingMs: number[] = [];
  const restartMs: number[] = [];
  const rssMb: number[] = [];
  for (let start = 0; start < starts; start++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'brook-wire-start-'));
    try {
      // An empty data directory, then the same directory again (its topics to load).
      const fresh = await ServerProcess.start(dataDir, []);
      freshMs.push(fresh.connectMs);
      servingMs.push(fresh.servingMs);
      await sleep(idleMs);
      rssMb.push(await fresh.rssMb());
      await fresh.stop();
      const restarted = await ServerProcess.start(dataDir, []);
      restartMs.push(restarted.connectMs);
      // brook serve prints its "serving" line before it installs its SIGTERM handler: a SIGTERM
      // right after the line can kill it uncleanly. Let it settle first.
      await sleep(200);
      await restarted.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  report({
    name: 'wire.serve.startup',
    starts,
    connectMs: round(median(freshMs)),
    connectMsMax: round(Math.max(...freshMs)),
    servingLineMs: round(median(servingMs)),
    restartConnectMs: round(median(restartMs)),
    idleRssMb: round(median(rssMb)),
    idleAfterMs: idleMs,
    measured: 'spawn of `node dist/src/cli/main.js serve --data-dir <empty dir>` to the first accepted TCP connection (polled every 2 ms); restart: the same directory again; RSS: /proc/<pid>/status VmRSS',
    targets: { connectMs: 150, idleRssMb: 80 },
  });
}

// ---------------------------------------------------------------------------------------------
// kcat

function kcatAvailable(): boolean {
  const probe = spawnSync('kcat', ['-V'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** Runs kcat to completion; resolves with its wall-clock milliseconds. */
function kcat(args: ReadonlyArray<string>, timeoutMs: number): Promise<number> {
  progress(`kcat ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out after ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      const elapsed = performance.now() - started;
      clearTimeout(timer);
      if (code === 0) resolve(elapsed);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

const settings = (list: ReadonlyArray<string>): string[] => list.flatMap((setting) => ['-X', setting]);

/** kcat's fixed cost per run: process start, bootstrap connection, metadata (`kcat -L`). */
async function kcatOverheadMs(server: ServerProcess): Promise<number> {
  const samples: number[] = [];
  for (let run = 0; run < 5; run++) samples.push(await kcat(['-b', server.address, '-L'], 10_000));
  return median(samples);
}

/** The kcat producer's input: `records` lines, the 64 values in turn. */
async function kcatInput(directory: string, valueBytes: number, records: number): Promise<string> {
  const payloads = values(valueBytes, 64);
  const block = Buffer.concat(payloads.flatMap((payload) => [payload, Buffer.from('\n')]));
  const lineBytes = valueBytes + 1;
  const file = Buffer.allocUnsafe(records * lineBytes);
  for (let offset = 0; offset < file.length; offset += block.length) block.copy(file, offset, 0, Math.min(block.length, file.length - offset));
  const path = join(directory, `records-${valueBytes}B-${records}.txt`);
  await writeFile(path, file);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Topics over the wire (KafkaJS admin)

interface Wire {
  readonly server: ServerProcess;
  readonly kafka: Kafka;
  readonly admin: Admin;
}

let topicSequence = 0;

async function createTopic(wire: Wire, prefix: string): Promise<string> {
  const topic = `${prefix}-${topicSequence++}`;
  progress(`create topic ${topic}`);
  await wire.admin.createTopics({
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }] }],
    waitForLeaders: true,
  });
  return topic;
}

async function endOffset(wire: Wire, topic: string): Promise<number> {
  const offsets = await wire.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

async function deleteTopic(wire: Wire, topic: string): Promise<void> {
  progress(`delete topic ${topic}`);
  await wire.admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  progress(`deleted ${topic}`);
}

// ---------------------------------------------------------------------------------------------
// Throughput

interface Rates {
  readonly produce: number;
  readonly consume: number;
}

interface CaseSize {
  readonly valueBytes: number;
  readonly records: number;
}

function throughputReport(
  name: string,
  kind: 'produce' | 'consume',
  valueBytes: number,
  records: number,
  rates: number[],
  baseline: Rates | null,
  extra: Record<string, unknown>,
): number {
  const rate = median(rates);
  report({
    name: `${name}.${kind}`,
    records,
    recordsPerSec: Math.round(rate),
    mbPerSec: round((rate * valueBytes) / 1e6),
    rounds: rates.length,
    ...(baseline === null ? {} : { baseline: 'embedded broker API, same records, same run', ratio: round(rate / baseline[kind]) }),
    ...extra,
  });
  return rate;
}

async function embeddedThroughput(options: BenchOptions, testCase: CaseSize): Promise<Rates> {
  const payloads = values(testCase.valueBytes, 64);
  const produceRates: number[] = [];
  const consumeRates: number[] = [];
  let checksum = 0;
  const rounds = size(options, 1, 3);
  for (let run = 0; run < rounds; run++) {
    const broker = await Broker.open({ scheduleTasks: false });
    await broker.createTopic('bench', { partitions: 1, config: { 'max.message.bytes': MAX_MESSAGE_BYTES } });
    const producer = broker.producer({ acks: 1, 'compression.type': 'none', 'batch.size': batchBytesFor(testCase.valueBytes), partitioner: 'sticky' });
    const started = performance.now();
    const inFlight: Array<Promise<unknown>> = [];
    let failure: unknown = null;
    for (let sent = 0; sent < testCase.records && failure === null; sent += RECORDS_PER_BATCH) {
      const messages = [];
      for (let index = 0; index < RECORDS_PER_BATCH; index++) messages.push({ value: payloads[(sent + index) % payloads.length]! });
      inFlight.push(producer.send({ topic: 'bench', messages }).catch((error: unknown) => void (failure ??= error)));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
    await producer.flush();
    produceRates.push(testCase.records / ((performance.now() - started) / 1000));
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 'bench', partition: 0 }]);
    const consumeStarted = performance.now();
    let consumed = 0;
    while (consumed < testCase.records) {
      for (const batch of await consumer.poll()) {
        consumed += batch.records.length;
        checksum = fold(checksum, batch.records[batch.records.length - 1]!.value!.length);
      }
    }
    consumeRates.push(testCase.records / ((performance.now() - consumeStarted) / 1000));
    await consumer.close();
    await broker.close();
  }
  const name = `wire.embedded.1p.${testCase.valueBytes}B`;
  const extra = { partitions: 1, compression: 'none', recordsPerBatch: RECORDS_PER_BATCH };
  return {
    produce: throughputReport(name, 'produce', testCase.valueBytes, testCase.records, produceRates, null, extra),
    consume: throughputReport(name, 'consume', testCase.valueBytes, testCase.records, consumeRates, null, { ...extra, checksum }),
  };
}

async function kcatThroughput(options: BenchOptions, wire: Wire, testCase: CaseSize, inputDir: string, overheadMs: number, baseline: Rates): Promise<void> {
  const input = await kcatInput(inputDir, testCase.valueBytes, testCase.records);
  // Five rounds: librdkafka now and then starts fetching ~0.5 s late (client-side, before its
  // first ListOffsets request), which the median absorbs.
  const rounds = size(options, 1, 5);
  const produceRates: number[] = [];
  const produceNetRates: number[] = [];
  const consumeRates: number[] = [];
  const consumeNetRates: number[] = [];
  const produceCpu: number[] = [];
  const consumeCpu: number[] = [];
  const timeoutMs = 120_000;
  try {
    for (let run = 0; run < rounds; run++) {
      const topic = await createTopic(wire, `kcat-${testCase.valueBytes}`);
      let wallMs = 0;
      const produced = await timed(wire.server, async () => {
        wallMs = await kcat(['-b', wire.server.address, '-P', '-t', topic, '-p', '0', ...settings(KCAT_PRODUCE_SETTINGS), '-l', input], timeoutMs);
      });
      const stored = await endOffset(wire, topic);
      if (stored !== testCase.records) throw new Error(`kcat produced ${stored} of ${testCase.records} records to ${topic}`);
      produceRates.push(testCase.records / (wallMs / 1000));
      produceNetRates.push(testCase.records / (Math.max(1, wallMs - overheadMs) / 1000));
      produceCpu.push(produced.serverCpu);
      const consumed = await timed(wire.server, async () => {
        wallMs = await kcat(
          ['-b', wire.server.address, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(testCase.records), '-q', '-f', '', ...settings(KCAT_CONSUME_SETTINGS)],
          timeoutMs,
        );
      });
      consumeRates.push(testCase.records / (wallMs / 1000));
      consumeNetRates.push(testCase.records / (Math.max(1, wallMs - overheadMs) / 1000));
      consumeCpu.push(consumed.serverCpu);
      await deleteTopic(wire, topic);
    }
  } finally {
    await rm(input, { force: true });
  }
  const name = `wire.kcat.1p.${testCase.valueBytes}B`;
  const common = { partitions: 1, compression: 'none', client: 'kcat (librdkafka), one process per run; wall clock of the process', processOverheadMs: round(overheadMs) };
  throughputReport(name, 'produce', testCase.valueBytes, testCase.records, produceRates, baseline, {
    ...common,
    recordsPerSecExOverhead: Math.round(median(produceNetRates)),
    serverCpu: round(median(produceCpu)),
    settings: KCAT_PRODUCE_SETTINGS,
    ...(testCase.valueBytes === 100 ? { target: { recordsPerSec: 1_000_000 } } : {}),
  });
  throughputReport(name, 'consume', testCase.valueBytes, testCase.records, consumeRates, baseline, {
    ...common,
    recordsPerSecExOverhead: Math.round(median(consumeNetRates)),
    serverCpu: round(median(consumeCpu)),
    settings: [...KCAT_CONSUME_SETTINGS, `-c ${testCase.records}`, '-o beginning'],
    ...(testCase.valueBytes === 100 ? { target: { recordsPerSec: 2_000_000 } } : {}),
  });
}

async function kafkajsThroughput(options: BenchOptions, wire: Wire, testCase: CaseSize, baseline: Rates): Promise<void> {
  const payloads = values(testCase.valueBytes, 64);
  const rounds = size(options, 1, 3);
  const produceRates: number[] = [];
  const consumeRates: number[] = [];
  const produceCpu: number[] = [];
  const consumeCpu: number[] = [];
  const joinMs: number[] = [];
  let checksum = 0;
  // A KafkaJS producer refreshes metadata for every topic it has sent to: topics are deleted only
  // after it disconnects (a deleted one would fail its later sends with UNKNOWN_TOPIC_OR_PARTITION).
  const topics: string[] = [];
  const producer = wire.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let run = 0; run < rounds; run++) {
      const topic = await createTopic(wire, `kafkajs-${testCase.valueBytes}`);
      topics.push(topic);
      const produced = await timed(wire.server, async () => {
        const inFlight: Array<Promise<unknown>> = [];
        let failure: unknown = null;
        for (let sent = 0; sent < testCase.records && failure === null; sent += RECORDS_PER_BATCH) {
          const messages = [];
          for (let index = 0; index < RECORDS_PER_BATCH; index++) messages.push({ value: payloads[(sent + index) % payloads.length]! });
          inFlight.push(producer.send({ topic, acks: 1, messages }).catch((error: unknown) => void (failure ??= error)));
          if (inFlight.length >= 8) await inFlight.shift();
        }
        await Promise.all(inFlight);
        if (failure !== null) throw failure;
      });
      const stored = await endOffset(wire, topic);
      if (stored !== testCase.records) throw new Error(`KafkaJS produced ${stored} of ${testCase.records} records to ${topic}`);
      produceRates.push(testCase.records / produced.seconds);
      produceCpu.push(produced.serverCpu);

      const consumer = wire.kafka.consumer({
        groupId: `bench-${topic}`,
        minBytes: 1,
        maxBytes: 64 * 1024 * 1024,
        maxBytesPerPartition: 16 * 1024 * 1024,
        maxWaitTimeInMs: 100,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      progress(`consume ${topic}`);
      const cpuBefore = await wire.server.cpuSeconds();
      const runStarted = performance.now();
      let firstFetchAt = 0;
      consumer.on(consumer.events.FETCH_START, () => void (firstFetchAt ||= performance.now()));
      let doneAt = 0;
      let consumed = 0;
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            consumed += batch.messages.length;
            const last = batch.messages[batch.messages.length - 1];
            if (last !== undefined) checksum = fold(checksum, last.value?.length ?? 0);
            if (consumed >= testCase.records && doneAt === 0) {
              doneAt = performance.now();
              resolve();
            }
          },
        });
      });
      await within(done, 120_000, () => `KafkaJS consumed ${consumed} of ${testCase.records} in 120 s`);
      const cpu = (await wire.server.cpuSeconds()) - cpuBefore;
      // From the first fetch to the last record (the group join before it is reported apart).
      const from = firstFetchAt === 0 ? runStarted : firstFetchAt;
      consumeRates.push(testCase.records / ((doneAt - from) / 1000));
      consumeCpu.push(cpu / ((doneAt - runStarted) / 1000));
      joinMs.push(from - runStarted);
      progress(`disconnect consumer of ${topic}`);
      await consumer.disconnect();
    }
  } finally {
    await producer.disconnect();
    for (const topic of topics) await deleteTopic(wire, topic);
  }
  const name = `wire.kafkajs.1p.${testCase.valueBytes}B`;
  const common = { partitions: 1, compression: 'none', client: 'KafkaJS 2.2.4 in the bench process' };
  throughputReport(name, 'produce', testCase.valueBytes, testCase.records, produceRates, baseline, {
    ...common,
    serverCpu: round(median(produceCpu)),
    settings: ['producer.send of 1,000 records', 'acks=1', 'up to 8 sends in flight'],
  });
  throughputReport(name, 'consume', testCase.valueBytes, testCase.records, consumeRates, baseline, {
    ...common,
    serverCpu: round(median(consumeCpu)),
    firstFetchAfterMs: round(median(joinMs)),
    checksum,
    settings: ['group consumer, eachBatch', 'fromBeginning', 'minBytes=1', 'maxWaitTimeInMs=100', 'maxBytesPerPartition=16 MiB', 'timed from the first fetch (after the group join) to the last record'],
  });
}

// ---------------------------------------------------------------------------------------------
// End-to-end latency at a fixed rate

const E2E_RATE = 10_000;
const E2E_VALUE_BYTES = 100;
const PROBE = Buffer.from('probe'.padEnd(E2E_VALUE_BYTES, '-'));

/**
 * A record of the latency runs: text (kcat reads and prints one record a line), "<sequence>,<the
 * scheduled send time, performance.now() ms>," padded to 100 bytes. Producer and consumer share
 * this process's clock; kcat's lines are read back from its stdout.
 */
function latencyValue(sequence: number, scheduledMs: number): Buffer {
  return Buffer.from(`${sequence},${scheduledMs.toFixed(4)},`.padEnd(E2E_VALUE_BYTES, 'x'), 'latin1');
}

function parseLatencyValue(value: Buffer): { sequence: number; scheduledMs: number } {
  const text = value.toString('latin1', 0, 40);
  const comma = text.indexOf(',');
  return { sequence: Number(text.slice(0, comma)), scheduledMs: Number(text.slice(comma + 1, text.indexOf(',', comma + 1))) };
}

/** Receipt − scheduled send time of every record past the warm-up (coordinated omission corrected). */
class LatencyRecorder {
  readonly latencies: Float64Array;
  /** Scheduled send → the producer's acknowledgement (where the producer reports one). */
  readonly acks: Float64Array;
  received = 0;
  probes = 0;
  #measured = 0;
  #acked = 0;
  readonly #warmup: number;
  readonly #total: number;
  readonly #done: Promise<void>;
  #resolve: () => void = () => undefined;

  constructor(total: number, warmup: number) {
    this.#total = total;
    this.#warmup = warmup;
    this.latencies = new Float64Array(total - warmup);
    this.acks = new Float64Array(total - warmup);
    this.#done = new Promise<void>((resolve) => (this.#resolve = resolve));
  }

  receive(value: Buffer, now: number): void {
    if (value[0] === PROBE[0]) {
      this.probes++;
      return;
    }
    const { sequence, scheduledMs } = parseLatencyValue(value);
    if (sequence >= this.#warmup) this.latencies[this.#measured++] = now - scheduledMs;
    if (++this.received >= this.#total) this.#resolve();
  }

  ack(value: Buffer, now: number): void {
    if (value[0] === PROBE[0]) return;
    const { sequence, scheduledMs } = parseLatencyValue(value);
    if (sequence >= this.#warmup && this.#acked < this.acks.length) this.acks[this.#acked++] = now - scheduledMs;
  }

  get ackCount(): number {
    return this.#acked;
  }

  done(timeoutMs: number): Promise<void> {
    return within(this.#done, timeoutMs, () => `end-to-end: received ${this.received} of ${this.#total} records`);
  }
}

interface LatencyProducer {
  /** Sends one tick's records, without waiting. */
  send(values: Buffer[]): void;
  /** The first send failure, if any. */
  failure(): unknown;
  close(): Promise<void>;
}

interface LatencyConsumer {
  close(): Promise<void>;
}

interface LatencySide<T> {
  readonly name: string;
  readonly settings: ReadonlyArray<string>;
  open(wire: Wire, topic: string, recorder: LatencyRecorder): Promise<T>;
}

const kafkajsProducerSide: LatencySide<LatencyProducer> = {
  name: 'KafkaJS',
  settings: ['KafkaJS producer.send per tick, acks=1'],
  async open(wire, topic, recorder) {
    const producer = wire.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    let failed: unknown = null;
    return {
      send: (values) =>
        void producer.send({ topic, acks: 1, messages: values.map((value) => ({ value })) }).then(
          () => {
            const now = performance.now();
            for (const value of values) recorder.ack(value, now);
          },
          (error: unknown) => void (failed ??= error),
        ),
      failure: () => failed,
      close: () => producer.disconnect(),
    };
  },
};

const kafkajsConsumerSide: LatencySide<LatencyConsumer> = {
  name: 'KafkaJS',
  settings: ['KafkaJS group consumer, eachBatch, minBytes=1, maxWaitTimeInMs=100'],
  async open(wire, topic, recorder) {
    const consumer = wire.kafka.consumer({ groupId: `bench-${topic}`, minBytes: 1, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const message of batch.messages) if (message.value !== null) recorder.receive(message.value, now);
      },
    });
    return { close: () => consumer.disconnect() };
  },
};

/** @platformatic/kafka (a devDependency): a second Node client, to tell KafkaJS's cost from the server's. */
const platformaticProducerSide: LatencySide<LatencyProducer> = {
  name: 'platformatic',
  settings: ['@platformatic/kafka producer.send per tick, acks=1'],
  async open(wire, topic, recorder) {
    const producer = new PlatformaticProducer({ clientId: 'brook-bench', bootstrapBrokers: [wire.server.address], acks: ProduceAcks.LEADER, autocreateTopics: false });
    let failed: unknown = null;
    return {
      send: (values) =>
        void producer.send({ messages: values.map((value) => ({ topic, partition: 0, value })) }).then(
          () => {
            const now = performance.now();
            for (const value of values) recorder.ack(value, now);
          },
          (error: unknown) => void (failed ??= error),
        ),
      failure: () => failed,
      close: () => producer.close(),
    };
  },
};

/** Ends a kcat this bench started (by its own handle) and waits for it. */
async function endKcat(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const kcatConsumerSide: LatencySide<LatencyConsumer> = {
  name: 'kcat',
  settings: ['kcat -C -u -f "%s\\n" (lines read from its stdout)'],
  async open(wire, topic, recorder) {
    const child = spawn('kcat', ['-b', wire.server.address, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-u', '-q', '-f', '%s\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let pending = Buffer.alloc(0);
    child.stdout?.on('data', (chunk: Buffer) => {
      const now = performance.now();
      let data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10)) {
        recorder.receive(data.subarray(0, newline), now);
        data = data.subarray(newline + 1);
      }
      pending = Buffer.from(data);
    });
    return { close: () => endKcat(child) };
  },
};

async function pace(total: number, producer: LatencyProducer): Promise<number> {
  let sent = 0;
  let ticks = 0;
  const started = performance.now();
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) * E2E_RATE) / 1000) + 1);
    if (due > sent) {
      const batch: Buffer[] = [];
      for (; sent < due; sent++) batch.push(latencyValue(sent, started + (sent * 1000) / E2E_RATE));
      producer.send(batch);
      ticks++;
    }
    await sleep(1);
  }
  return ticks;
}

interface LatencyRun {
  readonly latencies: Float64Array;
  /** Producer acknowledgements, when the producer reports them (may be empty). */
  readonly acks: Float64Array;
  /** This process's event-loop delay p99 over the run (ms, 1 ms timer period included): client-side stalls. */
  readonly loopDelayP99Ms: number;
  /** The server process's event-loop delay p99 and max over the run (ms, -1: not measured). */
  readonly serverLoopDelayP99Ms: number;
  readonly serverLoopDelayMaxMs: number;
  /** The server's longest GC pause, and GC milliseconds per second, over the run (-1: not measured). */
  readonly serverGcMaxMs: number;
  readonly serverGcMsPerSec: number;
  /** Sends (ticks) per second while sending. */
  readonly sendsPerSec: number;
  readonly serverCpu: number;
}

function latencyReport(name: string, runs: LatencyRun[], extra: Record<string, unknown>, baseline: { p50: number; p99: number } | null): { p50: number; p99: number } {
  const per = runs.map((run) => {
    const sorted = Float64Array.from(run.latencies).sort();
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), max: sorted[sorted.length - 1] ?? 0 };
  });
  const p50 = median(per.map((run) => run.p50));
  const p99 = median(per.map((run) => run.p99));
  const acked = runs.filter((run) => run.acks.length > 0).map((run) => Float64Array.from(run.acks).sort());
  report({
    name,
    records: runs.reduce((sum, run) => sum + run.latencies.length, 0),
    recordsPerSec: E2E_RATE,
    p50Ms: round(p50),
    p99Ms: round(p99),
    p999Ms: round(median(per.map((run) => run.p999))),
    maxMs: round(Math.max(...per.map((run) => run.max))),
    p99MsPerRound: per.map((run) => round(run.p99)),
    ...(acked.length === 0
      ? {}
      : { produceAckP50Ms: round(median(acked.map((sorted) => percentile(sorted, 0.5)))), produceAckP99Ms: round(median(acked.map((sorted) => percentile(sorted, 0.99)))) }),
    clientLoopDelayP99Ms: round(median(runs.map((run) => run.loopDelayP99Ms))),
    ...(runs[0]!.serverLoopDelayP99Ms >= 0
      ? {
          serverLoopDelayP99Ms: round(median(runs.map((run) => run.serverLoopDelayP99Ms))),
          serverLoopDelayMaxMs: round(Math.max(...runs.map((run) => run.serverLoopDelayMaxMs))),
          serverGcMaxMs: round(Math.max(...runs.map((run) => run.serverGcMaxMs))),
          serverGcMsPerSec: round(median(runs.map((run) => run.serverGcMsPerSec))),
        }
      : {}),
    rounds: runs.length,
    sendsPerSec: round(median(runs.map((run) => run.sendsPerSec))),
    correctedForCoordinatedOmission: true,
    ...(runs[0]!.serverCpu >= 0 ? { serverCpu: round(median(runs.map((run) => run.serverCpu))) } : {}),
    ...(baseline === null ? {} : { baseline: 'embedded broker API at the same rate, same run (ratio of p99)', ratio: round(p99 / baseline.p99) }),
    ...extra,
  });
  return { p50, p99 };
}

function latencySizes(options: BenchOptions): { durationMs: number; warmupMs: number; total: number; warmup: number } {
  const durationMs = size(options, 1000, 5000);
  const warmupMs = size(options, 200, 1000);
  return { durationMs, warmupMs, total: Math.round(((durationMs + warmupMs) * E2E_RATE) / 1000), warmup: Math.round((warmupMs * E2E_RATE) / 1000) };
}

async function embeddedLatency(options: BenchOptions): Promise<{ p50: number; p99: number }> {
  const { durationMs, warmupMs, total, warmup } = latencySizes(options);
  const runs: LatencyRun[] = [];
  for (let run = 0; run < size(options, 1, 2); run++) {
    const broker = await Broker.open({ scheduleTasks: false });
    await broker.createTopic('e2e', { partitions: 1 });
    const producer = broker.producer({ acks: 1 });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 100 });
    consumer.assign([{ topic: 'e2e', partition: 0 }]);
    const recorder = new LatencyRecorder(total, warmup);
    const receiving = (async () => {
      while (recorder.received < total) {
        for (const batch of await consumer.poll()) {
          const now = performance.now();
          for (const record of batch.records) recorder.receive(record.value!, now);
        }
      }
    })();
    let failed: unknown = null;
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const sendTicks = await pace(total, {
      send: (values) =>
        void producer.send({ topic: 'e2e', messages: values.map((value) => ({ value })) }).then(
          () => {
            const now = performance.now();
            for (const value of values) recorder.ack(value, now);
          },
          (error: unknown) => void (failed ??= error),
        ),
      failure: () => failed,
      close: async () => undefined,
    });
    await recorder.done(30_000);
    loopDelay.disable();
    await receiving;
    if (failed !== null) throw failed;
    runs.push({
      latencies: recorder.latencies,
      acks: recorder.acks.subarray(0, recorder.ackCount),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      serverLoopDelayP99Ms: -1,
      serverLoopDelayMaxMs: -1,
      serverGcMaxMs: -1,
      serverGcMsPerSec: -1,
      sendsPerSec: sendTicks / (total / E2E_RATE),
      serverCpu: -1,
    });
    await consumer.close();
    await broker.close();
  }
  return latencyReport('wire.embedded.e2e.10k-per-sec', runs, { warmupMs, durationMs, settings: ['producer acks=1, linger.ms 0', 'consumer fetch.max.wait.ms=100'] }, null);
}

/** Producer and consumer over the wire; the consumer must see a probe record before the timed run. */
async function wireLatency(
  options: BenchOptions,
  wire: Wire,
  producerSide: LatencySide<LatencyProducer>,
  consumerSide: LatencySide<LatencyConsumer>,
  baseline: { p50: number; p99: number },
): Promise<void> {
  const { durationMs, warmupMs, total, warmup } = latencySizes(options);
  const runs: LatencyRun[] = [];
  const topics: string[] = [];
  try {
    for (let run = 0; run < size(options, 1, 3); run++) {
      const topic = await createTopic(wire, `e2e-${producerSide.name}-${consumerSide.name}`);
      topics.push(topic);
      const recorder = new LatencyRecorder(total, warmup);
      const consumer = await consumerSide.open(wire, topic, recorder);
      const producer = await producerSide.open(wire, topic, recorder);
      try {
        // Ready when a probe has gone all the way through.
        const readyBy = performance.now() + 30_000;
        while (recorder.probes === 0) {
          if (performance.now() > readyBy) throw new Error(`end-to-end ${producerSide.name} → ${consumerSide.name}: no probe record arrived in 30 s`);
          producer.send([PROBE]);
          await sleep(50);
        }
        progress(`ready; sending to ${topic}`);
        const cpuBefore = await wire.server.cpuSeconds();
        await wire.server.loopDelay();
        const started = performance.now();
        const loopDelay = monitorEventLoopDelay({ resolution: 1 });
        loopDelay.enable();
        const sendTicks = await pace(total, producer);
        await recorder.done(30_000);
        loopDelay.disable();
        const serverLoop = await wire.server.loopDelay();
        const serverCpu = ((await wire.server.cpuSeconds()) - cpuBefore) / ((performance.now() - started) / 1000);
        if (producer.failure() !== null) throw producer.failure();
        runs.push({
          latencies: recorder.latencies,
          acks: recorder.acks.subarray(0, recorder.ackCount),
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          serverLoopDelayP99Ms: serverLoop === null ? -1 : serverLoop.p99,
          serverLoopDelayMaxMs: serverLoop === null ? -1 : serverLoop.max,
          serverGcMaxMs: serverLoop === null ? -1 : serverLoop.gc.maxMs,
          serverGcMsPerSec: serverLoop === null ? -1 : serverLoop.gc.totalMs / ((performance.now() - started) / 1000),
          sendsPerSec: sendTicks / (total / E2E_RATE),
          serverCpu,
        });
      } finally {
        await producer.close();
        await consumer.close();
      }
    }
  } finally {
    for (const topic of topics) await deleteTopic(wire, topic);
  }
  const key = (side: string): string => side.toLowerCase();
  latencyReport(
    `wire.e2e.${key(producerSide.name)}-to-${key(consumerSide.name)}.10k-per-sec`,
    runs,
    {
      warmupMs,
      durationMs,
      producer: producerSide.name,
      consumer: consumerSide.name,
      settings: [...producerSide.settings, ...consumerSide.settings, 'one send per ~1 ms tick with every record due by then (about 10)'],
      target: { p99Ms: 5 },
    },
    baseline,
  );
}

// ---------------------------------------------------------------------------------------------

export async function run(options: BenchOptions): Promise<void> {
  // BROOK_WIRE_PARTS=startup,throughput,latency (default: all) runs a subset.
  const parts = new Set((process.env['BROOK_WIRE_PARTS'] ?? 'startup,throughput,latency').split(','));
  if (parts.has('startup')) await startup(options);
  if (!parts.has('throughput') && !parts.has('latency')) return;

  const cases: CaseSize[] = [
    { valueBytes: 100, records: size(options, 20_000, 1_000_000) },
    { valueBytes: 1024, records: size(options, 5_000, 200_000) },
  ];
  const kafkajsCases: CaseSize[] = [
    { valueBytes: 100, records: size(options, 10_000, 300_000) },
    { valueBytes: 1024, records: size(options, 5_000, 100_000) },
  ];

  const dataDir = await mkdtemp(join(tmpdir(), 'brook-wire-'));
  const inputDir = await mkdtemp(join(tmpdir(), 'brook-wire-input-'));
  const profileDir = process.env['BROOK_WIRE_CPU_PROF'];
  const server = await ServerProcess.start(
    dataDir,
    ['group.initial.rebalance.delay.ms=0'],
    profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir],
    join(inputDir, 'server-loop-delay.json'),
  );
  const kafka = new Kafka({ clientId: 'brook-bench', brokers: [server.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const wire: Wire = { server, kafka, admin };
  try {
    const haveKcat = kcatAvailable();
    const overheadMs = haveKcat ? await kcatOverheadMs(server) : 0;
    if (!haveKcat) report({ name: 'wire.kcat', skipped: 'kcat not found on PATH' });
    for (let index = 0; index < cases.length && parts.has('throughput'); index++) {
      const testCase = cases[index]!;
      const kafkajsCase = kafkajsCases[index]!;
      const baseline = await embeddedThroughput(options, testCase);
      if (haveKcat) await kcatThroughput(options, wire, testCase, inputDir, overheadMs, baseline);
      await kafkajsThroughput(options, wire, kafkajsCase, baseline);
    }
    if (parts.has('latency')) {
      const latencyBaseline = await embeddedLatency(options);
      await wireLatency(options, wire, kafkajsProducerSide, kafkajsConsumerSide, latencyBaseline);
      // kcat -P reads its input in large blocks (lines from a pipe wait for the block or EOF), so
      // it cannot pace a producer: kcat is measured as the consumer only.
      if (haveKcat) {
        await wireLatency(options, wire, kafkajsProducerSide, kcatConsumerSide, latencyBaseline);
        await wireLatency(options, wire, platformaticProducerSide, kcatConsumerSide, latencyBaseline);
      }
    }
    report({ name: 'wire.serve.after-load', rssMb: round(await server.rssMb()), serverCpuSeconds: round(await server.cpuSeconds()) });
  } finally {
    await admin.disconnect().catch(() => undefined);
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(inputDir, { recursive: true, force: true });
  }
}
