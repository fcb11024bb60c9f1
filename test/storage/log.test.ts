import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, CorruptRecordError, InvalidRecordError, OffsetOutOfRangeError, RecordTooLargeError, StorageError } from '../../src/core/errors.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, PARTITION_LEADER_EPOCH_OFFSET } from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import { decodeRecordBatch, encodeRecordBatch, readBatchHeader, validateRecordBatch } from '../../src/records/record-batch.js';
import type { RecordInput } from '../../src/records/record.js';
import { type FileIO, nodeFileIO } from '../../src/storage/file-io.js';
import { Log, type LogOptions } from '../../src/storage/log.js';
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
  return join(directory.path, 'orders-0');
}

async function openLog(path: string, options: LogOptions = {}): Promise<Log> {
  return Log.open(path, { scheduleTasks: false, ...options });
}

function records(count: number, label: string, timestamp = 1_700_000_000_000, valueBytes = 20): RecordInput[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${label}-${index}`,
    value: `${label}:${index}:`.padEnd(valueBytes, '.'),
    timestamp: timestamp + index,
  }));
}

function batch(count: number, label: string, timestamp?: number, valueBytes?: number): Buffer {
  return encodeRecordBatch(records(count, label, timestamp, valueBytes));
}

function logFiles(path: string): string[] {
  return readdirSync(path).filter((name) => name.endsWith('.log')).sort();
}

/**
 * A FileIO whose async fdatasync (it runs on the libuv pool) is held until `release()`. It
 * records a descriptor closed while its sync was held (`closedSinceIssued`) and then answers
 * EBADF, as the kernel does when the number was not reused meanwhile (when it was, the sync would
 * silently hit another file).
 */
function heldDatasyncIO(): {
  readonly io: FileIO;
  readonly release: () => void;
  readonly closedSinceIssued: Set<number>;
  readonly pending: Set<number>;
} {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const closedSinceIssued = new Set<number>();
  const pending = new Set<number>();
  const io: FileIO = {
    ...nodeFileIO,
    close(fd) {
      if (pending.has(fd)) closedSinceIssued.add(fd);
      nodeFileIO.close(fd);
    },
    async datasync(fd) {
      pending.add(fd);
      await gate;
      pending.delete(fd);
      if (closedSinceIssued.delete(fd)) throw Object.assign(new Error('EBADF: bad file descriptor, fdatasync'), { code: 'EBADF' });
      return nodeFileIO.datasync(fd);
    },
  };
  return { io, release, closedSinceIssued, pending };
}

describe('Log append and read', () => {
  test('appends get consecutive offsets and reads return the stored batches', async () => {
    const log = await openLog(partitionDir());
    const first = await log.append(batch(3, 'a'));
    const second = await log.append(batch(2, 'b'));
    expect(first).toMatchObject({ baseOffset: 0, lastOffset: 2, recordsCount: 3 });
    expect(second).toMatchObject({ baseOffset: 3, lastOffset: 4 });
    expect(log.logEndOffset).toBe(5);
    const read = log.readRecords(0);
    expect(read.records.map((record) => record.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(read.records[3]!.value!.toString()).toMatch(/^b:0:/);
    expect(read.nextOffset).toBe(5);
    await log.close();
  });

  test('offsets are written into the stored copy without recomputing the CRC, and the caller buffer is untouched', async () => {
    const log = await openLog(partitionDir(), { leaderEpoch: 7 });
    await log.append(batch(1, 'x'));
    const produced = batch(2, 'y');
    const before = Buffer.from(produced);
    await log.append(produced);
    expect(produced.equals(before)).toBe(true);
    const stored = log.read(1).records;
    const header = readBatchHeader(stored);
    expect(header.baseOffset).toBe(1);
    expect(header.partitionLeaderEpoch).toBe(7);
    expect(stored.readUInt32BE(CRC_OFFSET)).toBe(produced.readUInt32BE(CRC_OFFSET));
    expect(stored.subarray(PARTITION_LEADER_EPOCH_OFFSET + 4).equals(produced.subarray(PARTITION_LEADER_EPOCH_OFFSET + 4))).toBe(true);
    expect(validateRecordBatch(stored)).toBe(stored.length);
    await log.close();
  });

  test('bytes appended but not yet written to the file are read from the write buffer', async () => {
    const path = partitionDir();
    const log = await openLog(path);
    await log.append(batch(2, 'on-disk'));
    const pending = log.append(batch(3, 'buffered'));
    // Same tick: the second batch is in the write buffer, not yet in the file.
    expect(statSync(join(path, '00000000000000000000.log')).size).toBeLessThan(log.sizeBytes);
    const values = log.readRecords(0).records.map((record) => record.value!.toString().split(':')[0]);
    expect(values).toEqual(['on-disk', 'on-disk', 'buffered', 'buffered', 'buffered']);
    await pending;
    expect(statSync(join(path, '00000000000000000000.log')).size).toBe(log.sizeBytes);
    expect(log.readRecords(2).records.length).toBe(3);
    await log.close();
  });

  test('a read starting inside a batch returns that whole batch, and consumers skip earlier records', async () => {
    const log = await openLog(partitionDir());
    await log.append(batch(10, 'a'));
    const raw = log.read(4);
    expect(readBatchHeader(raw.records).baseOffset).toBe(0);
    expect(log.readRecords(4).records[0]!.offset).toBe(4);
    await log.close();
  });

  test('reads return whole batches up to maxBytes, and at least one batch however large', async () => {
    const log = await openLog(partitionDir());
    const sizes: number[] = [];
    for (let index = 0; index < 5; index++) {
      const produced = batch(5, `b${index}`);
      sizes.push(produced.length);
      await log.append(produced);
    }
    const two = log.read(0, sizes[0]! + sizes[1]! + 10);
    expect(two.records.length).toBe(sizes[0]! + sizes[1]!);
    expect(two.nextOffset).toBe(10);
    const tiny = log.read(0, 1);
    expect(tiny.records.length).toBe(sizes[0]!);
    await log.close();
  });

  test('reads outside the log raise OffsetOutOfRangeError and a read at the end is empty', async () => {
    const log = await openLog(partitionDir());
    await log.append(batch(3, 'a'));
    expect(() => log.read(4)).toThrow(OffsetOutOfRangeError);
    expect(() => log.read(-1)).toThrow(OffsetOutOfRangeError);
    const atEnd = log.read(3);
    expect(atEnd.records.length).toBe(0);
    expect(atEnd.nextOffset).toBe(3);
    await log.close();
  });

  test('finds the first record at or after a timestamp', async () => {
    const log = await openLog(partitionDir(), { config: { 'index.interval.bytes': 0 } });
    for (let index = 0; index < 20; index++) await log.append(batch(5, `t${index}`, 1000 + index * 10));
    expect(log.offsetForTimestamp(1000)).toEqual({ offset: 0, timestamp: 1000 });
    expect(log.offsetForTimestamp(1053)).toEqual({ offset: 28, timestamp: 1053 });
    expect(log.offsetForTimestamp(1055)).toEqual({ offset: 30, timestamp: 1060 });
    expect(log.offsetForTimestamp(1194)).toEqual({ offset: 99, timestamp: 1194 });
    expect(log.offsetForTimestamp(5000)).toBeNull();
    await log.close();
  });

  test('a LogAppendTime log stamps the append time and recomputes the CRC', async () => {
    let now = 5_000_000;
    const log = await openLog(partitionDir(), { config: { 'message.timestamp.type': 'LogAppendTime' }, clock: () => now });
    const result = await log.append(batch(3, 'a', 1000));
    expect(result.logAppendTimeMs).toBe(5_000_000);
    now += 1;
    const stored = log.read(0).records;
    expect(validateRecordBatch(stored)).toBe(stored.length);
    const decoded = decodeRecordBatch(stored);
    expect(decoded.header.maxTimestamp).toBe(5_000_000);
    expect(decoded.records.every((record) => record.timestamp === 5_000_000)).toBe(true);
    await log.close();
  });
});

describe('Log rejects bad input with typed errors and writes nothing', () => {
  test('a batch over max.message.bytes gets RecordTooLargeError and nothing is written', async () => {
    const path = partitionDir();
    const log = await openLog(path, { config: { 'max.message.bytes': 500 } });
    await log.append(batch(2, 'ok'));
    const sizeBefore = log.sizeBytes;
    await expect(log.append(batch(40, 'big'))).rejects.toThrow(RecordTooLargeError);
    await expect(log.append(batch(40, 'big'))).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    expect(log.logEndOffset).toBe(2);
    expect(log.sizeBytes).toBe(sizeBefore);
    await log.close();
    expect(statSync(join(path, logFiles(path)[0]!)).size).toBe(sizeBefore);
  });

  test('a corrupt batch, two batches at once, a control batch and a count mismatch are refused', async () => {
    const log = await openLog(partitionDir());
    const corrupt = batch(2, 'c');
    corrupt[corrupt.length - 1]! ^= 0xff;
    await expect(log.append(corrupt)).rejects.toMatchObject({ code: 'CRC_MISMATCH' });
    await expect(log.append(corrupt)).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(log.append(Buffer.concat([batch(1, 'a'), batch(1, 'b')]))).rejects.toBeInstanceOf(InvalidRecordError);
    const empty = encodeRecordBatch([], { lastOffsetDelta: 0 });
    await expect(log.append(empty)).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await expect(log.append(Buffer.alloc(10))).rejects.toMatchObject({ code: 'BATCH_TOO_SHORT' });
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });

  test('a compacted log refuses records without a key', async () => {
    const log = await openLog(partitionDir(), { config: { 'cleanup.policy': 'compact' } });
    await expect(log.append(encodeRecordBatch([{ key: null, value: 'v' }]))).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    });
    await log.close();
  });

  test('a bad setting fails the open with a ConfigError naming key, value and range', async () => {
    const path = partitionDir();
    await expect(openLog(path, { config: { 'segment.bytes': 5 } })).rejects.toBeInstanceOf(ConfigError);
    await expect(openLog(path, { config: { 'segment.bytes': 5 } })).rejects.toThrow(/segment\.bytes=5 is invalid.*\[14, 2147483647\]/);
    await expect(openLog(path, { config: { 'retention.ms': 'soon' } })).rejects.toMatchObject({ key: 'retention.ms' });
  });
});

describe('Log segments roll', () => {
  test('rolls a new segment when segment.bytes is reached', async () => {
    const path = partitionDir();
    const one = batch(5, 'r0');
    const log = await openLog(path, { config: { 'segment.bytes': one.length * 3 } });
    for (let index = 0; index < 7; index++) await log.append(batch(5, `r${index}`));
    expect(log.segmentBaseOffsets()).toEqual([0, 15, 30]);
    expect(logFiles(path)).toEqual([
      '00000000000000000000.log',
      '00000000000000000015.log',
      '00000000000000000030.log',
    ]);
    expect(log.readRecords(16).records[0]!.offset).toBe(16);
    await log.close();
  });

  test('rolls when segment.ms has passed between the first and the incoming record timestamps', async () => {
    const log = await openLog(partitionDir(), { config: { 'segment.ms': 1000 } });
    await log.append(batch(1, 'a', 10_000));
    await log.append(batch(1, 'b', 10_900));
    expect(log.segmentCount).toBe(1);
    await log.append(batch(1, 'c', 11_001));
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
    await log.close();
  });

  test('rolls when the offset index is full', async () => {
    // 36 bytes: 4 offset entries, 3 time entries (full at 2). Equal timestamps keep the time
    // index at one entry, so the offset index fills first; a segment's first batch is never indexed.
    const log = await openLog(partitionDir(), { config: { 'segment.index.bytes': 36, 'index.interval.bytes': 0 } });
    for (let index = 0; index < 12; index++) await log.append(batch(1, `i${index}`, 5000));
    expect(log.segmentBaseOffsets()).toEqual([0, 5, 10]);
    await log.close();
  });

  test('writes an index entry once more than index.interval.bytes have accumulated', async () => {
    const path = partitionDir();
    const one = batch(4, 'x');
    const log = await openLog(path, { config: { 'index.interval.bytes': one.length * 2 } });
    for (let index = 0; index < 10; index++) await log.append(batch(4, 'x'));
    await log.close();
    const index = readFileSync(join(path, '00000000000000000000.index'));
    // Entries after batches 3, 6 and 9 (counter > 2 batches each time): last offset → start position.
    expect(index.length).toBe(3 * 8);
    expect([index.readInt32BE(0), index.readInt32BE(4)]).toEqual([15, 3 * one.length]);
    expect(readFileSync(join(path, '00000000000000000000.timeindex')).length % 12).toBe(0);
  });
});

describe('Log durability', () => {
  test('a clean close writes the marker and checkpoints, and the next open skips recovery', async () => {
    const path = partitionDir();
    let log = await openLog(path, { config: { 'segment.bytes': 2000 } });
    for (let index = 0; index < 30; index++) await log.append(batch(3, `d${index}`));
    await log.close();
    expect(existsSync(join(path, '.kafka_cleanshutdown'))).toBe(true);
    expect(readFileSync(join(path, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\norders 0 90\n');
    log = await openLog(path);
    expect(log.recoveryReport).toMatchObject({ cleanShutdown: true, segmentsRecovered: 0, logEndOffset: 90 });
    expect(existsSync(join(path, '.kafka_cleanshutdown'))).toBe(false);
    expect(log.readRecords(89).records[0]!.value!.toString()).toMatch(/^d29:2:/);
    expect((await log.append(batch(1, 'more'))).baseOffset).toBe(90);
    await log.close();
  });

  test('an unclean stop is recovered from the recovery point and reported', async () => {
    const path = partitionDir();
    const log = await openLog(path);
    for (let index = 0; index < 5; index++) await log.append(batch(3, `u${index}`));
    // No close: the marker is never written, as after a crash.
    const reopened = await openLog(path);
    expect(reopened.recoveryReport).toMatchObject({ cleanShutdown: false, segmentsRecovered: 1, bytesTruncated: 0 });
    expect(reopened.logEndOffset).toBe(15);
    await reopened.close();
    await log.close().catch(() => undefined);
  });

  test('in fsync mode concurrent appends share fdatasync calls (group commit)', async () => {
    const io = new FaultyIO();
    const log = await openLog(partitionDir(), { durability: 'fsync', io });
    const syncsBefore = io.datasyncCalls;
    const results = await Promise.all(Array.from({ length: 64 }, (_, index) => log.append(batch(2, `g${index}`))));
    expect(results.map((result) => result.baseOffset)).toEqual(Array.from({ length: 64 }, (_, index) => index * 2));
    expect(io.datasyncCalls - syncsBefore).toBeLessThan(8);
    expect(io.datasyncCalls - syncsBefore).toBeGreaterThanOrEqual(1);
    await log.close();
  });

  test('flush.messages=1 fsyncs before acknowledging and moves the recovery point', async () => {
    const io = new FaultyIO();
    const log = await openLog(partitionDir(), { config: { 'flush.messages': 1 }, io });
    await log.append(batch(2, 'f'));
    expect(log.recoveryPoint).toBe(2);
    expect(io.datasyncCalls).toBeGreaterThan(0);
    await log.close();
  });

  test('ENOSPC fails the append without an ack, loses nothing acknowledged, and appending resumes', async () => {
    const io = new FaultyIO();
    const path = partitionDir();
    const log = await openLog(path, { io });
    await log.append(batch(3, 'kept'));
    io.writeFailures = 1;
    io.partialWriteBytes = 17;
    const failed = log.append(batch(4, 'lost'));
    await expect(failed).rejects.toBeInstanceOf(StorageError);
    await expect(failed).rejects.toMatchObject({ code: 'STORAGE_ERROR', retriable: true });
    expect(log.logEndOffset).toBe(3);
    expect(log.readRecords(0).records.map((record) => record.offset)).toEqual([0, 1, 2]);
    const next = await log.append(batch(2, 'after'));
    expect(next.baseOffset).toBe(3);
    await log.close();
    const reopened = await openLog(path);
    expect(reopened.readRecords(0).records.map((record) => record.value!.toString().split(':')[0])).toEqual([
      'kept', 'kept', 'kept', 'after', 'after',
    ]);
    await reopened.close();
  });

  test("a failed fsync of the segment a roll closes fails the log too: the next append is refused", async () => {
    const io = new FaultyIO();
    const one = batch(2, 'r').length;
    const log = await openLog(partitionDir(), { durability: 'fsync', io, config: { 'segment.bytes': one * 2 } });
    await log.append(batch(2, 'a'));
    await log.append(batch(2, 'b'));
    io.datasyncFailures = 1;
    // This append rolls the full segment, whose sync fails.
    await expect(log.append(batch(2, 'c'))).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await expect(log.append(batch(2, 'd'))).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(log.logEndOffset).toBe(4);
    await log.close();
  });

  test('after a failed fsync nothing more is acknowledged until the log is reopened', async () => {
    const io = new FaultyIO();
    const path = partitionDir();
    const log = await openLog(path, { durability: 'fsync', io });
    await log.append(batch(2, 'ok'));
    io.datasyncFailures = 1;
    await expect(log.append(batch(2, 'unsure'))).rejects.toBeInstanceOf(StorageError);
    await expect(log.append(batch(2, 'refused'))).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(log.readRecords(0).records.length).toBeGreaterThanOrEqual(2);
    await log.close();
    const reopened = await openLog(path, { durability: 'fsync' });
    const values = reopened.readRecords(0).records.map((record) => record.value!.toString().split(':')[0]);
    expect(values.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(values).not.toContain('refused');
    expect((await reopened.append(batch(1, 'again'))).baseOffset).toBe(reopened.logEndOffset - 1);
    await reopened.close();
  });
});

describe('Log retention', () => {
  async function filled(config: NonNullable<LogOptions['config']>, batches: number, clock?: () => number): Promise<{ log: Log; path: string }> {
    const path = partitionDir();
    const log = await openLog(path, { config, ...(clock ? { clock } : {}) });
    for (let index = 0; index < batches; index++) await log.append(batch(10, `r${index}`, 1_000_000 + index * 1000));
    return { log, path };
  }

  test('retention.bytes deletes the oldest whole segments and moves the log start offset forward', async () => {
    const one = batch(10, 'r0', 1_000_000).length;
    const { log, path } = await filled({ 'segment.bytes': one * 2, 'retention.bytes': one * 5, 'retention.ms': -1, 'file.delete.delay.ms': 0 }, 10);
    expect(log.segmentCount).toBe(5);
    const deleted = log.deleteOldSegments();
    expect(deleted).toEqual({ baseOffsets: [0, 20], reasons: ['retention.bytes'] });
    expect(log.logStartOffset).toBe(40);
    expect(() => log.read(39)).toThrow(OffsetOutOfRangeError);
    expect(log.readRecords(40).records[0]!.offset).toBe(40);
    expect(readdirSync(path).filter((name) => name.endsWith('.deleted')).length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readdirSync(path).filter((name) => name.endsWith('.deleted'))).toEqual([]);
    expect(readFileSync(join(path, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n1\norders 0 40\n');
    await log.close();
    const reopened = await openLog(path);
    expect(reopened.logStartOffset).toBe(40);
    await reopened.close();
  });

  test('retention deletes no segment holding records above the high watermark (appends still waiting for their fdatasync)', async () => {
    const { io, release } = heldDatasyncIO();
    const log = await openLog(partitionDir(), { io, durability: 'fsync', config: { 'retention.ms': 10_000 } });
    const waiting = log.append(batch(10, 'r0', 1_000_000));
    for (let turn = 0; turn < 5 && log.highWatermark === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    log.roll();
    // The group commit is held: nothing is acknowledged, so nothing may expire.
    expect(log.highWatermark).toBe(0);
    expect(log.deleteOldSegments(2_000_000).baseOffsets).toEqual([]);
    release();
    await waiting;
    expect(log.highWatermark).toBe(10);
    expect(log.deleteOldSegments(2_000_000).baseOffsets).toEqual([0]);
    await log.close();
  });

  test('retention.ms judges a segment by its largest record timestamp, and the active segment rolls to go', async () => {
    const one = batch(10, 'r0', 1_000_000).length;
    const { log } = await filled({ 'segment.bytes': one * 2, 'retention.ms': 10_000 }, 6);
    // Segments hold timestamps up to 1,001,009 / 1,003,009 / 1,005,009.
    expect(log.deleteOldSegments(1_011_009).baseOffsets).toEqual([]);
    expect(log.deleteOldSegments(1_011_010).baseOffsets).toEqual([0]);
    const all = log.deleteOldSegments(1_100_000);
    expect(all.baseOffsets).toEqual([20, 40]);
    expect(log.segmentBaseOffsets()).toEqual([60]);
    expect(log.logStartOffset).toBe(60);
    expect(log.logEndOffset).toBe(60);
    expect((await log.append(batch(1, 'new', 2_000_000))).baseOffset).toBe(60);
    await log.close();
  });

  test('retention and segment settings changed on an open log take effect without a restart', async () => {
    const one = batch(10, 'r0', 1_000_000).length;
    const { log } = await filled({ 'segment.bytes': one * 2, 'retention.ms': -1 }, 6);
    expect(log.deleteOldSegments(2_000_000).baseOffsets).toEqual([]);
    log.reconfigure({ 'segment.bytes': one * 2, 'retention.ms': 10_000 });
    expect(log.config['retention.ms']).toBe(10_000);
    expect(log.deleteOldSegments(2_000_000).baseOffsets).toEqual([0, 20, 40]);
    expect(() => log.reconfigure({ 'retention.ms': -5 })).toThrow(ConfigError);
    expect(log.config['retention.ms']).toBe(10_000);
    log.reconfigure({ 'segment.bytes': one * 4 });
    for (let index = 0; index < 4; index++) await log.append(batch(10, `n${index}`, 3_000_000));
    expect(log.segmentBaseOffsets()).toEqual([60]);
    await log.close();
  });

  test('a record with a future timestamp pins its segment and every later one', async () => {
    const one = batch(10, 'r0', 1_000_000).length;
    const path = partitionDir();
    const config = { 'segment.bytes': one * 2, 'segment.ms': '9223372036854775807', 'retention.ms': 1000 };
    const log = await openLog(path, { config });
    await log.append(batch(10, 'r0', 1_000));
    await log.append(batch(10, 'r1', 9_000_000_000));
    await log.append(batch(10, 'r2', 2_000));
    await log.append(batch(10, 'r3', 3_000));
    expect(log.segmentBaseOffsets()).toEqual([0, 20]);
    expect(log.deleteOldSegments(100_000).baseOffsets).toEqual([]);
    await log.close();
  });
});

describe('Log compaction', () => {
  test('keeps the latest record per key and keeps offsets', async () => {
    const path = partitionDir();
    const log = await openLog(path, { config: { 'cleanup.policy': 'compact', 'segment.bytes': 400 } });
    for (let round = 0; round < 6; round++) {
      await log.append(encodeRecordBatch(['a', 'b', 'c'].map((key) => ({ key, value: `${key}${round}`, timestamp: 1000 }))));
    }
    const result = await log.compact({ force: true, nowMs: 10_000 });
    expect(result.recordsRemoved).toBeGreaterThan(0);
    const survivors = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const read = log.readRecords(offset);
      survivors.push(...read.records.map((record) => `${record.offset}:${record.key!.toString()}=${record.value!.toString()}`));
      offset = read.nextOffset;
    }
    const active = log.segmentBaseOffsets().at(-1)!;
    const compacted = survivors.filter((entry) => Number(entry.split(':')[0]) < active);
    // Below the active segment each key appears at most once, with its latest compacted value.
    const keys = compacted.map((entry) => entry.split(':')[1]!.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(survivors.at(-1)).toBe('17:c=c5');
    await log.close();
    const reopened = await openLog(path, { config: { 'cleanup.policy': 'compact', 'segment.bytes': 400 } });
    expect(reopened.readRecords(17).records[0]!.value!.toString()).toBe('c5');
    await reopened.close();
  });

  test("a segment a compaction swap closes while a flush's fdatasync is queued keeps its descriptor until the sync settles; the flush completes", async () => {
    const path = partitionDir();
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 400 } as const;
    const { io, release, closedSinceIssued } = heldDatasyncIO();
    const log = await openLog(path, { config, io });
    for (let round = 0; round < 6; round++) {
      await log.append(encodeRecordBatch(['a', 'b', 'c'].map((key) => ({ key, value: `${key}${round}`, timestamp: 1000 }))));
    }
    const flushed = log.flush();
    const result = await log.compact({ force: true, nowMs: 10_000 });
    expect(result.segmentsRewritten).toBeGreaterThan(0);
    // The swapped segment is closed, but its descriptor waits for the queued sync.
    expect(closedSinceIssued.size).toBe(0);
    release();
    await flushed;
    await log.append(encodeRecordBatch([{ key: 'a', value: 'after', timestamp: 1000 }]));
    const end = log.logEndOffset;
    await log.close();
    const reopened = await openLog(path, { config });
    expect(reopened.readRecords(end - 1).records.at(-1)!.value!.toString()).toBe('after');
    await reopened.close();
  });

  test('a group commit whose fdatasync is queued when its segment rolls and is compacted away syncs that descriptor and acknowledges', async () => {
    const path = partitionDir();
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 100_000 } as const;
    const { io, release, closedSinceIssued, pending } = heldDatasyncIO();
    const log = await openLog(path, { config, io, durability: 'fsync' });
    const round = (index: number): Buffer =>
      encodeRecordBatch(['a', 'b', 'c'].map((key) => ({ key, value: `${key}${index}`, timestamp: 1000 })));
    // One batch holding each key twice: a pass rewrites its segment.
    const waiting = log.append(
      encodeRecordBatch(['a', 'b', 'a', 'b'].map((key, index) => ({ key, value: `${key}${index}`, timestamp: 1000 }))),
    );
    // The group commit starts on the next turn and its fdatasync is held.
    for (let turn = 0; turn < 5 && pending.size === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(pending.size).toBe(1);
    // The roll syncs the segment in full; the held fdatasync of the group commit is still queued.
    log.roll();
    const result = await log.compact({ force: true, nowMs: 10_000 });
    expect(result.segmentsRewritten).toBeGreaterThan(0);
    expect(closedSinceIssued.size).toBe(0);
    release();
    expect((await waiting).baseOffset).toBe(0);
    await log.append(round(2));
    await log.close();
  });

  test('a swap that fails half-way fails the log with STORAGE_ERROR; its reads say so, and a reopen recovers', async () => {
    const path = partitionDir();
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 400 } as const;
    const io = new FaultyIO();
    let failUnlink = false;
    io.unlink = (file: string): void => {
      if (failUnlink && file.endsWith('.index')) throw Object.assign(new Error(`EIO: unlink ${file}`), { code: 'EIO' });
      rmSync(file, { force: true });
    };
    const log = await openLog(path, { config, io });
    for (let round = 0; round < 6; round++) {
      await log.append(encodeRecordBatch(['a', 'b', 'c'].map((key) => ({ key, value: `${key}${round}`, timestamp: 1000 }))));
    }
    const corruption: unknown[] = [];
    log.on('corruption', (error) => corruption.push(error));
    log.on('failure', () => undefined);
    failUnlink = true;
    await expect(log.compact({ force: true, nowMs: 10_000 })).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await expect(log.append(encodeRecordBatch([{ key: 'a', value: 'late', timestamp: 1000 }]))).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
    });
    expect(() => log.read(0)).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
    expect(corruption).toEqual([]);
    await log.close();
    const reopened = await openLog(path, { config });
    const latest = new Map<string, string>();
    let offset = reopened.logStartOffset;
    while (offset < reopened.logEndOffset) {
      const read = reopened.readRecords(offset);
      for (const record of read.records) latest.set(record.key!.toString(), record.value!.toString());
      offset = read.nextOffset;
    }
    expect(Object.fromEntries(latest)).toEqual({ a: 'a5', b: 'b5', c: 'c5' });
    await reopened.close();
  });

  test('keeps tombstones for delete.retention.ms, then drops them', async () => {
    const config = { 'cleanup.policy': 'compact', 'segment.bytes': 420, 'delete.retention.ms': 1000 } as const;
    const log = await openLog(partitionDir(), { config });
    await log.append(encodeRecordBatch([{ key: 'k', value: 'v1', timestamp: 1 }]));
    await log.append(encodeRecordBatch([{ key: 'k', value: null, timestamp: 2 }]));
    await log.append(encodeRecordBatch([{ key: 'other', value: 'x'.repeat(300), timestamp: 3 }]));
    await log.append(encodeRecordBatch([{ key: 'other', value: 'y', timestamp: 4 }]));
    const collect = (): string[] => {
      const out: string[] = [];
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const read = log.readRecords(offset);
        out.push(...read.records.map((record) => `${record.key!.toString()}=${record.value === null ? 'null' : 'v'}`));
        offset = read.nextOffset;
      }
      return out;
    };
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 3]);
    await log.compact({ force: true, nowMs: 10_000 });
    expect(collect()).toContain('k=null');
    expect(collect()).not.toContain('k=v');
    await log.compact({ force: true, nowMs: 10_500 });
    expect(collect()).toContain('k=null');
    await log.compact({ force: true, nowMs: 11_001 });
    expect(collect()).not.toContain('k=null');
    await log.close();
  });
});

describe('Log stores codecs it cannot open as they were sent', () => {
  function sealed(codec: number): Buffer {
    const bytes = batch(3, `codec-${codec}`);
    bytes.writeInt16BE((bytes.readInt16BE(ATTRIBUTES_OFFSET) & ~0x07) | codec, ATTRIBUTES_OFFSET);
    bytes.writeUInt32BE(crc32c(bytes, ATTRIBUTES_OFFSET, bytes.length), CRC_OFFSET);
    return bytes;
  }

  test('a snappy or zstd batch with a good CRC is appended and read back byte for byte', async () => {
    const log = await openLog(partitionDir());
    for (const codec of [2, 4]) {
      const sent = sealed(codec);
      const { baseOffset } = await log.append(sent);
      const stored = log.read(baseOffset).records;
      expect(stored.subarray(CRC_OFFSET)).toEqual(sent.subarray(CRC_OFFSET));
    }
    expect(log.logEndOffset).toBe(6);
    await log.close();
  });

  test('a compacted topic refuses a snappy batch, which it could not compact', async () => {
    const log = await openLog(partitionDir(), { config: { 'cleanup.policy': 'compact' } });
    await expect(log.append(sealed(2))).rejects.toMatchObject({ code: 'UNSUPPORTED_CODEC' });
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });
});
