/**
 * xxHash32, used by the LZ4 frame format: the header checksum byte is bits 8..15 of xxh32 over
 * the frame descriptor, and optional block checksums are xxh32 of each block. Inputs here are
 * small (a 2- to 10-byte descriptor) or rare (block checksums are off in Kafka's frames).
 */
const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function round(accumulator: number, lane: number): number {
  accumulator = (accumulator + Math.imul(lane, PRIME2)) | 0;
  return Math.imul(rotl(accumulator, 13), PRIME1);
}

export function xxhash32(buffer: Uint8Array, start: number, end: number, seed = 0): number {
  const length = end - start;
  let position = start;
  let hash: number;
  if (length >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    const limit = end - 16;
    while (position <= limit) {
      v1 = round(v1, readU32LE(buffer, position));
      v2 = round(v2, readU32LE(buffer, position + 4));
      v3 = round(v3, readU32LE(buffer, position + 8));
      v4 = round(v4, readU32LE(buffer, position + 12));
      position += 16;
    }
    hash = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    hash = (seed + PRIME5) | 0;
  }
  hash = (hash + length) | 0;
  while (position + 4 <= end) {
    hash = (hash + Math.imul(readU32LE(buffer, position), PRIME3)) | 0;
    hash = Math.imul(rotl(hash, 17), PRIME4);
    position += 4;
  }
  while (position < end) {
    hash = (hash + Math.imul(buffer[position]!, PRIME5)) | 0;
    hash = Math.imul(rotl(hash, 11), PRIME1);
    position++;
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, PRIME2);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, PRIME3);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function readU32LE(buffer: Uint8Array, position: number): number {
  return (
    buffer[position]! |
    (buffer[position + 1]! << 8) |
    (buffer[position + 2]! << 16) |
    (buffer[position + 3]! << 24)
  );
}
