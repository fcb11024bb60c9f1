import { crc32cFunction } from './native.js';

/** CRC-32C (Castagnoli) of buffer[start, end), as an unsigned 32-bit number. */
export function crc32c(buffer: Buffer, start: number, end: number): number {
  return crc32cFunction(buffer.subarray(start, end));
}
