import { createRequire } from 'node:module';

type Lz4Napi = typeof import('lz4-napi');
const require = createRequire(import.meta.url);
// lz4-napi is loaded on first use, so a broker that never sees LZ4 does not pay for it at startup.
let lz4: Lz4Napi | null = null;
function lz4Napi(): Lz4Napi {
  lz4 ??= require('lz4-napi') as Lz4Napi;
  return lz4;
}
import { CorruptRecordError } from '../core/errors.js';
import { KiB } from '../core/units.js';
import { noteNativeOutput } from './native-backlog.js';
import { xxhash32 } from './xxhash32.js';

/**
 * Kafka's LZ4 framing (LZ4 frame format v1.5.1 as Kafka's Lz4BlockOutputStream writes it):
 *
 *   magic 04 22 4D 18 | FLG | BD | [content size, 8 bytes] | HC | blocks… | 00 00 00 00 | [content checksum]
 *
 * - FLG: version 01 (bits 6-7), block independence (bit 5) must be set, block checksum (bit 4),
 *   content size (bit 3), content checksum (bit 2); bits 0-1 reserved = 0. Kafka writes 0x60.
 * - BD: block max size code 4..7 in bits 4-6 (64 KiB .. 4 MiB); other bits reserved. Kafka: 0x40.
 * - HC: (xxh32(descriptor, seed 0) >> 8) & 0xFF over FLG..content size. Kafka: 0x82.
 * - Block: uint32 LE size; high bit set = stored raw; then data; then a 4-byte xxh32 when
 *   block checksums are on. A zero size ends the frame.
 *
 * Blocks are compressed and decompressed one at a time with lz4-napi's block functions; see
 * native-notes.md for why this beats its frame functions. lz4-napi's block API prefixes a
 * little-endian uncompressed size; we strip it on compress and supply the block maximum on
 * decompress, so a block can never expand past its declared maximum (no zip bombs).
 */
const MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x03;
const BD_RESERVED = 0x8f;
const RAW_BLOCK_FLAG = 0x80000000;

const KAFKA_FLG = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE;
const KAFKA_BD = 0x40;
const KAFKA_BLOCK_BYTES = 64 * KiB;
const FRAME_HEADER_BYTES = 7;
const BLOCK_SIZE_BYTES = 4;
const END_MARK_BYTES = 4;

const KAFKA_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, KAFKA_FLG, KAFKA_BD, 0]);
KAFKA_HEADER[6] = (xxhash32(KAFKA_HEADER, 4, 6) >>> 8) & 0xff;

/** Compress `input` into one Kafka LZ4 frame (64 KiB independent blocks, no checksums). */
export function lz4FrameCompress(input: Buffer): Buffer {
  const blockCount = Math.ceil(input.length / KAFKA_BLOCK_BYTES);
  const compressedBlocks: Array<Buffer | null> = new Array<Buffer | null>(blockCount);
  let total = FRAME_HEADER_BYTES + END_MARK_BYTES;
  for (let index = 0; index < blockCount; index++) {
    const start = index * KAFKA_BLOCK_BYTES;
    const block = input.subarray(start, Math.min(start + KAFKA_BLOCK_BYTES, input.length));
    const prefixed = lz4Napi().compressSync(block);
    // Counted at the input's size: the output's allocation is at least its length, at most about this.
    noteNativeOutput(block.length);
    // Keep the compressed form only when it is smaller, as Kafka does; else store the block raw.
    const compressed = prefixed.length - BLOCK_SIZE_BYTES < block.length ? prefixed : null;
    compressedBlocks[index] = compressed;
    total += BLOCK_SIZE_BYTES + (compressed === null ? block.length : compressed.length - BLOCK_SIZE_BYTES);
  }
  const output = Buffer.allocUnsafe(total);
  KAFKA_HEADER.copy(output, 0);
  let position = FRAME_HEADER_BYTES;
  for (let index = 0; index < blockCount; index++) {
    const start = index * KAFKA_BLOCK_BYTES;
    const rawLength = Math.min(KAFKA_BLOCK_BYTES, input.length - start);
    const block = compressedBlocks[index] ?? null;
    if (block === null) {
      output.writeUInt32LE((rawLength | RAW_BLOCK_FLAG) >>> 0, position);
      position = writeBytes(output, input, start, start + rawLength, position + BLOCK_SIZE_BYTES);
    } else {
      output.writeUInt32LE(block.length - BLOCK_SIZE_BYTES, position);
      position = writeBytes(output, block, BLOCK_SIZE_BYTES, block.length, position + BLOCK_SIZE_BYTES);
    }
  }
  output.writeUInt32LE(0, position);
  return output;
}

function writeBytes(target: Buffer, source: Buffer, start: number, end: number, position: number): number {
  source.copy(target, position, start, end);
  return position + (end - start);
}

interface FrameLayout {
  blockMaxBytes: number;
  blockChecksum: boolean;
  firstBlockPosition: number;
  /** Upper bound of the decompressed size: raw block sizes plus blockMax per compressed block. */
  decompressedBytesMax: number;
}

