import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BATCH_LENGTH_OFFSET, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, RECORDS_COUNT_OFFSET } from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import {
  bufferSource,
  checkOffsetIndex,
  checkTimeIndex,
  FileSegmentSource,
  isCorrupt,
  OffsetOrderCheck,
  parseOffsetIndex,
  parseTimeIndex,
  scanSegment,
  scanSegmentFile,
  type ScanEntry,
  type ScannedBatch,
} from '../../src/storage/segment-scan.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * The read-only segment walk behind `brook dump` and `brook verify`: it must find every batch of
 * a well-formed segment where the writer put it, notice a flipped byte by CRC, and report bytes
 * that cannot start a batch as a tail instead of trusting their length.
 */

interface Layout {
  readonly bytes: Buffer;
  /** For each batch: position, size, base and last offset, max timestamp. */
  readonly batches: Array<{ position: number; size: number; baseOffset: number; lastOffset: number; maxTimestamp: number }>;
}

/** A segment of `count` batches, batch i holding i+1 records from offset `firstOffset` on. */
function segment(count: number, options: { firstOffset?: number; compression?: 'none' | 'lz4'; valueBytes?: number } = {}): Layout {
  const random = new Prng(7);
  const parts: Buffer[] = [];
  const batches: Layout['batches'] = [];
  let offset = options.firstOffset ?? 0;
  let position = 0;
  for (let index = 0; index < count; index++) {
    const records = Array.from({ length: index + 1 }, (_, record) => ({
      key: `key-${record}`,
      value: random.bytes(options.valueBytes ?? 20),
      timestamp: 1_700_000_000_000 + offset + record,
    }));
    const bytes = encodeRecordBatch(records, { baseOffset: offset, compression: options.compression ?? 'none', partitionLeaderEpoch: 0 });
    batches.push({ position, size: bytes.length, baseOffset: offset, lastOffset: offset + index, maxTimestamp: 1_700_000_000_000 + offset + index });
    parts.push(bytes);
    position += bytes.length;
    offset += index + 1;
  }
  return { bytes: Buffer.concat(parts), batches };
}

const batchesOf = (entries: ScanEntry[]): ScannedBatch[] => entries.filter((entry): entry is ScannedBatch => entry.kind === 'batch');

