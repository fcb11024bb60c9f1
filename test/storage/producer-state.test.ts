import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { Log } from '../../src/storage/log.js';
import { lastSequenceOf, ProducerStateTable } from '../../src/storage/producer-state.js';
import { FaultyIO } from '../helpers/faulty-io.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

let directories: TempDir[] = [];
afterEach(() => {
  for (const directory of directories) directory.remove();
  directories = [];
});

function partitionDir(): string {
  const directory = makeTempDir();
  directories.push(directory);
  return join(directory.path, 'idem-0');
}

function idempotent(producerId: number, producerEpoch: number, baseSequence: number, count: number, label = 'r'): Buffer {
  const records = Array.from({ length: count }, (_, index) => ({ key: 'k', value: `${label}${baseSequence + index}` }));
  return encodeRecordBatch(records, { producerId, producerEpoch, baseSequence });
}

describe('Idempotent producer state', () => {
  test('a retried duplicate batch is answered with its original offsets and not written twice', async () => {
    const log = await Log.open(partitionDir(), { scheduleTasks: false });
    await log.append(encodeRecordBatch([{ value: 'other' }]));
    const first = await log.append(idempotent(7, 0, 0, 3));
    const retry = await log.append(idempotent(7, 0, 0, 3));
    expect(retry).toMatchObject({ baseOffset: first.baseOffset, lastOffset: first.lastOffset });
    expect(log.logEndOffset).toBe(4);
    const next = await log.append(idempotent(7, 0, 3, 2));
    expect(next.baseOffset).toBe(4);
    // Any of the last five batches is recognised, not just the latest.
    expect((await log.append(idempotent(7, 0, 0, 3))).baseOffset).toBe(1);
    expect(log.logEndOffset).toBe(6);
    await log.close();
  });

  test('a concurrent retry of a batch not yet acknowledged gets the same answer', async () => {
    const log = await Log.open(partitionDir(), { scheduleTasks: false });
    const [original, retry] = await Promise.all([log.append(idempotent(1, 0, 0, 2)), log.append(idempotent(1, 0, 0, 2))]);
    expect(retry).toEqual(original);
    expect(log.logEndOffset).toBe(2);
    await log.close();
  });

  test('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and an older epoch is fenced', async () => {
    const log = await Log.open(partitionDir(), { scheduleTasks: false });
    await log.append(idempotent(9, 3, 0, 2));
    await expect(log.append(idempotent(9, 3, 5, 1))).rejects.toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    await expect(log.append(idempotent(9, 2, 2, 1))).rejects.toMatchObject({ code: 'INVALID_PRODUCER_EPOCH' });
    await expect(log.append(idempotent(9, 4, 1, 1))).rejects.toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect((await log.append(idempotent(9, 4, 0, 1))).baseOffset).toBe(2);
    expect(log.logEndOffset).toBe(3);
    await log.close();
  });

  test('producer state survives close and reopen, clean or not, so a retry after a restart is still caught', async () => {
    const path = partitionDir();
    let log = await Log.open(path, { scheduleTasks: false });
    await log.append(idempotent(5, 0, 0, 4));
    await log.close();
    log = await Log.open(path, { scheduleTasks: false });
    expect((await log.append(idempotent(5, 0, 0, 4))).baseOffset).toBe(0);
    expect(log.logEndOffset).toBe(4);
    await log.append(idempotent(5, 0, 4, 1));
    // No close: the next open recovers, and rebuilds the state from the batch headers.
    const reopened = await Log.open(path, { scheduleTasks: false });
    expect((await reopened.append(idempotent(5, 0, 4, 1))).baseOffset).toBe(4);
    await expect(reopened.append(idempotent(5, 0, 9, 1))).rejects.toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    await reopened.close();
    await log.close().catch(() => undefined);
  });

  test('a write that fails forgets the batch, so its retry is written rather than answered as a duplicate', async () => {
    const io = new FaultyIO();
    const log = await Log.open(partitionDir(), { scheduleTasks: false, io });
    await log.append(idempotent(2, 0, 0, 1));
    io.writeFailures = 1;
    await expect(log.append(idempotent(2, 0, 1, 1))).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    const retried = await log.append(idempotent(2, 0, 1, 1));
    expect(retried.baseOffset).toBe(1);
    expect(log.readRecords(0).records.map((record) => record.value!.toString())).toEqual(['r0', 'r1']);
    await log.close();
  });

  test('sequences wrap after Int.MAX to 0, and state expires after producer.id.expiration.ms', () => {
    expect(lastSequenceOf(2_147_483_646, 3)).toBe(1);
    const table = new ProducerStateTable();
    table.update({ producerId: 1, producerEpoch: 0, baseSequence: 2_147_483_646, lastOffsetDelta: 1 }, 0, 1000);
    expect(table.check({ producerId: 1, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0 }).kind).toBe('append');
    expect(() => table.check({ producerId: 1, producerEpoch: 0, baseSequence: 5, lastOffsetDelta: 0 })).toThrow(/expected 0/);
    expect(table.expire(1000 + 86_400_000, 86_400_000)).toBe(0);
    expect(table.expire(1001 + 86_400_000, 86_400_000)).toBe(1);
    expect(table.check({ producerId: 1, producerEpoch: 0, baseSequence: 5, lastOffsetDelta: 0 }).kind).toBe('append');
  });
});
