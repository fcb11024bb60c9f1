import { compressFrameSync, compressSync, decompressFrameSync } from 'lz4-napi';
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { CorruptRecordError } from '../../src/core/errors.js';
import { KiB, MiB } from '../../src/core/units.js';
import { lz4FrameCompress, lz4FrameDecompress } from '../../src/records/lz4-frame.js';
import { xxhash32 } from '../../src/records/xxhash32.js';
import { Prng } from '../helpers/prng.js';

const KAFKA_HEADER_HEX = '04224d18604082';
const HEADER_BYTES = 7;
const RAW_BLOCK_FLAG = 0x80000000;
const LIMIT_DEFAULT = 64 * MiB;

function corruptError(action: () => unknown): CorruptRecordError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptRecordError);
    return error as CorruptRecordError;
  }
  throw new Error('expected a CorruptRecordError, but nothing was thrown');
}

/** Expect `frame` to be refused as malformed, with a message matching `reason`. */
function expectMalformed(frame: Buffer, reason: RegExp): void {
  const error = corruptError(() => lz4FrameDecompress(frame, LIMIT_DEFAULT));
  expect(error.code).toBe('DECOMPRESSION_FAILED');
  expect(error.message).toMatch(reason);
}

/** Rewrite the header checksum (HC) so that it is correct for the descriptor as it now stands. */
function fixHeaderChecksum(frame: Buffer): Buffer {
  const contentSizeBytes = (frame[4]! & 0x08) !== 0 ? 8 : 0;
  const descriptorEnd = 6 + contentSizeBytes;
  frame[descriptorEnd] = (xxhash32(frame, 4, descriptorEnd) >>> 8) & 0xff;
  return frame;
}

interface BlockInfo {
  readonly raw: boolean;
  readonly size: number;
}

/** The blocks of a checksum-free frame with a 7-byte header, read from their size words. */
function blocksOf(frame: Buffer): BlockInfo[] {
  const blocks: BlockInfo[] = [];
  let position = HEADER_BYTES;
  for (;;) {
    const word = frame.readUInt32LE(position);
    position += 4;
    if (word === 0) break;
    const size = (word & ~RAW_BLOCK_FLAG) >>> 0;
    blocks.push({ raw: (word & RAW_BLOCK_FLAG) !== 0, size });
    position += size;
  }
  expect(position).toBe(frame.length);
  return blocks;
}

const prng = new Prng(0x1234_5678);
const BOUNDARY_SIZES = [0, 1, 65535, 65536, 65537, 200000];