describe('scanSegment', () => {
  test('finds every batch at the position, size and offsets it was written with, CRCs intact', () => {
    const layout = segment(6, { firstOffset: 100 });
    const entries = [...scanSegment(bufferSource(layout.bytes))];
    expect(entries.every((entry) => entry.kind === 'batch')).toBe(true);
    const found = batchesOf(entries);
    expect(found.map(({ position, sizeBytes, baseOffset, lastOffset, maxTimestamp }) => ({ position, size: sizeBytes, baseOffset, lastOffset, maxTimestamp }))).toEqual(layout.batches);
    for (const [index, batch] of found.entries()) {
      expect(batch.crc).toBe('ok');
      expect(batch.count).toBe(index + 1);
      expect(batch.codec).toBe('none');
      expect(batch.magic).toBe(2);
      expect(batch.problems).toEqual([]);
      expect(isCorrupt(batch)).toBe(false);
    }
  });

  test('a flipped byte in one batch fails that batch\'s CRC only, and the walk goes on past it', () => {
    const layout = segment(5);
    const target = layout.batches[2]!;
    const bytes = Buffer.from(layout.bytes);
    bytes[target.position + target.size - 3]! ^= 0x40;
    const found = batchesOf([...scanSegment(bufferSource(bytes))]);
    expect(found).toHaveLength(5);
    expect(found.map((batch) => batch.crc)).toEqual(['ok', 'ok', 'mismatch', 'ok', 'ok']);
    const corrupt = found[2]!;
    expect(corrupt.crcStored).toBe(layout.bytes.readUInt32BE(target.position + CRC_OFFSET));
    expect(corrupt.crcComputed).toBe(crc32c(bytes, target.position + 21, target.position + target.size));
    expect(corrupt.crcComputed).not.toBe(corrupt.crcStored);
  });

  test('the CRC computed in small pieces equals the CRC of the whole batch (lz4 batches too)', () => {
    const layout = segment(4, { compression: 'lz4', valueBytes: 300 });
    for (const chunkBytes of [1, 7, 64, 1000]) {
      const found = batchesOf([...scanSegment(bufferSource(layout.bytes), { chunkBytes })]);
      expect(found.map((batch) => batch.crc)).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(found.map((batch) => batch.codec)).toEqual(['lz4', 'lz4', 'lz4', 'lz4']);
    }
  });

  test('every cut inside the last batch is reported as a truncated tail at that batch\'s position', () => {
    const layout = segment(3);
    const last = layout.batches[2]!;
    for (let cut = last.position + 1; cut < last.position + last.size; cut++) {
      const entries = [...scanSegment(bufferSource(layout.bytes.subarray(0, cut)))];
      expect(batchesOf(entries)).toHaveLength(2);
      const tail = entries[entries.length - 1]!;
      expect(tail).toMatchObject({ kind: 'tail', position: last.position, bytes: cut - last.position });
      if (tail.kind === 'tail') expect(tail.reason).toMatch(/truncated/);
    }
  });

  test('zero fill and a wrong magic stop the walk as garbage, without trusting the length', () => {
    const layout = segment(2);
    const zeros = Buffer.concat([layout.bytes, Buffer.alloc(500)]);
    const zeroEntries = [...scanSegment(bufferSource(zeros))];
    expect(zeroEntries[2]).toMatchObject({ kind: 'tail', position: layout.bytes.length, bytes: 500 });
    expect(zeroEntries).toHaveLength(3);

    const badMagic = Buffer.from(layout.bytes);
    badMagic[layout.batches[1]!.position + MAGIC_OFFSET] = 7;
    const entries = [...scanSegment(bufferSource(badMagic))];
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ kind: 'tail', position: layout.batches[1]!.position });
    if (entries[1]!.kind === 'tail') expect(entries[1]!.reason).toMatch(/magic 7/);
  });

  test('a length that runs past the end of the file is a tail, not a batch', () => {
    const layout = segment(2);
    const bytes = Buffer.from(layout.bytes);
    bytes.writeInt32BE(1_000_000, layout.batches[1]!.position + BATCH_LENGTH_OFFSET);
    const entries = [...scanSegment(bufferSource(bytes))];
    expect(batchesOf(entries)).toHaveLength(1);
    expect(entries[1]).toMatchObject({ kind: 'tail', position: layout.batches[1]!.position });
  });

  test('a header whose count does not fit its offset delta is reported as a problem', () => {
    const layout = segment(3);
    const bytes = Buffer.from(layout.bytes);
    const at = layout.batches[2]!.position;
    bytes.writeInt32BE(50, at + RECORDS_COUNT_OFFSET);
    bytes.writeUInt32BE(crc32c(bytes, at + 21, at + layout.batches[2]!.size), at + CRC_OFFSET);
    const found = batchesOf([...scanSegment(bufferSource(bytes))]);
    expect(found[2]!.crc).toBe('ok');
    expect(found[2]!.problems.join(' ')).toMatch(/recordsCount 50/);
    expect(isCorrupt(found[2]!)).toBe(true);
    expect(bytes.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET)).toBe(2);
  });

  test('an empty segment has no entries', () => {
    expect([...scanSegment(bufferSource(Buffer.alloc(0)))]).toEqual([]);
  });
});

describe('FileSegmentSource', () => {
  let dir: TempDir | undefined;
  afterEach(() => dir?.remove());

  test('a file read through a small window scans exactly like the bytes in memory', () => {
    dir = makeTempDir();
    const layout = segment(12, { valueBytes: 90 });
    const path = join(dir.path, '00000000000000000000.log');
    writeFileSync(path, Buffer.concat([layout.bytes, Buffer.from([0, 0, 0])]));
    const expected = [...scanSegment(bufferSource(Buffer.concat([layout.bytes, Buffer.from([0, 0, 0])])))];
    expect([...scanSegmentFile(path, { chunkBytes: 100 })]).toEqual(expected);
    expect([...scanSegmentFile(path)]).toEqual(expected);
    expect(expected[expected.length - 1]).toMatchObject({ kind: 'tail', bytes: 3 });
  });

  test('reads of any position and length return the file\'s bytes', () => {
    dir = makeTempDir();
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, index) => (index * 31) & 0xff));
    const path = join(dir.path, 'x.log');
    writeFileSync(path, bytes);
    const source = FileSegmentSource.open(path, 256);
    try {
      const random = new Prng(3);
      for (let attempt = 0; attempt < 200; attempt++) {
        const position = random.nextInt(5000);
        const length = random.nextInt(Math.min(2000, 5000 - position) + 1);
        expect(Buffer.compare(source.read(position, length), bytes.subarray(position, position + length))).toBe(0);
      }
    } finally {
      source.close();
    }
  });
});

