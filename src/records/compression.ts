import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptRecordError, EngineError } from '../core/errors.js';
import { CODEC_GZIP, CODEC_LZ4, CODEC_NONE, CODEC_SNAPPY, CODEC_ZSTD } from './batch-layout.js';
import { lz4FrameCompress, lz4FrameDecompress } from './lz4-frame.js';
import { CODEC_NAMES, type CompressionCodec } from './record.js';

/**
 * Codec ids (attribute bits 0-2) to compress/decompress functions for the records section.
 * LZ4 uses Kafka's frame (lz4-frame.ts); gzip is a plain gzip stream via node:zlib. snappy and
 * zstd batches are stored and served as they were sent (their CRC is checked), but their records
 * cannot be decoded here, so embedded consumers and compaction refuse them.
 */
export function codecId(codec: CompressionCodec): number {
  switch (codec) {
    case 'none':
      return CODEC_NONE;
    case 'gzip':
      return CODEC_GZIP;
    case 'snappy':
      return CODEC_SNAPPY;
    case 'lz4':
      return CODEC_LZ4;
    case 'zstd':
      return CODEC_ZSTD;
  }
}

export function codecName(id: number): CompressionCodec {
  const name = CODEC_NAMES[id];
  if (name === undefined) {
    throw new CorruptRecordError('UNKNOWN_CODEC', `compression codec id ${id} is unknown (known: 0-4)`);
  }
  return name;
}

export function compressRecords(codec: number, section: Buffer): Buffer {
  switch (codec) {
    case CODEC_LZ4:
      return lz4FrameCompress(section);
    case CODEC_GZIP:
      return gzipSync(section);
    default:
      throw new EngineError('UNSUPPORTED_CODEC', `Brook cannot compress with ${codecName(codec)}; use none, lz4 or gzip`);
  }
}

export function decompressRecords(codec: number, compressed: Buffer, decompressedBytesLimit: number): Buffer {
  switch (codec) {
    case CODEC_LZ4:
      return lz4FrameDecompress(compressed, decompressedBytesLimit);
    case CODEC_GZIP:
      try {
        return gunzipSync(compressed, { maxOutputLength: decompressedBytesLimit });
      } catch (error) {
        const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        throw new CorruptRecordError(
          tooLarge ? 'DECOMPRESSED_TOO_LARGE' : 'DECOMPRESSION_FAILED',
          tooLarge ? `gzip records exceed the ${decompressedBytesLimit}-byte limit` : 'gzip records do not decompress',
          { cause: error },
        );
      }
    default:
      throw new CorruptRecordError(
        'UNSUPPORTED_CODEC',
        `Brook cannot decompress ${codecName(codec)} records; produce with none, lz4 or gzip`,
      );
  }
}
