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