describe('OffsetOrderCheck', () => {
  const batch = (baseOffset: number, lastOffset: number): ScannedBatch =>
    ({ baseOffset, lastOffset }) as ScannedBatch;

  test('accepts increasing offsets and gaps, refuses a batch that goes backwards or below the name', () => {
    const order = new OffsetOrderCheck(10, 9);
    expect(order.check(batch(10, 14))).toBeNull();
    expect(order.check(batch(20, 25))).toBeNull();
    expect(order.check(batch(25, 30))).toMatch(/backwards/);
    expect(order.lastOffset).toBe(30);
    expect(new OffsetOrderCheck(10, 9).check(batch(8, 12))).toMatch(/below the segment's base offset 10/);
    expect(new OffsetOrderCheck(10, 9).check(batch(12, 12))).toBeNull();
  });

  test('a segment named at or below the previous segment\'s last offset is refused', () => {
    expect(OffsetOrderCheck.segmentName(10, 9)).toBeNull();
    expect(OffsetOrderCheck.segmentName(10, 10)).toMatch(/not above/);
  });
});

describe('index checks', () => {
  const layout = segment(6, { firstOffset: 50 });
  const found = batchesOf([...scanSegment(bufferSource(layout.bytes))]);

  function offsetIndex(entries: Array<[number, number]>): Buffer {
    const bytes = Buffer.alloc(entries.length * 8);
    entries.forEach(([relative, position], index) => {
      bytes.writeInt32BE(relative, index * 8);
      bytes.writeInt32BE(position, index * 8 + 4);
    });
    return bytes;
  }

  test('entries naming a batch\'s last offset and start position match', () => {
    const entries = [2, 4].map((index): [number, number] => [layout.batches[index]!.lastOffset - 50, layout.batches[index]!.position]);
    const index = parseOffsetIndex(offsetIndex(entries), 50);
    expect(index.entries[0]).toEqual({ offset: layout.batches[2]!.lastOffset, position: layout.batches[2]!.position });
    expect(checkOffsetIndex(index, found, layout.bytes.length)).toEqual([]);
  });

  test('an entry pointing into the middle of a batch, at the wrong batch, or past the log is reported', () => {
    const b = layout.batches;
    const entries: Array<[number, number]> = [
      [b[1]!.lastOffset - 50, b[1]!.position + 5],
      [b[3]!.lastOffset - 50, b[2]!.position],
      [b[5]!.lastOffset - 50, layout.bytes.length + 100],
    ];
    const findings = checkOffsetIndex(parseOffsetIndex(Buffer.concat([offsetIndex(entries), Buffer.alloc(3)]), 50), found, layout.bytes.length);
    expect(findings.map((finding) => finding.entry)).toEqual([0, 1, 2, -1]);
    expect(findings[0]!.what).toMatch(/no batch starts at position/);
    expect(findings[1]!.what).toMatch(new RegExp(`holds offsets ${b[2]!.baseOffset}\\.\\.${b[2]!.lastOffset}`));
    expect(findings[2]!.what).toMatch(/outside/);
    expect(findings[3]!.what).toMatch(/3 bytes/);
  });

  test('time index entries must name a batch end holding that max timestamp, timestamps increasing', () => {
    const entry = (timestamp: number, relative: number): Buffer => {
      const bytes = Buffer.alloc(12);
      bytes.writeBigInt64BE(BigInt(timestamp), 0);
      bytes.writeInt32BE(relative, 8);
      return bytes;
    };
    const b = layout.batches;
    const good = parseTimeIndex(Buffer.concat([entry(b[1]!.maxTimestamp, b[1]!.lastOffset - 50), entry(b[4]!.maxTimestamp, b[4]!.lastOffset - 50)]), 50);
    expect(checkTimeIndex(good, found)).toEqual([]);
    const bad = parseTimeIndex(Buffer.concat([entry(b[4]!.maxTimestamp, b[4]!.lastOffset - 50), entry(b[2]!.maxTimestamp + 1, b[2]!.lastOffset - 50)]), 50);
    const findings = checkTimeIndex(bad, found);
    expect(findings.map((finding) => finding.entry)).toEqual([1, 1]);
    expect(findings[1]!.what).toMatch(/max timestamp/);
  });
});
