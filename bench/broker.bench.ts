import { Broker } from '../src/broker/broker.js';
import type { Producer } from '../src/broker/producer.js';
import { ConsumerGroups, type GroupConsumer } from '../src/groups/consumer-groups.js';
import { fold, median, percentile, report, size, type BenchOptions } from './report.js';

/**
 * Produce then consume through the embedded broker API (`npm run bench -- broker`):
 * partitions 1, 3, 12; compression none and lz4; 100-byte and 1 KiB records; batches of 1,000
 * records; page-cache durability; inline, 1 and 2 workers for the compressed and 1 KiB cases, and
 * LZ4 on two payloads (JSON-like text and kafka-producer-perf-test's random letters). Each round
 * opens a new broker and first produces a fifth of its records, untimed, to another topic, so that
 * no case is timed on cold threads. Then a group of 3 consumers reading everything, and end-to-end
 * latency (produce call → consumer receipt) at a fixed rate, with coordinated omission corrected:
 * each record's latency is measured from when it was due to be sent, not when it was sent.
 */
interface Case {
  readonly workers: number;
  readonly partitions: number;
  readonly compression: 'none' | 'lz4';
  readonly valueBytes: number;
  /** 'json' (default): JSON-like text padded with 'x', which LZ4 shrinks ~50x. 'letters': random A-Z, as kafka-producer-perf-test makes payloads, which LZ4 stores raw. */
  readonly payload?: Payload;
}

type Payload = 'json' | 'letters';

const RECORDS_PER_BATCH = 1000;
/** The producer counts 21 bytes of overhead per record: this batch.size closes batches at 1,000 records. */
const batchBytesFor = (valueBytes: number): number => RECORDS_PER_BATCH * (21 + valueBytes);

function values(valueBytes: number, count: number, payload: Payload = 'json'): Buffer[] {
  if (payload === 'letters') {
    let seed = 0x9e3779b9;
    return Array.from({ length: count }, () => {
      const value = Buffer.allocUnsafe(valueBytes);
      for (let index = 0; index < valueBytes; index++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        value[index] = 65 + (seed >>> 24) % 26;
      }
      return value;
    });
  }
  return Array.from({ length: count }, (_, index) => {
    const value = Buffer.alloc(valueBytes);
    // Compressible but not constant: JSON-like text.
    value.write(`{"order":${index},"customer":"c-${index % 97}","total":${(index * 7) % 1000},"note":"`.padEnd(valueBytes - 2, 'x') + '"}');
    return value;
  });
}

