import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError } from '../../src/core/errors.js';
import {
  ByteCursor,
  readVarint,
  readVarlong,
  varintBytes,
  varlongBytes,
  writeVarint,
  writeVarlong,
} from '../../src/records/varint.js';

/** The code of the CorruptRecordError that `action` throws; fails the test on anything else. */
function corruptCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptRecordError);
    return (error as CorruptRecordError).code;
  }
  throw new Error('expected a CorruptRecordError, but nothing was thrown');
}

function encodeVarint(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  return buffer.subarray(0, writeVarint(buffer, value, 0));
}

function encodeVarlong(value: number): Buffer {
  const buffer = Buffer.alloc(16);
  return buffer.subarray(0, writeVarlong(buffer, value, 0));
}

function decodeVarint(bytes: Buffer): number {
  return readVarint(new ByteCursor(bytes, 0, bytes.length));
}

function decodeVarlong(bytes: Buffer): number {
  return readVarlong(new ByteCursor(bytes, 0, bytes.length));
}

/** Reference zigzag varlong encoder on BigInt: exact for every int64, so it serves as an oracle. */
function referenceVarlong(value: number): Buffer {
  const big = BigInt(value);
  let unsigned = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
  const bytes: number[] = [];
  while (unsigned >= 0x80n) {
    bytes.push(Number(unsigned & 0x7fn) | 0x80);
    unsigned >>= 7n;
  }
  bytes.push(Number(unsigned));
  return Buffer.from(bytes);
}

// The published vectors from kafka-storage.md §1.5.
const VECTORS: ReadonlyArray<readonly [number, string]> = [
  [0, '00'],
  [-1, '01'],
  [1, '02'],
  [-2, '03'],
  [63, '7e'],
  [-64, '7f'],
  [64, '8001'],
  [300, 'd804'],
];

const TWO_POW_52 = 2 ** 52;

describe('varint', () => {
  test.each(VECTORS)('%d encodes as the bytes %s', (value, hex) => {
    expect(encodeVarint(value).toString('hex')).toBe(hex);
    expect(varintBytes(value)).toBe(hex.length / 2);
  });

  test.each(VECTORS)('the bytes for %d (%s) decode back to it', (value, hex) => {
    expect(decodeVarint(Buffer.from(hex, 'hex'))).toBe(value);
  });

  test('the int32 extremes take five bytes and round trip', () => {
    for (const value of [2 ** 31 - 1, -(2 ** 31)]) {
      const bytes = encodeVarint(value);
      expect(bytes.length).toBe(5);
      expect(varintBytes(value)).toBe(5);
      expect(decodeVarint(bytes)).toBe(value);
    }
  });

  test('decoding advances the cursor past exactly the varint and no further', () => {
    const buffer = Buffer.from('d804' + '7f' + 'ff', 'hex');
    const cursor = new ByteCursor(buffer, 0, buffer.length);
    expect(readVarint(cursor)).toBe(300);
    expect(cursor.position).toBe(2);
    expect(readVarint(cursor)).toBe(-64);
    expect(cursor.position).toBe(3);
  });

  test('a varint of six bytes raises VARINT_TOO_LONG', () => {
    expect(corruptCode(() => decodeVarint(Buffer.from('808080808000', 'hex')))).toBe('VARINT_TOO_LONG');
  });

  test('a varint running past the end of the buffer raises TRUNCATED_RECORD', () => {
    expect(corruptCode(() => decodeVarint(Buffer.from('80', 'hex')))).toBe('TRUNCATED_RECORD');
    expect(corruptCode(() => decodeVarint(Buffer.alloc(0)))).toBe('TRUNCATED_RECORD');
  });

  test('a varint running past the cursor end raises TRUNCATED_RECORD even when the buffer goes on', () => {
    const buffer = Buffer.from('d804', 'hex');
    expect(corruptCode(() => readVarint(new ByteCursor(buffer, 0, 1)))).toBe('TRUNCATED_RECORD');
  });

  test('random int32 values round trip and take varintBytes bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        const bytes = encodeVarint(value);
        expect(bytes.length).toBe(varintBytes(value));
        expect(bytes.equals(referenceVarlong(value))).toBe(true);
        expect(decodeVarint(bytes)).toBe(value);
      }),
      { seed: 0x5eed_0001, numRuns: 2000 },
    );
  });
});

describe('varlong', () => {
  test.each(VECTORS)('%d encodes as the same bytes %s as a varint', (value, hex) => {
    expect(encodeVarlong(value).toString('hex')).toBe(hex);
    expect(varlongBytes(value)).toBe(hex.length / 2);
    expect(decodeVarlong(Buffer.from(hex, 'hex'))).toBe(value);
  });

  const LARGE_VALUES = [
    2 ** 30,
    -(2 ** 30) - 1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 40,
    -(2 ** 40),
    1_700_000_000_000, // a timestamp delta from the epoch
    -1_700_000_000_000, // the same delta, backwards
    86_400_000 * 365 * 50, // fifty years in milliseconds
    TWO_POW_52 - 1,
    -TWO_POW_52,
  ];

  test.each(LARGE_VALUES)('%d round trips through the exact zigzag bytes', (value) => {
    const bytes = encodeVarlong(value);
    expect(bytes.toString('hex')).toBe(referenceVarlong(value).toString('hex'));
    expect(varlongBytes(value)).toBe(bytes.length);
    expect(decodeVarlong(bytes)).toBe(value);
  });

  test('a varlong of eleven bytes raises VARINT_TOO_LONG', () => {
    const bytes = Buffer.from('8080808080808080808000', 'hex');
    expect(bytes.length).toBe(11);
    expect(corruptCode(() => decodeVarlong(bytes))).toBe('VARINT_TOO_LONG');
  });

  test('a varlong running past the end of the buffer raises TRUNCATED_RECORD', () => {
    expect(corruptCode(() => decodeVarlong(Buffer.from('ffffff', 'hex')))).toBe('TRUNCATED_RECORD');
  });

  test('a ten-byte varlong beyond the safe-integer range is rejected, never rounded', () => {
    // zigzag(Long.MAX_VALUE) = 2^64 - 2: 0xfe, eight 0xff groups, then 0x01.
    const bytes = Buffer.from('feffffffffffffffff01', 'hex');
    expect(corruptCode(() => decodeVarlong(bytes))).toBe('BAD_RECORD');
  });

  test('random safe-integer longs round trip through the exact zigzag bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ min: -TWO_POW_52, max: TWO_POW_52 - 1 }),
          fc.constantFrom(-TWO_POW_52, TWO_POW_52 - 1, 2 ** 30, -(2 ** 30) - 1),
        ),
        (value) => {
          const bytes = encodeVarlong(value);
          expect(bytes.toString('hex')).toBe(referenceVarlong(value).toString('hex'));
          expect(bytes.length).toBe(varlongBytes(value));
          expect(decodeVarlong(bytes)).toBe(value);
        },
      ),
      { seed: 0x5eed_0002, numRuns: 2000 },
    );
  });

  test('a varlong round trips safe integers between 2^52 and 2^53 in magnitude', () => {
    for (const value of [TWO_POW_52, -TWO_POW_52 - 2, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      expect(decodeVarlong(referenceVarlong(value))).toBe(value);
    }
  });

  test('writeVarlong writes the exact zigzag bytes of large negative safe integers', () => {
    const value = -Number.MAX_SAFE_INTEGER;
    expect(referenceVarlong(value).toString('hex')).toBe('fdffffffffffff1f');
    expect(encodeVarlong(value).toString('hex')).toBe('fdffffffffffff1f');
  });
});
