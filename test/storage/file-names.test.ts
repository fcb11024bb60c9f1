import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  filenamePrefix,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseBaseOffset,
  segmentPaths,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
} from '../../src/storage/file-names.js';
import { Prng } from '../helpers/prng.js';

describe('file names', () => {
  test('suffixes are Kafka\'s', () => {
    expect([LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]).toEqual(['.log', '.index', '.timeindex']);
    expect([DELETED_SUFFIX, CLEANED_SUFFIX, SWAP_SUFFIX]).toEqual(['.deleted', '.cleaned', '.swap']);
  });

  test('a base offset is zero-padded to 20 digits with no grouping', () => {
    expect(filenamePrefix(0)).toBe('00000000000000000000');
    expect(filenamePrefix(368_769)).toBe('00000000000000368769');
    expect(filenamePrefix(Number.MAX_SAFE_INTEGER)).toBe('00009007199254740991');
    for (const offset of [0, 1, 368_769, Number.MAX_SAFE_INTEGER]) expect(filenamePrefix(offset)).toHaveLength(20);
  });

  test('segmentPaths names the .log, .index and .timeindex files of a segment in its directory', () => {
    expect(segmentPaths(join('/data', 'orders-0'), 42)).toEqual({
      log: join('/data', 'orders-0', '00000000000000000042.log'),
      index: join('/data', 'orders-0', '00000000000000000042.index'),
      timeIndex: join('/data', 'orders-0', '00000000000000000042.timeindex'),
    });
  });

  test('parseBaseOffset reads the offset back from every segment file name (seeded round trip)', () => {
    const seed = 0xf11e_0001;
    const prng = new Prng(seed);
    const suffixes = [
      LOG_SUFFIX,
      INDEX_SUFFIX,
      TIME_INDEX_SUFFIX,
      '.txnindex',
      '.snapshot',
      LOG_SUFFIX + DELETED_SUFFIX,
      LOG_SUFFIX + CLEANED_SUFFIX,
      INDEX_SUFFIX + SWAP_SUFFIX,
    ];
    const offsets = [0, 1, 9, 10, Number.MAX_SAFE_INTEGER];
    for (let run = 0; run < 500; run++) {
      // Spread over every magnitude up to 2^53.
      const digits = 1 + prng.nextInt(16);
      offsets.push(Math.min(Number.MAX_SAFE_INTEGER, Math.floor((prng.nextUint32() / 4_294_967_296) * 10 ** digits)));
    }
    const failures: string[] = [];
    for (const offset of offsets) {
      for (const suffix of suffixes) {
        const name = filenamePrefix(offset) + suffix;
        if (parseBaseOffset(name) !== offset) failures.push(`seed ${seed}: ${name} → ${parseBaseOffset(name)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('lexical order of names is numeric order of base offsets (seeded)', () => {
    const prng = new Prng(0xf11e_0002);
    const offsets = Array.from({ length: 300 }, () => prng.nextInt(2 ** 31) * prng.nextInt(2 ** 21));
    const byName = offsets.map(filenamePrefix).sort();
    const byNumber = [...offsets].sort((left, right) => left - right).map(filenamePrefix);
    expect(byName).toEqual(byNumber);
  });

  test.each([
    'leader-epoch-checkpoint',
    'partition.metadata',
    '.kafka_cleanshutdown',
    'foo.log',
    '0000000000000000042.log', // 19 digits
    '00000000000000000042', // no suffix
    '0000000000000000004x.log',
    '-0000000000000000042.log',
    '99999999999999999999.log', // above 2^53
    '',
  ])('parseBaseOffset returns null for %j', (name) => {
    expect(parseBaseOffset(name)).toBeNull();
  });
});
