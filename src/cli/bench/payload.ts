import { randomFillSync } from 'node:crypto';
import { assert } from '../../core/assert.js';
import type { BenchPayload } from './bench-options.js';

/**
 * Record values for the bench, built once before timing starts so the generator allocates
 * nothing per record: a pool of PAYLOAD_POOL_SIZE distinct values that sends cycle through.
 *
 * - `text`: JSON-like text, compressible but not constant (what LZ4 sees in typical event data);
 * - `random`: random bytes, which LZ4 cannot shrink (its worst case).
 *
 * End-to-end runs stamp each value with its record's sequence number (the first 4 bytes, big
 * endian) so the consumer can look up when the record was scheduled.
 */
export const PAYLOAD_POOL_SIZE = 64;
export const SEQUENCE_BYTES = 4;

export function payloadValue(kind: BenchPayload, recordBytes: number, index: number): Buffer {
  const value = Buffer.alloc(recordBytes);
  if (kind === 'random') {
    randomFillSync(value);
    return value;
  }
  const text = `{"order":${index},"customer":"c-${index % 97}","total":${(index * 7) % 1000},"note":"`;
  const filler = 'lorem ipsum dolor sit amet ';
  let body = text;
  while (body.length < recordBytes) body += filler;
  value.write(body.slice(0, recordBytes), 'latin1');
  return value;
}

export function payloadPool(kind: BenchPayload, recordBytes: number): Buffer[] {
  return Array.from({ length: PAYLOAD_POOL_SIZE }, (_, index) => payloadValue(kind, recordBytes, index));
}

/**
 * Values for records `first .. first + count − 1` of an end-to-end run: one allocation for the
 * group (a slab filled from the pool), each value a view stamped with its sequence number.
 */
export function sequencedValues(pool: ReadonlyArray<Buffer>, recordBytes: number, first: number, count: number): Buffer[] {
  assert(recordBytes >= SEQUENCE_BYTES, `records of ${recordBytes} bytes cannot carry a sequence number`);
  const slab = Buffer.allocUnsafe(recordBytes * count);
  const values = new Array<Buffer>(count);
  for (let index = 0; index < count; index++) {
    const at = index * recordBytes;
    pool[(first + index) % pool.length]!.copy(slab, at);
    slab.writeUInt32BE((first + index) >>> 0, at);
    values[index] = slab.subarray(at, at + recordBytes);
  }
  return values;
}

/** The sequence number stamped by sequencedValues, or -1 for a value too short to hold one. */
export function sequenceOf(value: Uint8Array | null): number {
  if (value === null || value.length < SEQUENCE_BYTES) return -1;
  return ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
}
