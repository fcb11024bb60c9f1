import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError, EngineError } from '../../src/core/errors.js';
import { codecId, codecName, compressRecords, decompressRecords } from '../../src/records/compression.js';
import type { CompressionCodec } from '../../src/records/record.js';
import { Prng } from '../helpers/prng.js';

function thrownBy(action: () => unknown): EngineError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected an EngineError, but nothing was thrown');
}

const prng = new Prng(0xc0dec);

describe('compression', () => {
  test.each([
    ['none', 0],
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ] as const)('codec %s has Kafka\'s id %d in both directions', (name: CompressionCodec, id: number) => {
    expect(codecId(name)).toBe(id);
    expect(codecName(id)).toBe(name);
  });

  test('codec ids 5 to 7 raise UNKNOWN_CODEC', () => {
    for (const id of [5, 6, 7]) {
      const error = thrownBy(() => codecName(id));
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect(error.code).toBe('UNKNOWN_CODEC');
    }
  });

  test.each([1, 3])('records compressed with codec %d decompress to the same bytes', (codec) => {
    const section = prng.compressibleBytes(150_000);
    const compressed = compressRecords(codec, section);
    expect(compressed.length).toBeLessThan(section.length);
    expect(decompressRecords(codec, compressed, section.length).equals(section)).toBe(true);
  });

  test('snappy and zstd cannot compress and raise UNSUPPORTED_CODEC', () => {
    for (const codec of [2, 4]) expect(thrownBy(() => compressRecords(codec, Buffer.from('x'))).code).toBe('UNSUPPORTED_CODEC');
  });

  test('snappy and zstd cannot decompress and raise UNSUPPORTED_CODEC as corrupt input', () => {
    for (const codec of [2, 4]) {
      const error = thrownBy(() => decompressRecords(codec, Buffer.from('x'), 1024));
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect(error.code).toBe('UNSUPPORTED_CODEC');
    }
  });

  test('gzip garbage raises DECOMPRESSION_FAILED', () => {
    const error = thrownBy(() => decompressRecords(1, prng.bytes(100), 1024));
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(error.code).toBe('DECOMPRESSION_FAILED');
  });

  test('a gzip stream over the limit raises DECOMPRESSED_TOO_LARGE', () => {
    const compressed = gzipSync(Buffer.alloc(1024 * 1024));
    const error = thrownBy(() => decompressRecords(1, compressed, 64 * 1024));
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(error.code).toBe('DECOMPRESSED_TOO_LARGE');
  });
});
