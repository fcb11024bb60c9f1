import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError } from '../../src/core/errors.js';
import { readInt64, writeInt64 } from '../../src/records/int64.js';

describe('int64', () => {
  test('safe integers are written as big-endian two\'s complement, as writeBigInt64BE writes them', () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (value) => {
        const ours = Buffer.alloc(8);
        writeInt64(ours, value, 0);
        const reference = Buffer.alloc(8);
        reference.writeBigInt64BE(BigInt(value));
        expect(ours.toString('hex')).toBe(reference.toString('hex'));
        expect(readInt64(ours, 0)).toBe(value);
      }),
      { seed: 0x5eed_0601, numRuns: 2000 },
    );
  });

  test('the sentinel -1 is eight 0xff bytes', () => {
    const buffer = Buffer.alloc(8);
    writeInt64(buffer, -1, 0);
    expect(buffer.toString('hex')).toBe('ffffffffffffffff');
    expect(readInt64(buffer, 0)).toBe(-1);
  });

  test('values are read and written at the given position', () => {
    const buffer = Buffer.alloc(12, 0xaa);
    writeInt64(buffer, 1_700_000_000_000, 2);
    expect(buffer.toString('hex')).toBe('aaaa0000018bcfe56800aaaa');
    expect(readInt64(buffer, 2)).toBe(1_700_000_000_000);
  });

  test('a stored value outside ±2^53 is refused as BAD_RECORD, never rounded', () => {
    for (const value of [2n ** 53n, 2n ** 63n - 1n, -(2n ** 53n) - 1n, -(2n ** 63n)]) {
      const buffer = Buffer.alloc(8);
      buffer.writeBigInt64BE(value);
      let thrown: unknown = null;
      try {
        readInt64(buffer, 0);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CorruptRecordError);
      expect((thrown as CorruptRecordError).code).toBe('BAD_RECORD');
    }
  });
});
