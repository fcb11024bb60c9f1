import { compressFrameSync } from 'lz4-napi';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { xxhash32 } from '../../src/records/xxhash32.js';

function hashOf(text: string, seed = 0): number {
  const bytes = Buffer.from(text, 'latin1');
  return xxhash32(bytes, 0, bytes.length, seed);
}

describe('xxhash32', () => {
  test.each([
    ['', 0x02cc5d05],
    ['a', 0x550d7456],
    ['abc', 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0xe2293b2f],
  ])('the hash of %j with seed 0 is the published value', (text, expected) => {
    expect(hashOf(text)).toBe(expected);
  });

  test('a seed changes the hash', () => {
    expect(hashOf('abc', 1)).not.toBe(hashOf('abc', 0));
  });

  test('only bytes in [start, end) are hashed', () => {
    const buffer = Buffer.from('xxabcyy', 'latin1');
    expect(xxhash32(buffer, 2, 5)).toBe(hashOf('abc'));
  });

  test('block and content checksums written by an independent LZ4 encoder (lz4-napi) match', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), (array) => {
        const input = Buffer.from(array);
        const frame = compressFrameSync(input, { blockChecksums: true, contentChecksum: true });
        // FLG 0x74 without content size: a 7-byte header, one block (inputs stay under 64 KiB).
        expect(frame[4]).toBe(0x74);
        const word = frame.readUInt32LE(7);
        const size = (word & 0x7fffffff) >>> 0;
        const dataStart = 11;
        expect(frame.readUInt32LE(dataStart + size)).toBe(xxhash32(frame, dataStart, dataStart + size));
        expect(frame.readUInt32LE(frame.length - 4)).toBe(xxhash32(input, 0, input.length));
      }),
      { seed: 0x5eed_0501, numRuns: 200 },
    );
  });
});
