import { CorruptRecordError } from '../core/errors.js';

/**
 * Kafka's int64 fields (offsets, timestamps, producer ids) held as JavaScript numbers. Offsets and
 * millisecond timestamps stay far below 2^53, so a number is exact and avoids BigInt on the hot
 * path. A stored value outside the safe range is treated as corrupt input, never rounded.
 */
const TWO_POW_32 = 4_294_967_296;

export function readInt64(buffer: Buffer, position: number): number {
  const high = buffer.readInt32BE(position);
  const low = buffer.readUInt32BE(position + 4);
  if (high >= 0x200000 || high < -0x200000) {
    throw new CorruptRecordError('BAD_RECORD', `int64 at byte ${position} is outside ±2^53`);
  }
  return high * TWO_POW_32 + low;
}

export function writeInt64(buffer: Buffer, value: number, position: number): void {
  const high = Math.floor(value / TWO_POW_32);
  const low = value - high * TWO_POW_32;
  buffer.writeInt32BE(high, position);
  buffer.writeUInt32BE(low, position + 4);
}
