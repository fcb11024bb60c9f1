import { describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';

/** The broker with a worker pool: the same results as inline, in the same order. */
describe('Broker with worker threads', () => {
  test('large batches validated and encoded on 2 workers land in order, byte-identical to what was sent', async () => {
    const broker = await Broker.open({ workers: 2, scheduleTasks: false });
    try {
      await broker.createTopic('t', { partitions: 3, config: { 'max.message.bytes': 4_000_000 } });
      const producer = broker.producer({ 'compression.type': 'lz4', 'batch.size': 200_000 });
      const sends = [];
      for (let round = 0; round < 12; round++) {
        const messages = Array.from({ length: 1500 }, (_, index) => ({
          key: `k${index % 30}`,
          value: `round ${round} record ${index} `.padEnd(120, '.'),
        }));
        sends.push(producer.send({ topic: 't', messages }));
      }
      const results = await Promise.all(sends);
      for (let partition = 0; partition < 3; partition++) {
        const offsets = results.flat().filter((metadata) => metadata.partition === partition).map((metadata) => metadata.offset);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        const consumer = broker.consumer({ 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': 0 });
        consumer.assign([{ topic: 't', partition }]);
        const rounds: number[] = [];
        for (;;) {
          const batches = await consumer.poll();
          if (batches.length === 0) break;
          for (const record of batches[0]!.records) rounds.push(Number(record.value!.toString().split(' ')[1]));
        }
        expect(rounds.length).toBe(offsets.length);
        expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
      }
      expect(broker.pool!.stats.offloadedTasks).toBeGreaterThan(0);
    } finally {
      await broker.close();
    }
  });

  test('a producer with more batches in flight than the pool queues encodes the rest inline instead of failing', async () => {
    const broker = await Broker.open({ workers: 1, scheduleTasks: false });
    try {
      await broker.createTopic('t', { partitions: 1, config: { 'max.message.bytes': 4_000_000 } });
      const producer = broker.producer({ acks: 1, 'compression.type': 'lz4', 'batch.size': 150_000 });
      const { workers, tasksPerWorker, maxQueue } = broker.pool!.options;
      const batches = 3 * (workers * tasksPerWorker + maxQueue);
      const sends = Array.from({ length: batches }, (_, round) =>
        producer.send({ topic: 't', messages: Array.from({ length: 1000 }, (_, index) => ({ value: `${round}:${index}`.padEnd(100, '.') })) }),
      );
      const results = await Promise.all(sends);
      expect(results.flat().map((metadata) => metadata.offset)).toEqual(Array.from({ length: batches * 1000 }, (_, index) => index));
      expect(broker.pool!.stats.overflowInlineTasks).toBeGreaterThan(0);
      expect(broker.pool!.stats.rejectedTasks).toBe(0);
    } finally {
      await broker.close();
    }
  });

  test('a corrupt batch is refused with CRC_MISMATCH through the pool, and nothing is written', async () => {
    const broker = await Broker.open({ workers: 1, scheduleTasks: false });
    try {
      await broker.createTopic('t');
      const batch = encodeRecordBatch(Array.from({ length: 2000 }, (_, index) => ({ value: `v${index}`.padEnd(60) })));
      batch[batch.length - 5]! ^= 0x10;
      await expect(broker.append('t', 0, batch)).rejects.toMatchObject({ code: 'CRC_MISMATCH' });
      expect(broker.log('t', 0).logEndOffset).toBe(0);
    } finally {
      await broker.close();
    }
  });
});

/** Batches from the broker's own encoder (the embedded producer's) are not checked a second time. */
describe('Batches the broker encoded itself', () => {
  const records = Array.from({ length: 1500 }, (_, index) => ({ key: `k${index}`, value: `record ${index} `.padEnd(120, '.') }));

  test("the producer's batch reaches the log without a validate task; a batch from elsewhere still gets one", async () => {
    const broker = await Broker.open({ workers: 1, scheduleTasks: false });
    try {
      await broker.createTopic('t', { config: { 'max.message.bytes': 4_000_000 } });
      const pool = broker.pool!;
      const producer = broker.producer({ 'compression.type': 'lz4', 'batch.size': 4_000_000 });
      const before = pool.stats.offloadedTasks;
      await producer.send({ topic: 't', messages: records.map((record) => ({ ...record, partition: 0 })) });
      // One task: the encode. No validation of what the encoder just built.
      expect(pool.stats.offloadedTasks).toBe(before + 1);
      await broker.append('t', 0, encodeRecordBatch(records, { compression: 'lz4' }));
      expect(pool.stats.offloadedTasks).toBe(before + 2);
      const read = broker.log('t', 0).readRecords(0);
      expect(read.records.map((record) => record.value!.toString())).toEqual([...records, ...records].map((record) => record.value));
    } finally {
      await broker.close();
    }
  });

  test.each([0, 1])('a compacted topic still refuses a keyless record from the producer (workers: %i)', async (workers) => {
    const broker = await Broker.open({ workers, scheduleTasks: false });
    try {
      await broker.createTopic('t', { config: { 'cleanup.policy': 'compact', 'max.message.bytes': 4_000_000 } });
      // One batch of 1,000 records, the last without a key.
      const producer = broker.producer({ retries: 0, 'batch.size': 4_000_000 });
      const messages = [...records.slice(0, 999), { value: 'no key' }].map((record) => ({ ...record, partition: 0 }));
      await expect(producer.send({ topic: 't', messages })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
      expect(broker.log('t', 0).logEndOffset).toBe(0);
      await producer.send({ topic: 't', messages: records.slice(0, 10).map((record) => ({ ...record, partition: 0 })) });
      expect(broker.log('t', 0).logEndOffset).toBe(10);
    } finally {
      await broker.close();
    }
  });

  test('a batch from the public encode() is checked like any other: a byte changed after encoding is refused', async () => {
    const broker = await Broker.open({ scheduleTasks: false });
    try {
      await broker.createTopic('t', { config: { 'max.message.bytes': 4_000_000 } });
      const encoded = await broker.encode(records.slice(0, 10), {});
      encoded[encoded.length - 3]! ^= 0x01;
      await expect(broker.append('t', 0, encoded)).rejects.toMatchObject({ code: 'CRC_MISMATCH' });
      expect(broker.log('t', 0).logEndOffset).toBe(0);
    } finally {
      await broker.close();
    }
  });

  test('a producer batch whose records would decompress past the limit is checked, and refused', async () => {
    const broker = await Broker.open({ scheduleTasks: false });
    try {
      await broker.createTopic('t');
      const producer = broker.producer({ 'compression.type': 'lz4', retries: 0 });
      // 65 MiB of zeros compresses far below max.message.bytes, but decompresses past 64 MiB.
      const send = producer.send({ topic: 't', messages: [{ key: 'k', value: Buffer.alloc(65 * 1024 * 1024), partition: 0 }] });
      await expect(send).rejects.toMatchObject({ code: 'DECOMPRESSED_TOO_LARGE' });
      expect(broker.log('t', 0).logEndOffset).toBe(0);
    } finally {
      await broker.close();
    }
  });
});
