import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import { Producer } from '../../src/broker/producer.js';
import { EngineError } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { ManualClock } from '../../src/core/clock.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/records/record-batch.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET } from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import { lz4FrameCompress } from '../../src/records/lz4-frame.js';
import { NATIVE_BACKLOG_BYTES_MAX, nativeBacklogBytes } from '../../src/records/native-backlog.js';
import { Prng } from '../helpers/prng.js';

let brokers: Broker[] = [];
afterEach(async () => {
  for (const broker of brokers) await broker.close();
  brokers = [];
});

/** A snappy batch: stored and served as sent (its CRC is good), but Brook cannot decode it. */
function snappyBatch(): Buffer {
  const sealed = encodeRecordBatch([{ value: 'x' }]);
  sealed.writeInt16BE((sealed.readInt16BE(ATTRIBUTES_OFFSET) & ~0x07) | 2, ATTRIBUTES_OFFSET);
  sealed.writeUInt32BE(crc32c(sealed, ATTRIBUTES_OFFSET, sealed.length), CRC_OFFSET);
  return sealed;
}

async function openBroker(clock?: ManualClock): Promise<Broker> {
  const broker = await Broker.open({ scheduleTasks: false, ...(clock === undefined ? {} : { clock: () => clock.nowMs() }) });
  brokers.push(broker);
  return broker;
}

describe('Producer', () => {
  test('7 keyless records on a 3-partition topic go round-robin: 0,1,2,0,1,2,0', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 3 });
    const producer = broker.producer();
    const sent = await producer.send({ topic: 't', messages: Array.from({ length: 7 }, (_, index) => ({ value: `v${index}` })) });
    expect(sent.map((metadata) => metadata.partition)).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(sent.map((metadata) => metadata.offset)).toEqual([0, 0, 0, 1, 1, 1, 2]);
  });

  test('the same key always lands on the same partition, the one murmur2 picks', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 5 });
    const producer = broker.producer();
    for (let round = 0; round < 3; round++) {
      const sent = await producer.send({ topic: 't', messages: ['alpha', 'beta', 'gamma', 'foobar'].map((key) => ({ key, value: 'x' })) });
      expect(sent.map((metadata) => metadata.partition)).toEqual(
        ['alpha', 'beta', 'gamma', 'foobar'].map((key) => partitionForKey(Buffer.from(key), 5)),
      );
    }
  });

  test('an explicit partition wins over the key, and a missing one is a clear error', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2 });
    const producer = broker.producer();
    const [sent] = await producer.send({ topic: 't', messages: [{ key: 'foobar', value: 'x', partition: 1 }] });
    expect(sent!.partition).toBe(1);
    await expect(producer.send({ topic: 't', messages: [{ value: 'x', partition: 2 }] })).rejects.toThrow(/partition 2 does not exist/);
    await expect(producer.send({ topic: 'missing', messages: [{ value: 'x' }] })).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });

  test('the sticky option keeps keyless records on one partition until batch.size bytes went there', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 3 });
    const producer = broker.producer({ partitioner: 'sticky', 'batch.size': 1000 });
    const sent = await producer.send({ topic: 't', messages: Array.from({ length: 40 }, () => ({ value: 'x'.repeat(79) })) });
    const partitions = sent.map((metadata) => metadata.partition);
    // 100 bytes a record: ten records per partition before moving on.
    for (let start = 0; start < 40; start += 10) expect(new Set(partitions.slice(start, start + 10)).size).toBe(1);
    expect(partitions[9]).not.toBe(partitions[10]);
  });

  test('records sent in one tick share one batch; batch.size closes a batch early', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer({ 'batch.size': 500 });
    await producer.send({ topic: 't', messages: Array.from({ length: 20 }, (_, index) => ({ value: `value-${index}`.padEnd(50) })) });
    const log = broker.log('t', 0);
    const batches: number[] = [];
    let offset = 0;
    while (offset < log.logEndOffset) {
      const read = log.read(offset, 1);
      batches.push(decodeRecordBatch(read.records).records.length);
      offset = read.nextOffset;
    }
    expect(batches.reduce((sum, count) => sum + count, 0)).toBe(20);
    expect(batches.length).toBeGreaterThan(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(7);
  });

  test('linger.ms holds a batch open until the clock passes it', async () => {
    const clock = new ManualClock();
    const broker = await openBroker(clock);
    await broker.createTopic('t');
    const producer = broker.producer({ 'linger.ms': 50, clock });
    const first = producer.send({ topic: 't', messages: [{ value: 'a' }] });
    await new Promise((resolve) => setImmediate(resolve));
    const second = producer.send({ topic: 't', messages: [{ value: 'b' }] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.log('t', 0).logEndOffset).toBe(0);
    clock.advance(50);
    const [[a], [b]] = await Promise.all([first, second]);
    expect([a!.offset, b!.offset]).toEqual([0, 1]);
    expect(broker.log('t', 0).read(0).nextOffset).toBe(2);
  });

  test('acks=0 answers at once with offset -1, and the records are still written', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer({ acks: 0 });
    const sent = await producer.send({ topic: 't', messages: [{ value: 'fire' }, { value: 'forget' }] });
    expect(sent.map((metadata) => metadata.offset)).toEqual([-1, -1]);
    await producer.flush();
    expect(broker.log('t', 0).logEndOffset).toBe(2);
  });

  test('lz4 batches round-trip keys, values, headers and timestamps', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer({ 'compression.type': 'lz4' });
    await producer.send({
      topic: 't',
      messages: [{ key: 'k', value: Buffer.from([0, 1, 2, 255]), headers: { trace: 'abc', bin: Buffer.from([9]) }, timestamp: 1234 }],
    });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const [batch] = await consumer.poll();
    const record = batch!.records[0]!;
    expect(record.key!.toString()).toBe('k');
    expect([...record.value!]).toEqual([0, 1, 2, 255]);
    expect(record.headers.map((header) => [header.key, header.value!.toString('hex')])).toEqual([
      ['trace', Buffer.from('abc').toString('hex')],
      ['bin', '09'],
    ]);
    expect(record.timestamp).toBe(1234);
  });
});

