/**
 * Kafka's murmur2 (Utils.murmur2), the hash of its default partitioner: 32-bit arithmetic, seed
 * 0x9747b28c, 4-byte little-endian blocks, a fall-through tail. Returns a signed int32, exactly as
 * the Java client, so the same key lands on the same partition from any client.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let hash = SEED ^ length;
  const blocks = length >>> 2;
  for (let block = 0; block < blocks; block++) {
    const at = block * 4;
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    hash = Math.imul(hash, M);
    hash ^= k;
  }
  // The tail, as Java's fall-through switch: 3 bytes mix in byte 2, then byte 1, then byte 0.
  const tail = blocks * 4;
  const remaining = length & 3;
  if (remaining >= 3) hash ^= data[tail + 2]! << 16;
  if (remaining >= 2) hash ^= data[tail + 1]! << 8;
  if (remaining >= 1) {
    hash ^= data[tail]!;
    hash = Math.imul(hash, M);
  }
  hash ^= hash >>> 13;
  hash = Math.imul(hash, M);
  hash ^= hash >>> 15;
  return hash | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount;
}
