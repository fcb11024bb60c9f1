/**
 * `__consumer_offsets` record codecs and coordinator partition selection. Byte vectors are
 * written out by hand from Kafka's OffsetCommitKey / OffsetCommitValue / GroupMetadataKey schemas
 * (kafka-storage.md §6.5); hash vectors are worked by hand, taken from kafka-storage.md §6.1, or
 * are well-known Java values, and a BigInt implementation of String.hashCode is the oracle for
 * the property test.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError, EngineError } from '../../src/core/errors.js';
import {
  coordinatorPartition,
  decodeGroupCoordinatorKey,
  decodeGroupCoordinatorRecord,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  javaStringHashCode,
  kafkaAbs,
  OFFSET_COMMIT_VALUE_VERSION,
} from '../../src/groups/offsets-records.js';

const RUNS = { seed: 0x0ff5_e75, numRuns: 300 } as const;

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/[\s|]/g, ''), 'hex');
}

function malformed(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect((error as CorruptRecordError).code).toBe('MALFORMED_GROUP_DATA');
    return;
  }
  throw new Error('expected MALFORMED_GROUP_DATA, but nothing was thrown');
}

function invalid(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('INVALID_GROUP_DATA');
    return;
  }
  throw new Error('expected INVALID_GROUP_DATA, but nothing was thrown');
}

// 1,700,000,000,000 ms = 0x0000018b_cfe56800; one day later = 0x0000018b_d50bc400.
const COMMIT_TS = '0000018bcfe56800';
const EXPIRE_TS = '0000018bd50bc400';
const OFFSET_42 = '000000000000002a';

describe('offset commit and group metadata keys', () => {
  test('an offset commit key is version 1, group, topic, int32 partition', () => {
    const bytes = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 3 });
    expect(bytes).toEqual(hex('0001 | 0001 67 | 0001 74 | 00000003'));
    expect(decodeGroupCoordinatorKey(bytes)).toEqual({
      kind: 'offset-commit',
      version: 1,
      group: 'g',
      topic: 't',
      partition: 3,
    });
  });

  test('key version 0 has the same layout and is an offset commit too', () => {
    expect(decodeGroupCoordinatorKey(hex('0000 0001 67 0001 74 00000003'))).toEqual({
      kind: 'offset-commit',
      version: 0,
      group: 'g',
      topic: 't',
      partition: 3,
    });
  });

  test('a group metadata key is version 2 and the group', () => {
    const bytes = encodeGroupMetadataKey('g');
    expect(bytes).toEqual(hex('0002 0001 67'));
    expect(decodeGroupCoordinatorKey(bytes)).toEqual({ kind: 'group-metadata', version: 2, group: 'g' });
  });

  test('key versions of newer record types are reported as unknown for the loader to skip', () => {
    for (const version of [3, 8, 9, 15, 16, -1]) {
      const bytes = Buffer.alloc(2);
      bytes.writeInt16BE(version);
      expect(decodeGroupCoordinatorKey(Buffer.concat([bytes, hex('0001 67')]))).toEqual({
        kind: 'unknown',
        version,
      });
    }
  });

  test('keys round-trip for any group, topic and partition', () => {
    const key = fc.record({
      group: fc.string({ unit: 'binary', maxLength: 40 }),
      topic: fc.string({ unit: 'binary', maxLength: 40 }),
      partition: fc.integer({ min: 0, max: 0x7fffffff }),
    });
    fc.assert(
      fc.property(key, (input) => {
        expect(decodeGroupCoordinatorKey(encodeOffsetCommitKey(input))).toEqual({
          kind: 'offset-commit',
          version: 1,
          ...input,
        });
        expect(decodeGroupCoordinatorKey(encodeGroupMetadataKey(input.group))).toEqual({
          kind: 'group-metadata',
          version: 2,
          group: input.group,
        });
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  test('truncated keys are malformed', () => {
    const bytes = encodeOffsetCommitKey({ group: 'group', topic: 'topic', partition: 1 });
    for (let length = 0; length < bytes.length; length++) {
      malformed(() => decodeGroupCoordinatorKey(bytes.subarray(0, length)));
    }
    malformed(() => decodeGroupCoordinatorKey(hex('0002 0005 6162')));
  });
});

describe('offset commit values', () => {
  const value = { offset: 42, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1_700_000_000_000 };

  test.each([
    [0, `0000 ${OFFSET_42} 0001 6d ${COMMIT_TS}`, -1, -1],
    [1, `0001 ${OFFSET_42} 0001 6d ${COMMIT_TS} ${EXPIRE_TS}`, -1, 1_700_086_400_000],
    [2, `0002 ${OFFSET_42} 0001 6d ${COMMIT_TS}`, -1, -1],
    [3, `0003 ${OFFSET_42} 00000007 0001 6d ${COMMIT_TS}`, 7, -1],
    [4, `0004 ${OFFSET_42} 00000007 02 6d ${COMMIT_TS} 00`, 7, -1],
  ])('version %i has the documented layout', (version, bytes, leaderEpoch, expireTimestamp) => {
    const input = { ...value, expireTimestamp: 1_700_086_400_000 };
    expect(encodeOffsetCommitValue(input, version)).toEqual(hex(bytes));
    expect(decodeOffsetCommitValue(hex(bytes))).toEqual({
      offset: 42,
      leaderEpoch,
      metadata: 'm',
      commitTimestamp: 1_700_000_000_000,
      expireTimestamp,
    });
  });

  test('brokers write version 3 by default', () => {
    expect(OFFSET_COMMIT_VALUE_VERSION).toBe(3);
  });

  test('version 4 skips tagged fields it does not know', () => {
    const topicIdTag = `01 | 00 10 | ${'ab'.repeat(16)}`;
    const bytes = hex(`0004 ${OFFSET_42} 00000007 02 6d ${COMMIT_TS} ${topicIdTag}`);
    expect(decodeOffsetCommitValue(bytes)).toMatchObject({ offset: 42, leaderEpoch: 7, metadata: 'm' });
  });

  test('a version above 4 is read with the version 4 layout (KIP-915)', () => {
    const bytes = hex(`0009 ${OFFSET_42} 00000007 02 6d ${COMMIT_TS} 00`);
    expect(decodeOffsetCommitValue(bytes)).toEqual({
      offset: 42,
      leaderEpoch: 7,
      metadata: 'm',
      commitTimestamp: 1_700_000_000_000,
      expireTimestamp: -1,
    });
  });

  test('a null value is a tombstone: the committed offset was deleted', () => {
    expect(decodeOffsetCommitValue(null)).toBeNull();
  });

  test('values round-trip in every version, with defaults for fields a version lacks', () => {
    const input = fc.record({
      offset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
      leaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
      metadata: fc.string({ unit: 'binary', maxLength: 50 }),
      commitTimestamp: fc.integer({ min: -1, max: 2 ** 45 }),
      expireTimestamp: fc.integer({ min: -1, max: 2 ** 45 }),
    });
    fc.assert(
      fc.property(input, fc.integer({ min: 0, max: 4 }), (offsetValue, version) => {
        expect(decodeOffsetCommitValue(encodeOffsetCommitValue(offsetValue, version))).toEqual({
          ...offsetValue,
          leaderEpoch: version >= 3 ? offsetValue.leaderEpoch : -1,
          expireTimestamp: version === 1 ? offsetValue.expireTimestamp : -1,
        });
      }),
      RUNS,
    );
  });

  test('leader epoch and expire timestamp default to -1 when not given', () => {
    const bytes = encodeOffsetCommitValue({ offset: 1, metadata: '', commitTimestamp: 2 }, 1);
    expect(decodeOffsetCommitValue(bytes)).toEqual({
      offset: 1,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 2,
      expireTimestamp: -1,
    });
    expect(encodeOffsetCommitValue({ offset: 1, metadata: '', commitTimestamp: 2 }, 3)).toEqual(
      hex('0003 0000000000000001 ffffffff 0000 0000000000000002'),
    );
  });

  test('every strict prefix of a value is malformed', () => {
    for (let version = 0; version <= 4; version++) {
      const bytes = encodeOffsetCommitValue({ ...value, metadata: 'meta' }, version);
      for (let length = 0; length < bytes.length; length++) {
        malformed(() => decodeOffsetCommitValue(bytes.subarray(0, length)));
      }
    }
  });

  test('an offset beyond 2^53 is malformed rather than rounded', () => {
    malformed(() => decodeOffsetCommitValue(hex(`0003 0020000000000000 ffffffff 0000 ${COMMIT_TS}`)));
  });

  test('a negative version, null metadata or a tagged field past the end is malformed', () => {
    malformed(() => decodeOffsetCommitValue(hex(`ffff ${OFFSET_42} 0000 ${COMMIT_TS}`)));
    malformed(() => decodeOffsetCommitValue(hex(`0003 ${OFFSET_42} 00000000 ffff ${COMMIT_TS}`)));
    malformed(() => decodeOffsetCommitValue(hex(`0004 ${OFFSET_42} 00000000 00 ${COMMIT_TS} 00`)));
    malformed(() => decodeOffsetCommitValue(hex(`0004 ${OFFSET_42} 00000000 01 ${COMMIT_TS} 01 00 05 aa`)));
    malformed(() => decodeOffsetCommitValue(hex(`0004 ${OFFSET_42} 00000000 01 ${COMMIT_TS} 7f`)));
  });

  test('random bytes either decode or raise MALFORMED_GROUP_DATA, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (raw) => {
        for (const decode of [decodeOffsetCommitValue, decodeGroupCoordinatorKey]) {
          try {
            decode(Buffer.from(raw));
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecordError);
          }
        }
      }),
      { seed: 0xbad5eed, numRuns: 500 },
    );
  });

  test('values that do not fit their fields cannot be written', () => {
    invalid(() => encodeOffsetCommitValue({ ...value, metadata: 'x'.repeat(32_768) }, 3));
    invalid(() => encodeOffsetCommitValue({ ...value, offset: 2 ** 53 }, 3));
    invalid(() => encodeOffsetCommitValue({ ...value, leaderEpoch: 2 ** 31 }, 3));
    invalid(() => encodeOffsetCommitValue(value, 5));
  });
});

describe('__consumer_offsets records', () => {
  test('an offset commit record decodes key and value', () => {
    const key = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 });
    const offsetValue = encodeOffsetCommitValue({ offset: 5, metadata: '', commitTimestamp: 9 }, 3);
    expect(decodeGroupCoordinatorRecord(key, offsetValue)).toEqual({
      kind: 'offset-commit',
      key: { group: 'g', topic: 't', partition: 0 },
      value: { offset: 5, leaderEpoch: -1, metadata: '', commitTimestamp: 9, expireTimestamp: -1 },
    });
  });

  test('an offset commit tombstone decodes to a null value', () => {
    const key = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 });
    expect(decodeGroupCoordinatorRecord(key, null)).toEqual({
      kind: 'offset-commit',
      key: { group: 'g', topic: 't', partition: 0 },
      value: null,
    });
  });

  test('a group metadata record passes its value through undecoded', () => {
    const rawValue = hex('0003 0008 636f6e73756d6572');
    expect(decodeGroupCoordinatorRecord(encodeGroupMetadataKey('g'), rawValue)).toEqual({
      kind: 'group-metadata',
      group: 'g',
      value: rawValue,
    });
    expect(decodeGroupCoordinatorRecord(encodeGroupMetadataKey('g'), null)).toEqual({
      kind: 'group-metadata',
      group: 'g',
      value: null,
    });
  });

  test('a record of an unknown type is reported, not decoded', () => {
    expect(decodeGroupCoordinatorRecord(hex('0003 0001 67'), hex('00'))).toEqual({
      kind: 'unknown',
      keyVersion: 3,
    });
  });

  test('a record without a key is malformed', () => {
    malformed(() => decodeGroupCoordinatorRecord(null, null));
  });
});

describe('coordinator partition', () => {
  /** Independent oracle: String.hashCode with BigInt arithmetic, reduced mod 2^32 at the end. */
  function hashCodeOracle(text: string): number {
    let hash = 0n;
    for (let index = 0; index < text.length; index++) {
      hash = (hash * 31n + BigInt(text.charCodeAt(index))) % 2n ** 32n;
    }
    return Number(BigInt.asIntN(32, hash));
  }

  test.each([
    ['', 0, 0], // no characters: hash 0
    ['a', 97, 47], // 97 mod 50
    ['ab', 3105, 5], // 31·97 + 98 = 3105
    ['😀', 1_772_899, 49], // UTF-16 units 0xd83d, 0xde00: 31·55357 + 56832
    ['my-group', -1_906_497_762, 12], // kafka-storage.md §6.1
    ['test-group', 627_841_412, 12], // kafka-storage.md §6.1
    ['polygenelubricants', -2_147_483_648, 0], // hashCode is Integer.MIN_VALUE; Utils.abs gives 0
  ])('group %j hashes to %i and lives in partition %i of 50', (group, hash, partition) => {
    expect(javaStringHashCode(group)).toBe(hash);
    expect(hashCodeOracle(group)).toBe(hash);
    expect(coordinatorPartition(group)).toBe(partition);
  });

  test('Utils.abs maps Integer.MIN_VALUE to 0 and is Math.abs elsewhere', () => {
    expect(kafkaAbs(-2_147_483_648)).toBe(0);
    expect(kafkaAbs(-2_147_483_647)).toBe(2_147_483_647);
    expect(kafkaAbs(5)).toBe(5);
  });

  test('the partition count is a parameter', () => {
    expect(coordinatorPartition('my-group', 10)).toBe(2);
    expect(coordinatorPartition('my-group', 1)).toBe(0);
    expect(() => coordinatorPartition('my-group', 0)).toThrow();
  });

  test('hashCode matches the BigInt oracle and the partition is always in range', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.integer({ min: 1, max: 200 }), (group, count) => {
        const hash = javaStringHashCode(group);
        expect(hash).toBe(hashCodeOracle(group));
        const partition = coordinatorPartition(group, count);
        expect(partition).toBe(kafkaAbs(hash) % count);
        expect(partition >= 0 && partition < count).toBe(true);
      }),
      RUNS,
    );
  });
});