describe('lz4FrameCompress and lz4FrameDecompress', () => {
  test.each(BOUNDARY_SIZES)('random data of %d bytes round trips', (size) => {
    const input = prng.bytes(size);
    const frame = lz4FrameCompress(input);
    expect(lz4FrameDecompress(frame, LIMIT_DEFAULT).equals(input)).toBe(true);
  });

  test.each(BOUNDARY_SIZES)('compressible data of %d bytes round trips', (size) => {
    const input = prng.compressibleBytes(size);
    const frame = lz4FrameCompress(input);
    expect(lz4FrameDecompress(frame, LIMIT_DEFAULT).equals(input)).toBe(true);
  });

  test('data of one repeated byte round trips and shrinks', () => {
    const input = Buffer.alloc(200000, 0x61);
    const frame = lz4FrameCompress(input);
    expect(frame.length).toBeLessThan(input.length / 50);
    expect(lz4FrameDecompress(frame, LIMIT_DEFAULT).equals(input)).toBe(true);
  });

  test('an empty input is the header and the end mark alone', () => {
    expect(lz4FrameCompress(Buffer.alloc(0)).toString('hex')).toBe(KAFKA_HEADER_HEX + '00000000');
    expect(lz4FrameDecompress(Buffer.from(KAFKA_HEADER_HEX + '00000000', 'hex'), 0).length).toBe(0);
  });

  test('random inputs of random sizes round trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140_000 }), fc.boolean(), (bytes, compressible) => {
        const input = compressible ? prng.compressibleBytes(bytes.length) : Buffer.from(bytes);
        expect(lz4FrameDecompress(lz4FrameCompress(input), input.length).equals(input)).toBe(true);
      }),
      { seed: 0x5eed_0201, numRuns: 40 },
    );
  });

  test('the frame header is exactly Kafka\'s: 04 22 4D 18 60 40 82', () => {
    for (const input of [Buffer.alloc(0), prng.bytes(10), prng.compressibleBytes(100_000)]) {
      expect(lz4FrameCompress(input).subarray(0, HEADER_BYTES).toString('hex')).toBe(KAFKA_HEADER_HEX);
    }
  });

  test('the header checksum byte 0x82 is bits 8..15 of xxHash32 over FLG and BD', () => {
    const header = Buffer.from(KAFKA_HEADER_HEX, 'hex');
    expect((xxhash32(header, 4, 6) >>> 8) & 0xff).toBe(0x82);
  });

  test('frames end with the four-byte zero end mark and carry no content checksum', () => {
    const frame = lz4FrameCompress(prng.compressibleBytes(70_000));
    expect(frame.subarray(frame.length - 4).toString('hex')).toBe('00000000');
    expect(blocksOf(frame).length).toBe(2);
  });

  test('incompressible data is stored in raw 64 KiB blocks with the high bit of the size set', () => {
    const input = prng.bytes(200000);
    const frame = lz4FrameCompress(input);
    const blocks = blocksOf(frame);
    expect(blocks).toEqual([
      { raw: true, size: 65536 },
      { raw: true, size: 65536 },
      { raw: true, size: 65536 },
      { raw: true, size: 200000 - 3 * 65536 },
    ]);
    expect(frame.readUInt32LE(HEADER_BYTES)).toBe((RAW_BLOCK_FLAG | 65536) >>> 0);
    // A raw block holds the input bytes as they are.
    expect(frame.subarray(HEADER_BYTES + 4, HEADER_BYTES + 4 + 65536).equals(input.subarray(0, 65536))).toBe(true);
  });

  test('compressible data is stored in compressed blocks of at most 64 KiB of input each', () => {
    const frame = lz4FrameCompress(prng.compressibleBytes(200000));
    const blocks = blocksOf(frame);
    expect(blocks.length).toBe(4);
    for (const block of blocks) {
      expect(block.raw).toBe(false);
      expect(block.size).toBeLessThan(64 * KiB);
    }
  });

  test('an independent decoder (lz4-napi decompressFrameSync) reads our frames', () => {
    for (const input of [Buffer.alloc(0), prng.bytes(65537), prng.compressibleBytes(200000)]) {
      expect(decompressFrameSync(lz4FrameCompress(input)).equals(input)).toBe(true);
    }
  });

  test.each(BOUNDARY_SIZES)('frames of %d bytes written by lz4-napi compressFrameSync decode', (size) => {
    for (const input of [prng.bytes(size), prng.compressibleBytes(size)]) {
      expect(lz4FrameDecompress(compressFrameSync(input), LIMIT_DEFAULT).equals(input)).toBe(true);
    }
  });

  test.each(BOUNDARY_SIZES)(
    'frames of %d bytes written by lz4-napi with block and content checksums decode',
    (size) => {
      const options = { blockChecksums: true, contentChecksum: true };
      for (const input of [prng.bytes(size), prng.compressibleBytes(size)]) {
        const frame = compressFrameSync(input, options);
        expect(frame[4]! & 0x14).toBe(0x14);
        expect(lz4FrameDecompress(frame, LIMIT_DEFAULT).equals(input)).toBe(true);
      }
    },
  );

  test('a frame with a content-size field in its descriptor decodes', () => {
    const input = prng.compressibleBytes(5000);
    const kafka = lz4FrameCompress(input);
    const contentSize = Buffer.alloc(8);
    contentSize.writeBigUInt64LE(BigInt(input.length));
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60 | 0x08, 0x40]),
      contentSize,
      Buffer.from([0]),
      kafka.subarray(HEADER_BYTES),
    ]);
    fixHeaderChecksum(frame);
    expect(lz4FrameDecompress(frame, LIMIT_DEFAULT).equals(input)).toBe(true);
  });
});

