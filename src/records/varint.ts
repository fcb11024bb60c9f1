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

/**
 * A zigzag varlong as a number, exact over all safe integers. Zigzag maps v to 2m + b with
 * m = v (b = 0) for v ≥ 0 and m = -v - 1 (b = 1) for v < 0; m is accumulated directly, so the
 * unsigned form (up to 2^54) is never held in a double. Values beyond ±2^53 are rejected.
 */
export function readVarlong(cursor: ByteCursor): number {
  const buffer = cursor.buffer;
  let position = cursor.position;
  if (position >= cursor.end) throw truncated(cursor);
  const first = buffer[position++]!;
  const negative = (first & 1) === 1;
  let magnitude = (first & 0x7f) >>> 1;
  let more = (first & 0x80) !== 0;
  let scale = 64;
  for (let count = 1; more; count++) {
    if (count >= VARLONG_BYTES_MAX) {
      throw new CorruptRecordError('VARINT_TOO_LONG', `varlong at byte ${cursor.position} is longer than 10 bytes`);
    }
    if (position >= cursor.end) throw truncated(cursor);
    const byte = buffer[position++]!;
    magnitude += (byte & 0x7f) * scale;
    more = (byte & 0x80) !== 0;
    scale *= 128;
  }
  if (magnitude > Number.MAX_SAFE_INTEGER) {
    throw new CorruptRecordError('BAD_RECORD', `varlong at byte ${cursor.position} is outside ±2^53`);
  }
  cursor.position = position;
  return negative ? -magnitude - 1 : magnitude;
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

function checkSafe(value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new CorruptRecordError('BAD_RECORD', `varlong value ${value} is not a safe integer`);
  }
}

export function varlongBytes(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return varintBytes(value);
  checkSafe(value);
  // After the first byte (6 bits of m plus the sign bit), 7 bits of m per byte.
  let rest = Math.floor((value >= 0 ? value : -value - 1) / 64);
  let bytes = 1;
  while (rest > 0) {
    rest = Math.floor(rest / 128);
    bytes++;
  }
  return bytes;
}

export function writeVarlong(buffer: Buffer, value: number, position: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buffer, value, position);
  checkSafe(value);
  const magnitude = value >= 0 ? value : -value - 1;
  let rest = Math.floor(magnitude / 64);
  buffer[position++] = ((magnitude % 64) * 2 + (value >= 0 ? 0 : 1)) | (rest > 0 ? 0x80 : 0);
  while (rest > 0) {
    const group = rest % 128;
    rest = Math.floor(rest / 128);
    buffer[position++] = group | (rest > 0 ? 0x80 : 0);
  }
  return position;
}