/** Decompress one LZ4 frame. Throws CorruptRecordError on any malformed input. */
export function lz4FrameDecompress(frame: Buffer, decompressedBytesLimit: number): Buffer {
  const layout = readFrameLayout(frame, decompressedBytesLimit);
  const output = Buffer.allocUnsafe(layout.decompressedBytesMax);
  let scratch: Buffer | null = null;
  let position = layout.firstBlockPosition;
  let written = 0;
  for (;;) {
    const word = frame.readUInt32LE(position);
    position += BLOCK_SIZE_BYTES;
    if (word === 0) break;
    const size = (word & ~RAW_BLOCK_FLAG) >>> 0;
    if ((word & RAW_BLOCK_FLAG) !== 0) {
      frame.copy(output, written, position, position + size);
      written += size;
    } else {
      if (scratch === null || scratch.length < size + BLOCK_SIZE_BYTES) {
        scratch = Buffer.allocUnsafe(Math.max(size, KAFKA_BLOCK_BYTES) + BLOCK_SIZE_BYTES);
      }
      scratch.writeUInt32LE(layout.blockMaxBytes, 0);
      frame.copy(scratch, BLOCK_SIZE_BYTES, position, position + size);
      let block: Buffer;
      try {
        block = lz4Napi().uncompressSync(scratch.subarray(0, size + BLOCK_SIZE_BYTES));
      } catch (error) {
        throw new CorruptRecordError('DECOMPRESSION_FAILED', `LZ4 block at byte ${position} does not decompress`, {
          cause: error,
        });
      }
      if (block.length > layout.blockMaxBytes) {
        throw new CorruptRecordError('DECOMPRESSED_TOO_LARGE', `LZ4 block at byte ${position} exceeds its block size`);
      }
      block.copy(output, written);
      written += block.length;
    }
    position += size + (layout.blockChecksum ? 4 : 0);
  }
  if (written > decompressedBytesLimit) {
    throw new CorruptRecordError(
      'DECOMPRESSED_TOO_LARGE',
      `LZ4 frame decompresses to ${written} bytes, over the ${decompressedBytesLimit}-byte limit`,
    );
  }
  return output.subarray(0, written);
}

function readFrameLayout(frame: Buffer, decompressedBytesLimit: number): FrameLayout {
  const fail = (message: string): CorruptRecordError =>
    new CorruptRecordError('DECOMPRESSION_FAILED', `LZ4 frame: ${message}`);
  if (frame.length < FRAME_HEADER_BYTES + END_MARK_BYTES) throw fail(`${frame.length} bytes is too short`);
  if (frame.readUInt32LE(0) !== MAGIC) throw fail('bad magic number');
  const flg = frame[4]!;
  const bd = frame[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw fail('unsupported version');
  if ((flg & FLG_RESERVED) !== 0 || (bd & BD_RESERVED) !== 0) throw fail('reserved bits set');
  if ((flg & FLG_BLOCK_INDEPENDENCE) === 0) throw fail('dependent block stream is unsupported');
  const blockSizeCode = (bd >>> 4) & 0x07;
  if (blockSizeCode < 4) throw fail(`block size code ${blockSizeCode} is invalid`);
  const blockMaxBytes = 1 << (2 * blockSizeCode + 8);
  const descriptorEnd = 6 + ((flg & FLG_CONTENT_SIZE) !== 0 ? 8 : 0);
  if (frame.length < descriptorEnd + 1 + END_MARK_BYTES) throw fail('truncated descriptor');
  const headerChecksum = (xxhash32(frame, 4, descriptorEnd) >>> 8) & 0xff;
  if (frame[descriptorEnd] !== headerChecksum) throw fail('header checksum mismatch');
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  const firstBlockPosition = descriptorEnd + 1;
  let position = firstBlockPosition;
  let decompressedBytesMax = 0;
  for (;;) {
    if (position + BLOCK_SIZE_BYTES > frame.length) throw fail('missing end mark');
    const word = frame.readUInt32LE(position);
    position += BLOCK_SIZE_BYTES;
    if (word === 0) break;
    const size = (word & ~RAW_BLOCK_FLAG) >>> 0;
    if (size > blockMaxBytes) throw fail(`block of ${size} bytes exceeds the ${blockMaxBytes}-byte maximum`);
    const blockEnd = position + size;
    if (blockEnd + (blockChecksum ? 4 : 0) > frame.length) throw fail('block runs past the end of the frame');
    if (blockChecksum && frame.readUInt32LE(blockEnd) !== xxhash32(frame, position, blockEnd)) {
      throw fail('block checksum mismatch');
    }
    decompressedBytesMax += (word & RAW_BLOCK_FLAG) !== 0 ? size : blockMaxBytes;
    if (decompressedBytesMax > decompressedBytesLimit + blockMaxBytes) {
      throw new CorruptRecordError(
        'DECOMPRESSED_TOO_LARGE',
        `LZ4 frame decompresses past the ${decompressedBytesLimit}-byte limit`,
      );
    }
    position = blockEnd + (blockChecksum ? 4 : 0);
  }
  const trailer = (flg & FLG_CONTENT_CHECKSUM) !== 0 ? 4 : 0;
  if (position + trailer !== frame.length) throw fail('bytes after the end of the frame');
  return { blockMaxBytes, blockChecksum, firstBlockPosition, decompressedBytesMax };
}
