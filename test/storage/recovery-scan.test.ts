import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { CorruptSegmentError } from '../../src/core/errors.js';
import { CRC_COVERED_OFFSET, CRC_OFFSET, MAX_TIMESTAMP_OFFSET } from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import type { CompressionCodec } from '../../src/records/record.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { writeInt64 } from '../../src/records/int64.js';
import {
  RECOVERY_BATCH_FIELDS,
  RECOVERY_CHUNK_BYTES,
  scanBytesForRecovery,
  type RecoveryScan,
} from '../../src/storage/recovery-scan.js';
import { scanSegmentFile } from '../../src/storage/recovery-scan-file.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * The pure half of recovery (recovery-scan.ts) and its file reader (recovery-scan-file.ts): the
 * same description of a segment's batches whether the bytes are in memory or read from the file
 * in chunks, failures named as LogSegment.recover names them, and a result that can be
 * transferred. That recovery through a scan equals recovery inline is tested in
 * test/pool/recovery-scan.test.ts.
 */

let directories: TempDir[] = [];
afterEach(() => {
  for (const directory of directories) directory.remove();
  directories = [];
});

function tempFile(bytes: Buffer): string {
  const directory = makeTempDir();
  directories.push(directory);
  const path = join(directory.path, '00000000000000000000.log');
  writeFileSync(path, bytes);
  return path;
}

/** `count` batches of 1-20 records with contiguous offsets from 0, codecs taken in turn. */
function segmentBytes(prng: Prng, count: number, codecs: ReadonlyArray<CompressionCodec>, valueBytesMax = 300): Buffer {
  const batches: Buffer[] = [];
  let offset = 0;
  for (let index = 0; index < count; index++) {
    const records = Array.from({ length: 1 + prng.nextInt(20) }, (_, record) => ({
      key: `k${offset + record}`,
      value: prng.compressibleBytes(prng.nextInt(valueBytesMax)),
      timestamp: 1_700_000_000_000 + offset + record,
    }));
    const batch = encodeRecordBatch(records, { compression: codecs[index % codecs.length]! });
    writeInt64(batch, offset, 0);
    offset += records.length;
    batches.push(batch);
  }
  return Buffer.concat(batches);
}

/** Start positions of the batches in `bytes`, walked by their length fields. */
function batchStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let position = 0; position < bytes.length; position += bytes.readInt32BE(position + 8) + 12) starts.push(position);
  return starts;
}

function plain(scan: RecoveryScan): object {
  return { ...scan, batches: [...scan.batches] };
}

