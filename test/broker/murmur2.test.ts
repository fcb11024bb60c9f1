import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { murmur2, partitionForKey, toPositive } from '../../src/broker/murmur2.js';

const require = createRequire(import.meta.url);
// KafkaJS's Java-compatible murmur2 is the independent oracle.
const kafkaJsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

describe('murmur2', () => {
  test("matches Kafka's own test vectors", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  test("equals KafkaJS's Java-compatible murmur2 on random keys of every tail length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        expect(murmur2(bytes)).toBe(kafkaJsMurmur2(Buffer.from(bytes)));
      }),
      { seed: 0x6d75726d, numRuns: 2000 },
    );
  });

  test('the same key always lands on the same partition, and "foobar" on 3 partitions lands on 0', () => {
    expect(partitionForKey(Buffer.from('foobar'), 3)).toBe(0);
    for (let index = 0; index < 100; index++) {
      const key = Buffer.from(`key-${index}`);
      expect(partitionForKey(key, 7)).toBe(partitionForKey(Buffer.from(`key-${index}`), 7));
    }
  });

  test('toPositive clears the sign bit rather than taking the absolute value', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});
