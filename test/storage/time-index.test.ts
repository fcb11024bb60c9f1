import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
import { nodeFileIO } from '../../src/storage/file-io.js';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from '../../src/storage/time-index.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const TEN_MIB = 10_485_760;
const T0 = 1_700_000_000_000;

/** Kafka's on-disk entry: timestamp int64 BE, relativeOffset int32 BE. */
function entryBytes(entries: ReadonlyArray<readonly [timestamp: bigint | number, relativeOffset: number]>): Buffer {
  const bytes = Buffer.alloc(entries.length * 12);
  entries.forEach(([timestamp, relative], index) => {
    bytes.writeBigInt64BE(BigInt(timestamp), index * 12);
    bytes.writeInt32BE(relative, index * 12 + 8);
  });
  return bytes;
}

/** The oracle: a plain sorted array of the kept entries, searched linearly for the floor. */
function floorOffset(
  entries: ReadonlyArray<readonly [timestamp: number, offset: number]>,
  baseOffset: number,
  target: number,
): number {
  let result = baseOffset;
  for (const [timestamp, offset] of entries) {
    if (timestamp <= target) result = offset;
    else break;
  }
  return result;
}

describe('TimeIndex', () => {
  let dir: TempDir;
  const opened: TimeIndex[] = [];

  function open(baseOffset = 0, indexBytes = TEN_MIB, name = 'index'): TimeIndex {
    const index = new TimeIndex(join(dir.path, `${name}.timeindex`), baseOffset, indexBytes, nodeFileIO);
    opened.push(index);
    return index;
  }

  beforeEach(() => {
    dir = makeTempDir('brook-time-index-');
  });

  afterEach(() => {
    for (const index of opened.splice(0)) index.close();
    dir.remove();
  });

  test('entries are 12 bytes and a 10 MiB segment.index.bytes holds 873,813 of them', () => {
    expect(TIME_INDEX_ENTRY_BYTES).toBe(12);
    expect(open(0, TEN_MIB).maxEntries).toBe(873_813);
  });

  test('an empty index reports no timestamp and looks up every timestamp at the base offset', () => {
    const index = open(500);
    expect(index.entries).toBe(0);
    expect(index.lastTimestamp()).toBe(-1);
    expect(index.lastOffset()).toBe(500);
    expect(index.lookup(0)).toBe(500);
    expect(index.lookup(T0)).toBe(500);
  });

  test('maybeAppend adds an entry only when its timestamp is strictly greater than the last one', () => {
    const index = open(0);
    index.maybeAppend(T0, 5);
    index.maybeAppend(T0, 6);
    index.maybeAppend(T0 - 1, 7);
    expect(index.entries).toBe(1);
    index.maybeAppend(T0 + 1, 7);
    expect(index.entries).toBe(2);
    expect(index.lastTimestamp()).toBe(T0 + 1);
    expect(index.lastOffset()).toBe(7);
  });

  test('a batch without a timestamp (-1) is not indexed', () => {
    const index = open(0);
    index.maybeAppend(-1, 3);
    expect(index.entries).toBe(0);
  });

  test('a greater timestamp may point at the same offset as the previous entry', () => {
    const index = open(0);
    index.maybeAppend(T0, 5);
    index.maybeAppend(T0 + 10, 5);
    expect(index.entries).toBe(2);
    expect(index.lookup(T0 + 10)).toBe(5);
  });

  test('an entry whose offset decreases throws an AssertionError', () => {
    const index = open(0);
    index.maybeAppend(T0, 10);
    expect(() => index.maybeAppend(T0 + 1, 9)).toThrow(AssertionError);
    expect(index.entries).toBe(1);
  });

  test('lookup returns the offset of the greatest entry at or below the timestamp, else the base offset', () => {
    const index = open(50);
    index.maybeAppend(1000, 55);
    index.maybeAppend(2000, 60);
    index.maybeAppend(3000, 70);
    expect(index.lookup(0)).toBe(50);
    expect(index.lookup(999)).toBe(50);
    expect(index.lookup(1000)).toBe(55);
    expect(index.lookup(1999)).toBe(55);
    expect(index.lookup(2000)).toBe(60);
    expect(index.lookup(2500)).toBe(60);
    expect(index.lookup(3000)).toBe(70);
    expect(index.lookup(T0)).toBe(70);
  });

  test('offsets are stored relative to the base offset', () => {
    const index = open(1_000_000);
    index.maybeAppend(T0, 1_000_042);
    expect(index.keyAt(0)).toBe(T0);
    expect(index.valueAt(0)).toBe(42);
    expect(index.lastOffset()).toBe(1_000_042);
  });

  test('the index is full at maxEntries − 1 entries, keeping one slot for the final entry', () => {
    const index = open(0, 12 * 4 + 11);
    expect(index.maxEntries).toBe(4);
    index.maybeAppend(T0 + 1, 1);
    index.maybeAppend(T0 + 2, 2);
    expect(index.isFull()).toBe(false);
    index.maybeAppend(T0 + 3, 3);
    expect(index.isFull()).toBe(true);
    expect(() => index.maybeAppend(T0 + 4, 4)).toThrow(AssertionError);
    expect(index.entries).toBe(3);
    index.maybeAppend(T0 + 4, 4, true);
    expect(index.entries).toBe(4);
    expect(index.lookup(T0 + 4)).toBe(4);
  });

  test('a final entry into an index with no slot left is dropped quietly', () => {
    const index = open(0, 12 * 2);
    index.maybeAppend(T0 + 1, 1);
    index.maybeAppend(T0 + 2, 2, true);
    expect(index.entries).toBe(2);
    index.maybeAppend(T0 + 3, 3, true);
    expect(index.entries).toBe(2);
    expect(index.lastTimestamp()).toBe(T0 + 2);
  });

  test('a final entry that does not raise the timestamp is not added', () => {
    const index = open(0);
    index.maybeAppend(T0, 5);
    index.maybeAppend(T0, 5, true);
    expect(index.entries).toBe(1);
  });

  test('lookup agrees with a sorted-array floor oracle on random appends and targets (seeded)', () => {
    const seed = 0x71de_1dec;
    const prng = new Prng(seed);
    const mismatches: string[] = [];
    for (let run = 0; run < 300; run++) {
      const baseOffset = prng.nextInt(1_000_000);
      const index = open(baseOffset, TEN_MIB, `run-${run}`);
      const kept: Array<readonly [number, number]> = [];
      let timestamp = T0 + prng.nextInt(1_000_000) - 500_000;
      let offset = baseOffset + prng.nextInt(3);
      const attempts = prng.nextInt(200);
      for (let attempt = 0; attempt < attempts; attempt++) {
        // Timestamps wander: about a third go backwards or repeat and must be skipped.
        timestamp += prng.nextInt(3) === 0 ? -prng.nextInt(1000) : prng.nextInt(10_000);
        offset += prng.nextInt(50);
        const last = kept[kept.length - 1];
        if (last === undefined || timestamp > last[0]) kept.push([timestamp, offset]);
        index.maybeAppend(timestamp, offset);
      }
      if (index.entries !== kept.length) {
        mismatches.push(`seed ${seed} run ${run}: ${index.entries} entries ≠ ${kept.length}`);
      }

      const first = kept[0]?.[0] ?? T0;
      const lastTimestamp = kept[kept.length - 1]?.[0] ?? T0;
      const targets = [0, first - 1, first, lastTimestamp, lastTimestamp + 1, lastTimestamp + 1_000_000];
      for (const [entryTimestamp] of kept) targets.push(entryTimestamp - 1, entryTimestamp, entryTimestamp + 1);
      for (let probe = 0; probe < 50; probe++) targets.push(first - 100 + prng.nextInt(lastTimestamp - first + 200));
      for (const target of targets) {
        const actual = index.lookup(target);
        const expected = floorOffset(kept, baseOffset, target);
        if (actual !== expected) mismatches.push(`seed ${seed} run ${run} target ${target}: ${actual} ≠ ${expected}`);
      }
      index.close();
    }
    expect(mismatches).toEqual([]);
  });

  test('persist writes 12-byte entries: int64 timestamp then int32 relative offset, big-endian', () => {
    const index = open(1000);
    index.maybeAppend(T0, 1005);
    index.maybeAppend(T0 + 1, 1010);
    index.persist(false);
    expect(readFileSync(index.path).toString('hex')).toBe(
      '0000018bcfe56800' + '00000005' + '0000018bcfe56801' + '0000000a',
    );
  });

  test('persisting twice appends only the entries added since the first persist', () => {
    const index = open(0);
    index.maybeAppend(T0, 1);
    index.persist(false);
    writeFileSync(index.path, entryBytes([[7, 7]]));
    index.maybeAppend(T0 + 1, 2);
    index.persist(true);
    expect(readFileSync(index.path).toString('hex')).toBe(
      entryBytes([
        [7, 7],
        [T0 + 1, 2],
      ]).toString('hex'),
    );
  });

  test('truncateToOffset drops entries at or after the offset, in memory and on disk', () => {
    const index = open(100);
    index.maybeAppend(T0 + 1, 110);
    index.maybeAppend(T0 + 2, 120);
    index.maybeAppend(T0 + 3, 130);
    index.persist(false);
    index.truncateToOffset(120);
    expect(index.entries).toBe(1);
    expect(index.lookup(T0 + 3)).toBe(110);
    expect(index.lastTimestamp()).toBe(T0 + 1);
    expect(readFileSync(index.path).toString('hex')).toBe(entryBytes([[T0 + 1, 10]]).toString('hex'));
    // The dropped timestamps can be indexed again.
    index.maybeAppend(T0 + 2, 115);
    expect(index.entries).toBe(2);
  });

  test('loadChecked accepts a good file and restores its lookups', () => {
    const writer = open(100, TEN_MIB, 'good');
    writer.maybeAppend(T0 + 10, 110);
    writer.maybeAppend(T0 + 20, 120);
    writer.persist(true);
    writer.close();

    const reader = open(100, TEN_MIB, 'good');
    expect(reader.loadChecked(121)).toBe(true);
    expect(reader.entries).toBe(2);
    expect(reader.lookup(T0 + 15)).toBe(110);
    expect(reader.lastTimestamp()).toBe(T0 + 20);
    expect(reader.lastOffset()).toBe(120);
  });

  test('loadChecked accepts a full file, final entry included', () => {
    writeFileSync(join(dir.path, 'full.timeindex'), entryBytes([[T0 + 1, 1], [T0 + 2, 2], [T0 + 3, 3]]));
    const index = open(0, 12 * 3, 'full');
    expect(index.loadChecked(10)).toBe(true);
    expect(index.entries).toBe(3);
    expect(index.isFull()).toBe(true);
  });

  test('loadChecked rejects a missing file', () => {
    expect(open(0, TEN_MIB, 'missing').loadChecked(10)).toBe(false);
  });

  const badFiles: ReadonlyArray<readonly [description: string, bytes: Buffer]> = [
    ['a size that is not a multiple of 12', Buffer.concat([entryBytes([[T0, 1]]), Buffer.alloc(8)])],
    ['decreasing timestamps', entryBytes([[T0 + 2, 1], [T0 + 1, 2]])],
    ['a repeated timestamp', entryBytes([[T0, 1], [T0, 2]])],
    ['decreasing offsets', entryBytes([[T0 + 1, 5], [T0 + 2, 4]])],
    ['an offset at the next offset', entryBytes([[T0 + 1, 5], [T0 + 2, 10]])],
    ['a negative relative offset', entryBytes([[T0, -1]])],
    ['more entries than maxEntries', entryBytes([[T0 + 1, 1], [T0 + 2, 2], [T0 + 3, 3], [T0 + 4, 4], [T0 + 5, 5]])],
  ];

  test.each(badFiles)('loadChecked rejects a file with %s and leaves the index empty', (_description, bytes) => {
    writeFileSync(join(dir.path, 'bad.timeindex'), bytes);
    const index = open(0, 12 * 4, 'bad');
    expect(index.loadChecked(10)).toBe(false);
    expect(index.entries).toBe(0);
    expect(index.lookup(T0 + 100)).toBe(0);
  });

  test('loadChecked rejects a file whose timestamp lies outside ±2^53 and leaves the index empty', () => {
    writeFileSync(join(dir.path, 'huge.timeindex'), entryBytes([[T0, 1], [2n ** 62n, 2]]));
    const index = open(0, TEN_MIB, 'huge');
    let result: unknown;
    try {
      result = index.loadChecked(10);
    } catch (error) {
      result = error;
    }
    expect(result).toBe(false);
    expect(index.entries).toBe(0);
  });
});