describe('scanForRecovery', () => {
  test('a clean segment is described batch by batch, to its last byte, with no reason', () => {
    const bytes = segmentBytes(new Prng(1), 40, ['none', 'lz4', 'gzip']);
    const scan = scanBytesForRecovery(bytes);
    const starts = batchStarts(bytes);
    expect(scan).toMatchObject({ scannedBytes: bytes.length, batchCount: 40, validBytes: bytes.length, reason: null });
    expect(scan.batches.length).toBe(40 * RECOVERY_BATCH_FIELDS);
    for (let batch = 0; batch < 40; batch++) expect(scan.batches[batch * RECOVERY_BATCH_FIELDS]).toBe(starts[batch]);
    expect(Number.isNaN(scan.failedBaseOffset)).toBe(true);
  });

  test('the batches array owns its whole ArrayBuffer, so it can be transferred', () => {
    const scan = scanBytesForRecovery(segmentBytes(new Prng(2), 300, ['none']));
    expect(scan.batches.byteOffset).toBe(0);
    expect(scan.batches.byteLength).toBe(scan.batches.buffer.byteLength);
  });

  test('an empty segment has no batches and nothing wrong', () => {
    expect(plain(scanBytesForRecovery(Buffer.alloc(0)))).toMatchObject({ batchCount: 0, validBytes: 0, reason: null, batches: [] });
  });

  test('a torn tail stops the scan at the last whole batch, with the reason recovery gives', () => {
    const bytes = segmentBytes(new Prng(3), 10, ['none', 'lz4']);
    const starts = batchStarts(bytes);
    const torn = bytes.subarray(0, starts[9]! + 70);
    expect(scanBytesForRecovery(torn)).toMatchObject({
      batchCount: 9,
      validBytes: starts[9],
      reason: `byte ${starts[9]}: batch length ${bytes.readInt32BE(starts[9]! + 8)} does not fit the 70 bytes left`,
    });
    const header = bytes.subarray(0, starts[9]! + 20);
    expect(scanBytesForRecovery(header).reason).toBe(`byte ${starts[9]}: partial batch header`);
  });

  test('a flipped byte stops the scan at its batch with the CRC error', () => {
    const bytes = segmentBytes(new Prng(4), 10, ['lz4']);
    const starts = batchStarts(bytes);
    bytes[starts[5]! + 70]! ^= 0x20;
    const scan = scanBytesForRecovery(bytes);
    expect(scan).toMatchObject({ batchCount: 5, validBytes: starts[5] });
    expect(scan.reason).toMatch(new RegExp(`^byte ${starts[5]}: record batch at byte ${starts[5]} fails its CRC-32C`));
  });

  test('a maxTimestamp outside ±2^53 under a valid CRC keeps the batch offsets for the offset checks', () => {
    const bytes = segmentBytes(new Prng(5), 4, ['none']);
    const starts = batchStarts(bytes);
    const at = starts[2]!;
    bytes.writeInt32BE(0x7fffffff, at + MAX_TIMESTAMP_OFFSET);
    const end = at + bytes.readInt32BE(at + 8) + 12;
    bytes.writeUInt32BE(crc32c(bytes, at + CRC_COVERED_OFFSET, end), at + CRC_OFFSET);
    const scan = scanBytesForRecovery(bytes);
    expect(scan.batchCount).toBe(2);
    expect(scan.reason).toBe(`byte ${at}: int64 at byte ${at + MAX_TIMESTAMP_OFFSET} is outside ±2^53`);
    expect(scan.failedBaseOffset).toBe(scan.batches[RECOVERY_BATCH_FIELDS + 3]! + 1);
    expect(scan.failedLastOffset).toBeGreaterThanOrEqual(scan.failedBaseOffset);
  });
});

describe('scanSegmentFile', () => {
  test('reading the file in chunks gives the same scan as the bytes in memory, across chunk boundaries', () => {
    const prng = new Prng(6);
    const bytes = segmentBytes(prng, 1400, ['none', 'lz4'], 12_000);
    expect(bytes.length).toBeGreaterThan(RECOVERY_CHUNK_BYTES + 64 * 1024);
    const starts = batchStarts(bytes);
    const late = starts.find((start) => start > RECOVERY_CHUNK_BYTES + 1000)!;
    bytes[late + 80]! ^= 0x01;
    const path = tempFile(bytes);
    const fromFile = scanSegmentFile(path, bytes.length);
    expect(plain(fromFile)).toEqual(plain(scanBytesForRecovery(bytes)));
    expect(fromFile.validBytes).toBe(late);
    // The CRC message names the byte within the second chunk, as recovery always has.
    expect(fromFile.reason).toMatch(new RegExp(`^byte ${late}: record batch at byte \\d+ fails`));
    expect(fromFile.reason).not.toContain(`at byte ${late} fails`);
  });

  test('a file shorter than the size asked for is a CorruptSegmentError naming the file', () => {
    const bytes = segmentBytes(new Prng(7), 5, ['none']);
    const path = tempFile(bytes);
    truncateSync(path, 100);
    expect(() => scanSegmentFile(path, bytes.length)).toThrow(CorruptSegmentError);
    expect(() => scanSegmentFile(path, bytes.length)).toThrow(`segment ${path} is shorter than expected`);
  });
});