describe('Producer and native LZ4 output', () => {
  test('an lz4 producer awaited in a tight loop lets the event loop turn before native output passes its limit', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 1, config: { 'max.message.bytes': 4 * 1024 * 1024 } });
    const producer = broker.producer({ acks: 1, 'compression.type': 'lz4', 'batch.size': 2 * 1024 * 1024 });
    // Random bytes: LZ4 stores them raw, so every block's native output is as large as its input.
    const values = Array.from({ length: 4 }, (_, index) => new Prng(60 + index).bytes(256 * 1024));
    let largest = 0;
    const sendBytes = 1024 * 1024;
    for (let send = 0; send < NATIVE_BACKLOG_BYTES_MAX / sendBytes + 16; send++) {
      // Only settled-promise awaits: without the producer's help, no immediate would ever run.
      await producer.send({ topic: 't', messages: values.map((value) => ({ value })) });
      largest = Math.max(largest, nativeBacklogBytes());
    }
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(NATIVE_BACKLOG_BYTES_MAX + sendBytes);
    expect(broker.describeTopic('t').partitions[0]!.logEndOffset).toBe(4 * (NATIVE_BACKLOG_BYTES_MAX / sendBytes + 16));
  });
});

describe('Producer acknowledgements around an event-loop turn', () => {
  test('a batch sent while another waits for the turn is acknowledged after it, in offset order', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 1, config: { 'max.message.bytes': 64 * 1024 * 1024 } });
    const producer = broker.producer({ acks: 1, 'compression.type': 'lz4', 'batch.size': 48 * 1024 * 1024 });
    const order: string[] = [];
    // Past the backlog limit in one batch: its acknowledgement waits for a turn.
    const big = Array.from({ length: NATIVE_BACKLOG_BYTES_MAX / (1024 * 1024) + 2 }, (_, index) => ({
      value: new Prng(90 + index).bytes(1024 * 1024),
    }));
    const first = producer.send({ topic: 't', messages: big }).then((sent) => order.push(`first@${sent[0]!.offset}`));
    let second: Promise<unknown> = Promise.resolve();
    // Another part of the application schedules a send for the next turn, before the producer's.
    queueMicrotask(() =>
      setImmediate(() => {
        second = producer.send({ topic: 't', messages: [{ value: 'small' }] }).then((sent) => order.push(`second@${sent[0]!.offset}`));
      }),
    );
    await first;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await second;
    expect(order).toEqual(['first@0', `second@${big.length}`]);
  });

  test("fake timers do not hold acknowledgements: the turn uses node:timers' setImmediate", async () => {
    vi.useFakeTimers();
    try {
      const broker = await openBroker();
      await broker.createTopic('t', { partitions: 1 });
      const producer = broker.producer({ acks: 1 });
      const block = new Prng(7).bytes(4 * 1024 * 1024);
      while (nativeBacklogBytes() <= NATIVE_BACKLOG_BYTES_MAX) lz4FrameCompress(block);
      const sent = await producer.send({ topic: 't', messages: [{ value: 'x' }] });
      expect(sent[0]!.offset).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Consumer', () => {
  test('auto.offset.reset decides where a partition without a position starts', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    await broker.producer().send({ topic: 't', messages: [{ value: 'old' }] });
    const earliest = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    earliest.assign([{ topic: 't', partition: 0 }]);
    expect((await earliest.poll())[0]!.records[0]!.value!.toString()).toBe('old');
    const latest = broker.consumer({ 'auto.offset.reset': 'latest', 'fetch.max.wait.ms': 0 });
    latest.assign([{ topic: 't', partition: 0 }]);
    expect(await latest.poll()).toEqual([]);
    expect(latest.position('t', 0)).toBe(1);
    const none = broker.consumer({ 'auto.offset.reset': 'none', 'fetch.max.wait.ms': 0 });
    none.assign([{ topic: 't', partition: 0 }]);
    await expect(none.poll()).rejects.toThrow(/no committed offset .* auto\.offset\.reset=none/);
  });

  test('a waiting consumer is woken by the next append, not by a timer', async () => {
    const clock = new ManualClock();
    const broker = await openBroker(clock);
    await broker.createTopic('t');
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 60_000, clock });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const polled = consumer.poll();
    await new Promise((resolve) => setImmediate(resolve));
    await broker.producer().send({ topic: 't', messages: [{ value: 'wake up' }] });
    const batches = await polled;
    expect(batches[0]!.records[0]!.value!.toString()).toBe('wake up');
    expect(clock.pendingTimers).toBe(0);
  });

  test('fetch.max.wait.ms ends a long poll that finds nothing', async () => {
    const clock = new ManualClock();
    const broker = await openBroker(clock);
    await broker.createTopic('t');
    const consumer = broker.consumer({ 'fetch.max.wait.ms': 500, clock });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const polled = consumer.poll();
    clock.advance(499);
    let settled = false;
    void polled.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await polled).toEqual([]);
  });

  test('fetch.min.bytes keeps a poll waiting until enough bytes arrived', async () => {
    const clock = new ManualClock();
    const broker = await openBroker(clock);
    await broker.createTopic('t');
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.min.bytes': 400, 'fetch.max.wait.ms': 60_000, clock });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const producer = broker.producer();
    const polled = consumer.poll();
    let settled = false;
    void polled.then(() => (settled = true));
    await producer.send({ topic: 't', messages: [{ value: 'x'.repeat(100) }] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await producer.send({ topic: 't', messages: [{ value: 'x'.repeat(300) }] });
    const batches = await polled;
    expect(batches[0]!.records.length).toBe(2);
  });

  test('max.partition.fetch.bytes bounds a fetch but always returns at least one batch', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    for (let index = 0; index < 5; index++) await producer.send({ topic: 't', messages: [{ value: 'y'.repeat(200) }] });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'max.partition.fetch.bytes': 10, 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const counts: number[] = [];
    for (let round = 0; round < 5; round++) counts.push((await consumer.poll())[0]!.records.length);
    expect(counts).toEqual([1, 1, 1, 1, 1]);
  });

  test('max.poll.records caps each poll; the rest of a fetch is drained by the next polls before the turn passes on, none lost', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 3 });
    const producer = broker.producer();
    await producer.send({ topic: 't', messages: [0, 1, 2].flatMap((partition) => [{ value: 'a', partition }, { value: 'b', partition }]) });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0, 'max.poll.records': 1 });
    consumer.assign([0, 1, 2].map((partition) => ({ topic: 't', partition })));
    const seen: string[] = [];
    const partitions: number[] = [];
    for (let round = 0; round < 6; round++) {
      const batches = await consumer.poll();
      expect(batches.length).toBe(1);
      const [batch] = batches;
      expect(batch!.records.length).toBe(1);
      const record = batch!.records[0]!;
      // The position (what a commit records) is just past the record handed out, not the fetch's end.
      expect(consumer.position('t', batch!.partition)).toBe(record.offset + 1);
      expect(batch!.nextOffset).toBe(record.offset + 1);
      seen.push(`${batch!.partition}:${record.offset}:${record.value!.toString()}`);
      partitions.push(batch!.partition);
    }
    expect(seen.sort()).toEqual(['0:0:a', '0:1:b', '1:0:a', '1:1:b', '2:0:a', '2:1:b']);
    // A partition's fetch is drained before the turn passes on (Kafka's nextInLineFetch), and
    // every partition gets its turn: two polls each, one partition after another.
    expect(partitions[0]).toBe(partitions[1]);
    expect(partitions[2]).toBe(partitions[3]);
    expect(partitions[4]).toBe(partitions[5]);
    expect(new Set(partitions).size).toBe(3);
    expect(await consumer.poll()).toEqual([]);
  });

  test('a partition that always has more data does not starve the others', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2 });
    const producer = broker.producer();
    for (let send = 0; send < 20; send++) {
      await producer.send({ topic: 't', messages: Array.from({ length: 100 }, (_, index) => ({ value: `busy ${send}.${index}`, partition: 0 })) });
    }
    await producer.send({ topic: 't', messages: [{ value: 'quiet', partition: 1 }] });
    // Each fetch reads one batch (100 records); a poll takes at most 50.
    const consumer = broker.consumer({
      'auto.offset.reset': 'earliest',
      'fetch.max.wait.ms': 0,
      'max.poll.records': 50,
      'max.partition.fetch.bytes': 1,
    });
    consumer.assign([0, 1].map((partition) => ({ topic: 't', partition })));
    const served: number[] = [];
    for (let poll = 0; poll < 4; poll++) served.push(...(await consumer.poll()).map((batch) => batch.partition));
    expect(served).toContain(1);
  });

  test('fetch.max.bytes=0 still reads one batch a poll, as Kafka does', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    await producer.send({ topic: 't', messages: [{ value: 'b' }] });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0, 'fetch.max.bytes': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const values: string[] = [];
    for (let poll = 0; poll < 3; poll++) for (const batch of await consumer.poll()) values.push(...batch.records.map((record) => record.value!.toString()));
    expect(values).toEqual(['a', 'b']);
  });

  test('records taken before another partition fails are returned, and the error comes with the next poll', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2 });
    await broker.producer().send({ topic: 't', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }] });
    await broker.append('t', 1, snappyBatch());
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([0, 1].map((partition) => ({ topic: 't', partition })));
    const first = await consumer.poll();
    expect(first.map((batch) => [batch.partition, batch.records.map((record) => record.value!.toString())])).toEqual([[0, ['a', 'b']]]);
    expect(consumer.position('t', 0)).toBe(2);
    await expect(consumer.poll()).rejects.toMatchObject({
      code: 'UNSUPPORTED_CODEC',
      message: expect.stringMatching(/^t-1 reading from offset 0: Brook cannot decompress snappy records.*; seek past the batch to read on$/) as unknown,
    });
    expect(consumer.position('t', 1)).toBe(0);
    // It stays until the application moves past the batch; then the error is gone.
    await expect(consumer.poll()).rejects.toMatchObject({ code: 'UNSUPPORTED_CODEC' });
    consumer.seek('t', 1, 1);
    expect(await consumer.poll()).toEqual([]);
  });

  test('a stored batch whose bytes changed on disk fails the poll with CORRUPT_SEGMENT naming the partition and offset', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 1 });
    await broker.producer().send({ topic: 't', messages: [{ value: 'value-to-damage' }] });
    await broker.log('t', 0).flush();
    const file = join(broker.dataDir!, 't-0', '00000000000000000000.log');
    const bytes = readFileSync(file);
    bytes[bytes.indexOf('value-to-damage')]! ^= 0x20;
    writeFileSync(file, bytes);
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    await expect(consumer.poll()).rejects.toMatchObject({
      code: 'CORRUPT_SEGMENT',
      message: expect.stringMatching(/^t-0 reading from offset 0: .*; seek past the batch to read on$/) as unknown,
    });
  });

  test('an error held for the next poll is dropped when its partition is sought past or unassigned', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2 });
    await broker.producer().send({ topic: 't', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
    await broker.append('t', 1, snappyBatch());
    for (const move of ['seek', 'unassign'] as const) {
      const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0, 'max.partition.fetch.bytes': 1 });
      consumer.assign([0, 1].map((partition) => ({ topic: 't', partition })));
      consumer.seek('t', 1, 1);
      // p0's record is taken, then p1's undecodable batch fails: held for the next poll.
      expect((await consumer.poll()).map((batch) => batch.partition)).toEqual([0]);
      if (move === 'seek') consumer.seek('t', 1, 2);
      else consumer.assign([{ topic: 't', partition: 0 }]);
      expect(await consumer.poll()).toEqual([]);
    }
  });

  test('a position inside a compacted batch, past its last surviving record, reads on in the same poll', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': 0 } });
    const log = broker.log('t', 0);
    await log.append(encodeRecordBatch(['a', 'b', 'c'].map((key) => ({ key, value: `${key}0` }))));
    log.roll();
    await log.append(encodeRecordBatch(['b', 'c'].map((key) => ({ key, value: `${key}1` }))));
    log.roll();
    await log.compact({ force: true, nowMs: Date.now() + 60_000 });
    // The first batch now holds a0 only, though it still spans offsets 0..2.
    expect(log.readRecords(0).records.map((record) => record.offset)).toEqual([0]);
    const consumer = broker.consumer({ 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    consumer.seek('t', 0, 1);
    const batches = await consumer.poll();
    expect(batches.flatMap((batch) => batch.records.map((record) => `${record.offset}:${record.value!.toString()}`))).toEqual(['3:b1', '4:c1']);
  });

  test('a poll hands out at most max.poll.records (500 by default) however much one fetch read', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    await producer.send({ topic: 't', messages: Array.from({ length: 1200 }, (_, index) => ({ value: String(index) })) });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const sizes: number[] = [];
    const values: string[] = [];
    for (;;) {
      const batches = await consumer.poll();
      if (batches.length === 0) break;
      sizes.push(batches[0]!.records.length);
      for (const record of batches[0]!.records) values.push(record.value!.toString());
    }
    expect(sizes).toEqual([500, 500, 200]);
    expect(values).toEqual(Array.from({ length: 1200 }, (_, index) => String(index)));
  });

  test('a paused partition hands out none of its buffered records, and resumes where it stopped', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    await producer.send({ topic: 't', messages: Array.from({ length: 6 }, (_, index) => ({ value: String(index) })) });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0, 'max.poll.records': 2 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    expect((await consumer.poll())[0]!.records.map((record) => record.offset)).toEqual([0, 1]);
    consumer.pause([{ topic: 't', partition: 0 }]);
    expect(await consumer.poll()).toEqual([]);
    consumer.resume([{ topic: 't', partition: 0 }]);
    expect((await consumer.poll())[0]!.records.map((record) => record.offset)).toEqual([2, 3]);
    expect((await consumer.poll())[0]!.records.map((record) => record.offset)).toEqual([4, 5]);
  });

  test('a seek drops what the last fetch read beyond the records handed out', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    await producer.send({ topic: 't', messages: Array.from({ length: 10 }, (_, index) => ({ value: String(index) })) });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0, 'max.poll.records': 3 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    expect((await consumer.poll())[0]!.records.map((record) => record.offset)).toEqual([0, 1, 2]);
    consumer.seek('t', 0, 8);
    expect((await consumer.poll())[0]!.records.map((record) => record.offset)).toEqual([8, 9]);
    consumer.seek('t', 0, 1);
    expect((await consumer.poll())[0]!.records.map((record) => record.offset)).toEqual([1, 2, 3]);
  });

  test('seek, pause and resume move and stop a partition', async () => {
    const broker = await openBroker();
    await broker.createTopic('t', { partitions: 2 });
    const producer = broker.producer();
    await producer.send({ topic: 't', messages: [0, 1, 2, 3].map((index) => ({ value: `p0-${index}`, partition: 0 })) });
    await producer.send({ topic: 't', messages: [{ value: 'p1-0', partition: 1 }] });
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    consumer.pause([{ topic: 't', partition: 0 }]);
    expect((await consumer.poll()).map((batch) => batch.partition)).toEqual([1]);
    consumer.resume([{ topic: 't', partition: 0 }]);
    consumer.seek('t', 0, 2);
    const [batch] = await consumer.poll();
    expect(batch!.records.map((record) => record.value!.toString())).toEqual(['p0-2', 'p0-3']);
    expect(batch!.nextOffset).toBe(4);
  });

  test('consumers do not see an append before it is acknowledged', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const log = broker.log('t', 0);
    const pending = log.append(encodeRecordBatch([{ value: 'not yet' }]));
    // Same tick: the record is in the log (log end offset 1) but not yet written, so not acknowledged.
    expect(log.logEndOffset).toBe(1);
    expect(log.highWatermark).toBe(0);
    expect(await consumer.poll()).toEqual([]);
    await pending;
    expect(log.highWatermark).toBe(1);
    expect((await consumer.poll())[0]!.records.length).toBe(1);
  });

  test('for await yields batches as they arrive and stops at close', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 50 });
    consumer.assign([{ topic: 't', partition: 0 }]);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of consumer.batches()) {
        for (const record of batch.records) seen.push(record.value!.toString());
        if (seen.length >= 3) await consumer.close();
      }
    })();
    await producer.send({ topic: 't', messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.send({ topic: 't', messages: [{ value: 'c' }] });
    await reading;
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('Idempotent producer', () => {
  test('a batch whose acknowledgement was lost is retried and written exactly once', async () => {
    const broker = await openBroker();
    await broker.createTopic('t');
    let loseNextAck = true;
    const target = {
      partitionCount: (topic: string) => broker.partitionCount(topic),
      initProducerId: () => broker.initProducerId(),
      append: async (topic: string, partition: number, batch: Buffer) => {
        const result = await broker.append(topic, partition, batch);
        if (loseNextAck) {
          loseNextAck = false;
          throw new EngineError('STORAGE_ERROR', 'acknowledgement lost on the way back', { retriable: true });
        }
        return result;
      },
    };
    const producer = new Producer(target, { 'retry.backoff.ms': 0 });
    const sent = await producer.send({ topic: 't', messages: [{ value: 'once' }, { value: 'only' }] });
    expect(sent.map((metadata) => metadata.offset)).toEqual([0, 1]);
    await producer.send({ topic: 't', messages: [{ value: 'next' }] });
    const values = broker.log('t', 0).readRecords(0).records.map((record) => record.value!.toString());
    expect(values).toEqual(['once', 'only', 'next']);
  });

  test('producer ids are unique across restarts', async () => {
    const directory = makeTempDir();
    try {
      let broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
      const first = broker.initProducerId().producerId;
      await broker.close();
      broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
      expect(broker.initProducerId().producerId).toBeGreaterThan(first);
      await broker.close();
    } finally {
      directory.remove();
    }
  });

  test('without acks=all, idempotence must be off', async () => {
    const broker = await openBroker();
    expect(() => broker.producer({ acks: 1, 'enable.idempotence': true })).toThrow(/needs acks=all/);
    expect(() => broker.producer({ acks: 1 })).not.toThrow();
  });
});