async function produceRun(broker: Broker, producer: Producer, topic: string, records: number, payloads: Buffer[]): Promise<number> {
  const started = performance.now();
  const inFlight: Array<Promise<unknown>> = [];
  let failure: unknown = null;
  for (let sent = 0; sent < records && failure === null; sent += RECORDS_PER_BATCH) {
    const messages = [];
    for (let index = 0; index < RECORDS_PER_BATCH; index++) messages.push({ value: payloads[(sent + index) % payloads.length]! });
    inFlight.push(producer.send({ topic, messages }).catch((error: unknown) => void (failure ??= error)));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  await producer.flush();
  void broker;
  return (performance.now() - started) / 1000;
}

async function produceConsume(options: BenchOptions, testCase: Case): Promise<{ produce: number; consume: number }> {
  const records = size(options, 20_000, testCase.valueBytes >= 1024 ? 1_000_000 : 3_000_000);
  const payloads = values(testCase.valueBytes, 64, testCase.payload);
  const produceRates: number[] = [];
  const consumeRates: number[] = [];
  let checksum = 0;
  const rounds = size(options, 1, 3);
  for (let round = 0; round < rounds; round++) {
    const broker = await Broker.open({ scheduleTasks: false, workers: testCase.workers });
    for (const topic of ['warm-up', 'bench']) {
      await broker.createTopic(topic, { partitions: testCase.partitions, config: { 'max.message.bytes': 4 * 1024 * 1024 } });
    }
    // Keyless records; batch.size holds exactly 1,000 records, and sticky keeps a batch on one partition.
    const producer = broker.producer({
      acks: 1,
      'compression.type': testCase.compression,
      'batch.size': batchBytesFor(testCase.valueBytes),
      partitioner: 'sticky',
    });
    // Untimed, the same for every case: a new broker's threads (its workers above all) start cold.
    await produceRun(broker, producer, 'warm-up', Math.ceil(records / 5 / RECORDS_PER_BATCH) * RECORDS_PER_BATCH, payloads);
    const produceSeconds = await produceRun(broker, producer, 'bench', records, payloads);
    produceRates.push(records / produceSeconds);
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign(Array.from({ length: testCase.partitions }, (_, partition) => ({ topic: 'bench', partition })));
    const started = performance.now();
    let consumed = 0;
    while (consumed < records) {
      const batches = await consumer.poll();
      // Every record's value is read, as an application would.
      for (const batch of batches) {
        for (const record of batch.records) checksum = fold(checksum, record.value!.length);
        consumed += batch.records.length;
      }
    }
    consumeRates.push(records / ((performance.now() - started) / 1000));
    await consumer.close();
    await broker.close();
  }
  const payloadName = testCase.payload === 'letters' ? '.letters' : '';
  const name = `broker.${testCase.partitions}p.${testCase.compression}${payloadName}.${testCase.valueBytes}B.w${testCase.workers}`;
  const produceRate = median(produceRates);
  const consumeRate = median(consumeRates);
  const baselineKey = `${testCase.partitions}.${testCase.compression}${payloadName}.${testCase.valueBytes}`;
  const inline = baselines.get(baselineKey);
  const compared = (rate: number, kind: 'produce' | 'consume') =>
    inline === undefined || testCase.workers === 0 ? {} : { baseline: 'workers: 0 (inline), same run', ratio: round(rate / inline[kind]) };
  report({ name: `${name}.produce`, records, recordsPerSec: Math.round(produceRate), mbPerSec: round((produceRate * testCase.valueBytes) / 1e6), workers: testCase.workers, rounds, ...compared(produceRate, 'produce') });
  report({ name: `${name}.consume`, records, recordsPerSec: Math.round(consumeRate), mbPerSec: round((consumeRate * testCase.valueBytes) / 1e6), workers: testCase.workers, rounds, checksum, ...compared(consumeRate, 'consume') });
  if (testCase.workers === 0) baselines.set(baselineKey, { produce: produceRate, consume: consumeRate });
  return { produce: produceRate, consume: consumeRate };
}

const baselines = new Map<string, { produce: number; consume: number }>();

/** A group of 3 consumers reads a 12-partition topic to the end (a new group each round). */
async function groupConsume(options: BenchOptions): Promise<void> {
  const records = size(options, 30_000, 6_000_000);
  const rounds = size(options, 1, 3);
  const broker = await Broker.open({ scheduleTasks: false });
  await broker.createTopic('bench', { partitions: 12 });
  const producer = broker.producer({ acks: 1, 'batch.size': batchBytesFor(100), partitioner: 'sticky' });
  await produceRun(broker, producer, 'bench', records, values(100, 64));
  const groups = await ConsumerGroups.open(broker);
  const rates: number[] = [];
  let checksum = 0;
  let assignment: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const members: GroupConsumer[] = [0, 1, 2].map(() =>
      groups.consumer({ groupId: `bench-${round}`, 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0, 'enable.auto.commit': false }),
    );
    await Promise.all(members.map((member) => member.subscribe({ topics: ['bench'] })));
    // Wait until every member holds its share (the first joiners rebalance when the others arrive).
    for (let attempt = 0; attempt < 200 && members.some((member) => member.assignment().length !== 4); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assignment = members.map((member) => member.assignment().length);
    const started = performance.now();
    let consumed = 0;
    await Promise.all(
      members.map(async (member) => {
        for (;;) {
          const batches = await member.poll();
          if (batches.length === 0) return;
          // Every record's value is read, as an application would.
          for (const batch of batches) {
            for (const record of batch.records) checksum = fold(checksum, record.value!.length);
            consumed += batch.records.length;
          }
        }
      }),
    );
    if (consumed !== records) throw new Error(`the group read ${consumed} of ${records} records`);
    rates.push(consumed / ((performance.now() - started) / 1000));
    for (const member of members) await member.close();
  }
  const rate = median(rates);
  report({
    name: 'broker.group-of-3.12p.consume',
    records,
    recordsPerSec: Math.round(rate),
    mbPerSec: round((rate * 100) / 1e6),
    rounds,
    checksum,
    assignment,
  });
  groups.close();
  await broker.close();
}

/**
 * End-to-end latency at a fixed rate: a producer sends one record per tick slot at `rate`
 * records/s (linger.ms 0), a consumer long-polls; latency = receipt time − the record's scheduled
 * send time (coordinated omission corrected).
 */
async function endToEnd(options: BenchOptions): Promise<void> {
  const rate = 50_000;
  const durationMs = size(options, 500, 5000);
  const broker = await Broker.open({ scheduleTasks: false });
  await broker.createTopic('e2e', { partitions: 1 });
  const producer = broker.producer({ acks: 1 });
  const consumer = broker.consumer({ 'auto.offset.reset': 'latest', 'fetch.max.wait.ms': 100 });
  consumer.assign([{ topic: 'e2e', partition: 0 }]);
  await consumer.poll();
  const total = Math.round((rate * durationMs) / 1000);
  const scheduledMs = new Float64Array(total);
  const latencies = new Float64Array(total);
  let received = 0;
  const started = performance.now();
  const receiving = (async () => {
    while (received < total) {
      for (const batch of await consumer.poll()) {
        const now = performance.now();
        for (const record of batch.records) {
          const index = record.value!.readUInt32BE(0);
          latencies[received++] = now - scheduledMs[index]!;
        }
      }
    }
  })();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
    if (due > sent) {
      const messages = [];
      for (; sent < due; sent++) {
        scheduledMs[sent] = started + (sent * 1000) / rate;
        const value = Buffer.allocUnsafe(100);
        value.writeUInt32BE(sent, 0);
        messages.push({ value });
      }
      void producer.send({ topic: 'e2e', messages });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await receiving;
  latencies.sort();
  report({
    name: 'broker.e2e.50k-per-sec',
    records: total,
    recordsPerSec: rate,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    p999Ms: round(percentile(latencies, 0.999)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
    correctedForCoordinatedOmission: true,
  });
  await consumer.close();
  await broker.close();
}

/** Cold start (Broker.open with a temporary directory, one topic) and idle memory. */
async function coldStart(): Promise<void> {
  const started = performance.now();
  const broker = await Broker.open({ scheduleTasks: false });
  await broker.createTopic('t', { partitions: 3 });
  const openMs = performance.now() - started;
  const rssMb = process.memoryUsage().rss / 1e6;
  await broker.close();
  report({ name: 'broker.cold-start', openMs: round(openMs), rssMb: round(rssMb) });
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export async function run(options: BenchOptions): Promise<void> {
  await coldStart();
  const cases: Case[] = [];
  for (const partitions of [1, 3, 12]) cases.push({ workers: 0, partitions, compression: 'none', valueBytes: 100 });
  for (const workers of [0, 1, 2]) {
    cases.push({ workers, partitions: 3, compression: 'lz4', valueBytes: 100 });
    cases.push({ workers, partitions: 3, compression: 'none', valueBytes: 1024 });
    cases.push({ workers, partitions: 3, compression: 'lz4', valueBytes: 1024 });
    cases.push({ workers, partitions: 3, compression: 'lz4', valueBytes: 1024, payload: 'letters' });
  }
  for (const testCase of cases) await produceConsume(options, testCase);
  await groupConsume(options);
  await endToEnd(options);
}