describe('lz4FrameDecompress on malformed frames', () => {
  const validFrame = (): Buffer => lz4FrameCompress(prng.compressibleBytes(100_000));

  test('a frame shorter than a header and an end mark is refused', () => {
    expectMalformed(Buffer.from(KAFKA_HEADER_HEX + '000000', 'hex'), /too short/);
  });

  test('a bad magic number is refused', () => {
    const frame = validFrame();
    frame[0] = 0x05;
    expectMalformed(frame, /magic/);
  });

  test('a version other than 01 is refused', () => {
    const frame = validFrame();
    frame[4] = 0xa0; // version 10
    expectMalformed(fixHeaderChecksum(frame), /version/);
  });

  test('reserved FLG bits are refused', () => {
    for (const bit of [0x01, 0x02]) {
      const frame = validFrame();
      frame[4] = frame[4]! | bit;
      expectMalformed(fixHeaderChecksum(frame), /reserved bits/);
    }
  });

  test('reserved BD bits are refused', () => {
    for (const bit of [0x80, 0x08, 0x01]) {
      const frame = validFrame();
      frame[5] = frame[5]! | bit;
      expectMalformed(fixHeaderChecksum(frame), /reserved bits/);
    }
  });

  test('a block size code below 4 is refused', () => {
    const frame = validFrame();
    frame[5] = 0x30;
    expectMalformed(fixHeaderChecksum(frame), /block size code 3/);
  });

  test('a frame with the block-independence flag cleared (linked blocks) is refused', () => {
    const frame = validFrame();
    frame[4] = 0x40; // version 01 without bit 5
    // The header checksum is made right for the new FLG, so that the flag check is what fails.
    expectMalformed(fixHeaderChecksum(frame), /dependent block stream is unsupported/);
  });

  test('a bad header checksum is refused', () => {
    const frame = validFrame();
    frame[6] = frame[6]! ^ 0xff;
    expectMalformed(frame, /header checksum/);
  });

  test('a block larger than the declared block maximum is refused', () => {
    const size = 64 * KiB + 1;
    const word = Buffer.alloc(4);
    word.writeUInt32LE((RAW_BLOCK_FLAG | size) >>> 0);
    const frame = Buffer.concat([Buffer.from(KAFKA_HEADER_HEX, 'hex'), word, Buffer.alloc(size), Buffer.alloc(4)]);
    expectMalformed(frame, /exceeds the 65536-byte maximum/);
  });

  test('a block cut short at every length is refused', () => {
    const frame = lz4FrameCompress(prng.compressibleBytes(3000));
    // Cut inside the block's data, then append an end mark: the size word now promises more
    // bytes than the frame holds (the appended zeros cannot make up the difference).
    const blockEnd = frame.length - 4;
    for (let end = HEADER_BYTES + 5; end < blockEnd - 4; end += 97) {
      expectMalformed(Buffer.concat([frame.subarray(0, end), Buffer.alloc(4)]), /runs past the end of the frame/);
    }
  });

  test('a frame truncated at any byte is refused', () => {
    const frame = lz4FrameCompress(prng.compressibleBytes(3000));
    for (let end = 0; end < frame.length; end += 7) {
      const error = corruptError(() => lz4FrameDecompress(frame.subarray(0, end), LIMIT_DEFAULT));
      expect(error.code).toBe('DECOMPRESSION_FAILED');
    }
  });

  test('a frame without its end mark is refused', () => {
    const frame = validFrame();
    expectMalformed(frame.subarray(0, frame.length - 4), /missing end mark/);
  });

  test('bytes after the end mark are refused', () => {
    expectMalformed(Buffer.concat([validFrame(), Buffer.from([0])]), /bytes after the end of the frame/);
    expectMalformed(Buffer.concat([validFrame(), Buffer.from(KAFKA_HEADER_HEX, 'hex')]), /after the end/);
  });

  test('a block whose checksum does not match is refused', () => {
    const frame = compressFrameSync(prng.compressibleBytes(1000), { blockChecksums: true });
    // One block: header (7), size word (4), data, block checksum (4), end mark (4).
    const checksumPosition = frame.length - 8;
    frame[checksumPosition] = frame[checksumPosition]! ^ 0x01;
    expectMalformed(frame, /block checksum mismatch/);
  });

  test('a compressed block holding garbage is refused as DECOMPRESSION_FAILED', () => {
    const frame = lz4FrameCompress(prng.compressibleBytes(3000));
    // Overwrite the block with a literal run that claims more bytes than the block holds.
    const dataStart = HEADER_BYTES + 4;
    frame.fill(0xff, dataStart, frame.length - 4);
    const error = corruptError(() => lz4FrameDecompress(frame, LIMIT_DEFAULT));
    expect(error.code).toBe('DECOMPRESSION_FAILED');
  });

  test('a compressed block that expands past the block maximum is refused', () => {
    // A 256 KiB block compressed on its own, declared in a frame whose maximum is 64 KiB.
    const block = compressSync(Buffer.alloc(256 * KiB, 0x61)).subarray(4);
    const word = Buffer.alloc(4);
    word.writeUInt32LE(block.length);
    const frame = Buffer.concat([Buffer.from(KAFKA_HEADER_HEX, 'hex'), word, block, Buffer.alloc(4)]);
    // The block is decompressed into at most the declared maximum, so it fails instead of growing.
    const error = corruptError(() => lz4FrameDecompress(frame, LIMIT_DEFAULT));
    expect(error.code).toBe('DECOMPRESSION_FAILED');
    expect(error.message).toMatch(/does not decompress/);
  });
});

describe('lz4FrameDecompress size limit', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('a 10 MB frame with a 1 MB limit raises DECOMPRESSED_TOO_LARGE before allocating its output', () => {
    const input = Buffer.alloc(10 * 1000 * 1000, 0x62);
    const frame = lz4FrameCompress(input);
    expect(frame.length).toBeLessThan(100_000);
    const limit = 1000 * 1000;
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const alloc = vi.spyOn(Buffer, 'alloc');
    const error = corruptError(() => lz4FrameDecompress(frame, limit));
    expect(error.code).toBe('DECOMPRESSED_TOO_LARGE');
    const sizes = [...allocUnsafe.mock.calls, ...alloc.mock.calls].map((call) => call[0]);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(limit);
  });

  test('a frame that decompresses to exactly the limit is accepted', () => {
    const input = prng.compressibleBytes(100_000);
    expect(lz4FrameDecompress(lz4FrameCompress(input), 100_000).equals(input)).toBe(true);
  });

  test('a frame that decompresses to one byte over the limit raises DECOMPRESSED_TOO_LARGE', () => {
    for (const input of [prng.compressibleBytes(100_000), prng.bytes(100_000)]) {
      const error = corruptError(() => lz4FrameDecompress(lz4FrameCompress(input), 99_999));
      expect(error.code).toBe('DECOMPRESSED_TOO_LARGE');
    }
  });
});
