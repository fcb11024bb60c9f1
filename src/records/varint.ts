import { CorruptRecordError } from '../core/errors.js';

/**
 * Zigzag varints as Kafka (and protobuf) write them: base-128 groups, low group first, high bit
 * = more follows. A varint is at most 5 bytes, a varlong at most 10; longer input is an error.
 *
 * Decoding is in place: a ByteCursor carries the position, so no per-value tuple is allocated.
 */
export class ByteCursor {
  position: number;
  end: number;

  constructor(
    readonly buffer: Buffer,
    position: number,
    end: number,
  ) {
    this.position = position;
    this.end = end;
  }
}

const VARINT_BYTES_MAX = 5;
const VARLONG_BYTES_MAX = 10;

export function readVarint(cursor: ByteCursor): number {
  const buffer = cursor.buffer;
  let position = cursor.position;
  let result = 0;
  let shift = 0;
  for (let count = 0; count < VARINT_BYTES_MAX; count++) {
    if (position >= cursor.end) throw truncated(cursor);
    const byte = buffer[position++]!;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      cursor.position = position;
      return (result >>> 1) ^ -(result & 1);
    }
    shift += 7;
  }
  throw new CorruptRecordError('VARINT_TOO_LONG', `varint at byte ${cursor.position} is longer than 5 bytes`);
}

/** A zigzag varlong as a number; values beyond ±2^53 are rejected as corrupt. */
export function readVarlong(cursor: ByteCursor): number {
  const buffer = cursor.buffer;
  let position = cursor.position;
  let unsigned = 0;
  let scale = 1;
  for (let count = 0; count < VARLONG_BYTES_MAX; count++) {
    if (position >= cursor.end) throw truncated(cursor);
    const byte = buffer[position++]!;
    unsigned += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (unsigned > Number.MAX_SAFE_INTEGER) {
        throw new CorruptRecordError('BAD_RECORD', `varlong at byte ${cursor.position} is outside ±2^53`);
      }
      cursor.position = position;
      // Zigzag: even → n/2, odd → -(n+1)/2. Arithmetic, since n may exceed 32 bits.
      return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
    }
    scale *= 128;
  }
  throw new CorruptRecordError('VARINT_TOO_LONG', `varlong at byte ${cursor.position} is longer than 10 bytes`);
}

function truncated(cursor: ByteCursor): CorruptRecordError {
  return new CorruptRecordError('TRUNCATED_RECORD', `varint at byte ${cursor.position} runs past the end of its record`);
}

export function varintBytes(value: number): number {
  let unsigned = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (unsigned >= 0x80) {
    unsigned >>>= 7;
    bytes++;
  }
  return bytes;
}

export function writeVarint(buffer: Buffer, value: number, position: number): number {
  let unsigned = ((value << 1) ^ (value >> 31)) >>> 0;
  while (unsigned >= 0x80) {
    buffer[position++] = (unsigned & 0x7f) | 0x80;
    unsigned >>>= 7;
  }
  buffer[position++] = unsigned;
  return position;
}

function zigzagLong(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function varlongBytes(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return varintBytes(value);
  let unsigned = zigzagLong(value);
  let bytes = 1;
  while (unsigned >= 128) {
    unsigned = Math.floor(unsigned / 128);
    bytes++;
  }
  return bytes;
}

export function writeVarlong(buffer: Buffer, value: number, position: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buffer, value, position);
  let unsigned = zigzagLong(value);
  while (unsigned >= 128) {
    buffer[position++] = (unsigned % 128) | 0x80;
    unsigned = Math.floor(unsigned / 128);
  }
  buffer[position++] = unsigned;
  return position;
}
