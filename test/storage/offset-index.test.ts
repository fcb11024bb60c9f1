import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
import { nodeFileIO } from '../../src/storage/file-io.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from '../../src/storage/offset-index.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const TEN_MIB = 10_485_760;

/** Kafka's on-disk entry: relativeOffset int32 BE, position int32 BE. */
function entryBytes(entries: ReadonlyArray<readonly [relativeOffset: number, position: number]>): Buffer {
  const bytes = Buffer.alloc(entries.length * 8);
  entries.forEach(([relative, position], index) => {
    bytes.writeInt32BE(relative, index * 8);
    bytes.writeInt32BE(position, index * 8 + 4);
  });
  return bytes;
}

/** The oracle: a plain sorted array, searched linearly for the floor entry. */
function floorPosition(entries: ReadonlyArray<readonly [offset: number, position: number]>, target: number): number {
  let result = 0;
  for (const [offset, position] of entries) {
    if (offset <= target) result = position;
    else break;
  }
  return result;
}

describe('OffsetIndex', () => {
  let dir: TempDir;
  const opened: OffsetIndex[] = [];

  function open(baseOffset = 0, indexBytes = TEN_MIB, name = 'index'): OffsetIndex {
    const index = new OffsetIndex(join(dir.path, `${name}.index`), baseOffset, indexBytes, nodeFileIO);
    opened.push(index);
    return index;
  }

  beforeEach(() => {
    dir = makeTempDir('brook-offset-index-');
  });

  afterEach(() => {
    for (const index of opened.splice(0)) index.close();
    dir.remove();
  });

  test('entries are 8 bytes and a 10 MiB segment.index.bytes holds 1,310,720 of them', () => {
    expect(OFFSET_INDEX_ENTRY_BYTES).toBe(8);
    expect(open(0, TEN_MIB).maxEntries).toBe(1_310_720);
    expect(open(0, 8 * 5 + 7, 'odd').maxEntries).toBe(5);
  });

  test('an empty index looks up every offset at position 0', () => {
    const index = open(100);
    expect(index.entries).toBe(0);
    expect(index.lookup(0)).toBe(0);
    expect(index.lookup(100)).toBe(0);
    expect(index.lookup(1_000_000)).toBe(0);
    expect(index.lastOffset()).toBe(100);
  });

  test('lookup returns the position of the greatest entry at or below the target offset', () => {
    const index = open(100);
    index.append(110, 4200);
    index.append(125, 8400);
    index.append(140, 12_600);
    expect(index.lookup(109)).toBe(0);
    expect(index.lookup(110)).toBe(4200);
    expect(index.lookup(124)).toBe(4200);
    expect(index.lookup(125)).toBe(8400);
    expect(index.lookup(139)).toBe(8400);
    expect(index.lookup(140)).toBe(12_600);
    expect(index.lookup(1_000_000)).toBe(12_600);
  });

  test('lookup below the first entry, or below the base offset, returns position 0', () => {
    const index = open(100);
    index.append(150, 5000);
    expect(index.lookup(149)).toBe(0);
    expect(index.lookup(100)).toBe(0);
    expect(index.lookup(99)).toBe(0);
    expect(index.lookup(0)).toBe(0);
  });

  test('entries are stored relative to the base offset and read back as absolute offsets', () => {
    const index = open(1_000_000);
    index.append(1_000_010, 4200);
    expect(index.keyAt(0)).toBe(10);
    expect(index.valueAt(0)).toBe(4200);
    expect(index.lastOffset()).toBe(1_000_010);
    expect(index.sizeBytes).toBe(8);
  });

  test('the index accepts an entry for the first batch: leaving it unindexed is the segment\'s rule', () => {
    const index = open(0);
    index.append(0, 0);
    index.append(7, 4100);
    expect(index.entries).toBe(2);
    expect(index.lookup(0)).toBe(0);
    expect(index.lookup(6)).toBe(0);
    expect(index.lookup(7)).toBe(4100);
  });

  test('appending an offset that does not increase throws an AssertionError', () => {
    const index = open(100);
    index.append(110, 4200);
    expect(() => index.append(110, 8400)).toThrow(AssertionError);
    expect(() => index.append(105, 8400)).toThrow(AssertionError);
    expect(index.entries).toBe(1);
  });

  test('appending a position that does not increase throws an AssertionError', () => {
    const index = open(100);
    index.append(110, 4200);
    expect(() => index.append(120, 4200)).toThrow(AssertionError);
    expect(() => index.append(120, 100)).toThrow(AssertionError);
    expect(index.entries).toBe(1);
  });

  test('appending an offset below the base offset throws an AssertionError', () => {
    const index = open(100);
    expect(() => index.append(99, 0)).toThrow(AssertionError);
    expect(index.entries).toBe(0);
  });

  test('isFull becomes true at maxEntries = floor(segment.index.bytes / 8), and one more append throws', () => {
    const index = open(0, 8 * 3 + 5);
    expect(index.maxEntries).toBe(3);
    index.append(1, 100);
    index.append(2, 200);
    expect(index.isFull()).toBe(false);
    index.append(3, 300);
    expect(index.isFull()).toBe(true);
    expect(() => index.append(4, 400)).toThrow(AssertionError);
    expect(index.entries).toBe(3);
  });

  test('the index grows past its initial capacity without losing entries', () => {
    const index = open(0);
    for (let entry = 1; entry <= 1000; entry++) index.append(entry * 3, entry * 4096);
    expect(index.entries).toBe(1000);
    expect(index.lookup(3)).toBe(4096);
    expect(index.lookup(1501)).toBe(500 * 4096);
    expect(index.lookup(3000)).toBe(1000 * 4096);
  });

  test('lookup agrees with a sorted-array floor oracle on random entries and targets (seeded)', () => {
    const seed = 0x0ff5_e71d;
    const prng = new Prng(seed);
    const mismatches: string[] = [];
    for (let run = 0; run < 300; run++) {
      const baseOffset = prng.nextInt(1_000_000);
      const count = prng.nextInt(200);
      const entries: Array<readonly [number, number]> = [];
      let offset = baseOffset + prng.nextInt(3);
      let position = prng.nextInt(2) === 0 ? 0 : 1 + prng.nextInt(5000);
      for (let entry = 0; entry < count; entry++) {
        entries.push([offset, position]);
        offset += 1 + prng.nextInt(prng.nextInt(2) === 0 ? 5 : 100_000);
        position += 1 + prng.nextInt(8192);
      }
      const index = open(baseOffset, TEN_MIB, `run-${run}`);
      for (const [entryOffset, entryPosition] of entries) index.append(entryOffset, entryPosition);

      const first = entries[0]?.[0] ?? baseOffset;
      const last = entries[entries.length - 1]?.[0] ?? baseOffset;
      const targets = [baseOffset - 1, baseOffset, first - 1, first, last, last + 1, last + 1_000_000];
      for (const [entryOffset] of entries) targets.push(entryOffset, entryOffset - 1, entryOffset + 1);
      for (let probe = 0; probe < 50; probe++) targets.push(baseOffset - 10 + prng.nextInt(last - baseOffset + 20));

      for (const target of targets) {
        const actual = index.lookup(target);
        const expected = floorPosition(entries, target);
        if (actual !== expected) mismatches.push(`seed ${seed} run ${run} target ${target}: ${actual} ≠ ${expected}`);
      }
      index.close();
    }
    expect(mismatches).toEqual([]);
  });

  test('persist writes 8-byte big-endian (relativeOffset, position) entries', () => {
    const index = open(100);
    index.append(110, 4200);
    index.append(125, 8400);
    index.persist(false);
    expect(readFileSync(index.path).toString('hex')).toBe('0000000a' + '00001068' + '00000019' + '000020d0');
  });

  test('persisting an empty index creates an empty file', () => {
    const index = open(0);
    index.persist(true);
    expect(readFileSync(index.path).length).toBe(0);
  });

  test('persisting twice appends only the entries added since the first persist', () => {
    const index = open(0);
    index.append(10, 100);
    index.persist(false);
    // Overwrite the persisted entry on disk: a second persist must leave it alone.
    writeFileSync(index.path, entryBytes([[0x7777, 0x7777]]));
    index.append(20, 200);
    index.append(30, 300);
    index.persist(true);
    expect(readFileSync(index.path).toString('hex')).toBe(
      entryBytes([
        [0x7777, 0x7777],
        [20, 200],
        [30, 300],
      ]).toString('hex'),
    );
    index.persist(false);
    expect(readFileSync(index.path).length).toBe(24);
  });

  test('truncateToPosition drops entries at or after the position, in memory and on disk', () => {
    const index = open(0);
    index.append(10, 100);
    index.append(20, 200);
    index.append(30, 300);
    index.persist(false);
    index.truncateToPosition(200);
    expect(index.entries).toBe(1);
    expect(index.lookup(25)).toBe(100);
    expect(index.lastOffset()).toBe(10);
    expect(readFileSync(index.path).toString('hex')).toBe(entryBytes([[10, 100]]).toString('hex'));
    index.truncateToPosition(201);
    expect(index.entries).toBe(1);
    index.truncateToPosition(0);
    expect(index.entries).toBe(0);
    expect(readFileSync(index.path).length).toBe(0);
  });

  test('truncateToEntries drops entries in memory and on disk, and later persists continue from there', () => {
    const index = open(0);
    for (let entry = 1; entry <= 4; entry++) index.append(entry * 10, entry * 100);
    index.persist(false);
    index.truncateToEntries(2);
    expect(index.entries).toBe(2);
    expect(readFileSync(index.path).length).toBe(16);
    index.append(25, 250);
    index.persist(false);
    expect(readFileSync(index.path).toString('hex')).toBe(
      entryBytes([
        [10, 100],
        [20, 200],
        [25, 250],
      ]).toString('hex'),
    );
  });

  test('truncating entries that were never persisted leaves the file as it was', () => {
    const index = open(0);
    index.append(10, 100);
    index.persist(false);
    index.append(20, 200);
    index.truncateToEntries(1);
    expect(index.entries).toBe(1);
    expect(readFileSync(index.path).toString('hex')).toBe(entryBytes([[10, 100]]).toString('hex'));
  });

  test('truncateToEntries refuses a count above the current entries', () => {
    const index = open(0);
    index.append(10, 100);
    expect(() => index.truncateToEntries(2)).toThrow(AssertionError);
  });

  test('loadChecked accepts a good file and restores its lookups', () => {
    const writer = open(1000, TEN_MIB, 'good');
    writer.append(1010, 4200);
    writer.append(1025, 8400);
    writer.persist(true);
    writer.close();

    const reader = open(1000, TEN_MIB, 'good');
    expect(reader.loadChecked(8401)).toBe(true);
    expect(reader.entries).toBe(2);
    expect(reader.lookup(1024)).toBe(4200);
    expect(reader.lookup(1025)).toBe(8400);
    expect(reader.lastOffset()).toBe(1025);
    // Loaded entries count as persisted: a new persist appends after them.
    reader.append(1030, 8500);
    reader.persist(false);
    expect(readFileSync(reader.path).length).toBe(24);
  });

  test('loadChecked accepts an empty file and rejects a missing one', () => {
    const path = join(dir.path, 'empty.index');
    writeFileSync(path, Buffer.alloc(0));
    expect(open(0, TEN_MIB, 'empty').loadChecked(100)).toBe(true);
    expect(open(0, TEN_MIB, 'missing').loadChecked(100)).toBe(false);
  });

  const badFiles: ReadonlyArray<readonly [description: string, bytes: Buffer, segmentBytes: number]> = [
    ['a size that is not a multiple of 8', Buffer.concat([entryBytes([[10, 100]]), Buffer.from([0, 0, 0])]), 1000],
    ['decreasing offsets', entryBytes([[10, 100], [5, 200]]), 1000],
    ['a repeated offset', entryBytes([[10, 100], [10, 200]]), 1000],
    ['decreasing positions', entryBytes([[10, 200], [20, 100]]), 1000],
    ['a position equal to the segment size', entryBytes([[10, 100], [20, 1000]]), 1000],
    ['a position beyond the segment size', entryBytes([[10, 5000]]), 1000],
    ['a negative relative offset', entryBytes([[-1, 100]]), 1000],
    ['a negative position', entryBytes([[10, -1]]), 1000],
    ['more entries than maxEntries', entryBytes([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6]]), 1000],
  ];

  test.each(badFiles)('loadChecked rejects a file with %s and leaves the index empty', (_, bytes, segmentBytes) => {
    writeFileSync(join(dir.path, 'bad.index'), bytes);
    const index = open(0, 8 * 5, 'bad');
    expect(index.loadChecked(segmentBytes)).toBe(false);
    expect(index.entries).toBe(0);
    expect(index.lookup(1_000_000)).toBe(0);
  });

  test('a position just below the segment size is accepted', () => {
    writeFileSync(join(dir.path, 'edge.index'), entryBytes([[10, 999]]));
    expect(open(0, TEN_MIB, 'edge').loadChecked(1000)).toBe(true);
  });

  test('persisted random indexes load back with identical lookups (seeded)', () => {
    const seed = 0x10ad_0ff5;
    const prng = new Prng(seed);
    for (let run = 0; run < 50; run++) {
      const baseOffset = prng.nextInt(1_000_000);
      const writer = open(baseOffset, TEN_MIB, `rt-${run}`);
      let offset = baseOffset;
      let position = 0;
      const count = 1 + prng.nextInt(100);
      for (let entry = 0; entry < count; entry++) {
        offset += 1 + prng.nextInt(1000);
        position += 1 + prng.nextInt(10_000);
        writer.append(offset, position);
        if (prng.nextInt(10) === 0) writer.persist(false);
      }
      writer.persist(false);
      writer.close();
      const reader = open(baseOffset, TEN_MIB, `rt-${run}`);
      expect(reader.loadChecked(position + 1), `seed ${seed} run ${run}`).toBe(true);
      expect(reader.entries).toBe(count);
      for (let probe = 0; probe < 50; probe++) {
        const target = baseOffset + prng.nextInt(offset - baseOffset + 10);
        expect(reader.lookup(target), `seed ${seed} run ${run} target ${target}`).toBe(writer.lookup(target));
      }
      reader.close();
    }
  });
});
