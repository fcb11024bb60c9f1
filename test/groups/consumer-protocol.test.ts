/**
 * The consumer-protocol codecs, checked three ways: byte vectors written out by hand from the
 * schema (ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json), KafkaJS 2.2.4 as
 * an independent implementation (its consumer/assignerProtocol.js, which writes version 0 and
 * reads only the version-0 fields), and properties (round trips, truncation, random bytes).
 *
 * Where KafkaJS and Kafka differ, and how the tests handle it:
 * - KafkaJS's MemberMetadata knows only topics and userData; whatever version it is given, it
 *   writes the v0 layout. Its decoder reads the v0 fields of any version and ignores the rest,
 *   so it is an oracle for our v1-v3 bytes' common prefix only.
 * - KafkaJS defaults userData to an empty buffer (length 0); Kafka's Java client writes null
 *   (length -1) when an assignor has no user data. Brook defaults to null, like Java; tests that
 *   compare bytes pass userData explicitly.
 * - KafkaJS's MemberAssignment takes { topic: partitions } and orders topics by Object.keys, so
 *   integer-like topic names would move to the front. Generated topic names start with a letter.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError, EngineError } from '../../src/core/errors.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from '../../src/groups/consumer-protocol.js';

// ---- KafkaJS internals, typed as used here. ----

interface KafkaJsMemberMetadata {
  encode(input: { version: number; topics: string[]; userData?: Buffer | null }): Buffer;
  decode(buffer: Buffer): { version: number; topics: string[]; userData: Buffer | null };
}

interface KafkaJsMemberAssignment {
  encode(input: {
    version: number;
    assignment: Record<string, number[]>;
    userData?: Buffer | null;
  }): Buffer;
  decode(buffer: Buffer): {
    version: number;
    assignment: Record<string, number[]>;
    userData: Buffer | null;
  } | null;
}

const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs/src/consumer/assignerProtocol') as {
  MemberMetadata: KafkaJsMemberMetadata;
  MemberAssignment: KafkaJsMemberAssignment;
};

const RUNS = { seed: 0x6c0f_e3a1, numRuns: 200 } as const;

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/[\s|]/g, ''), 'hex');
}

function malformed(action: () => unknown): CorruptRecordError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect((error as CorruptRecordError).code).toBe('MALFORMED_GROUP_DATA');
    return error as CorruptRecordError;
  }
  throw new Error('expected MALFORMED_GROUP_DATA, but nothing was thrown');
}

// ---- Arbitraries. ----

const topicName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9._-]{0,20}$/);
const anyText = fc.string({ unit: 'binary', maxLength: 30 });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const userData = fc.option(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), {
  nil: null,
});
const topicPartitions: fc.Arbitrary<TopicPartitions[]> = fc.array(
  fc.record({ topic: anyText, partitions: fc.array(int32, { maxLength: 8 }) }),
  { maxLength: 5 },
);
/** Distinct, non-integer-like topics: the shape KafkaJS's { topic: partitions } object keeps. */
const kafkaJsAssignment = fc
  .uniqueArray(topicName, { maxLength: 5 })
  .chain((topics) =>
    fc.tuple(
      ...topics.map((topic) =>
        fc.array(fc.nat({ max: 0x7fffffff }), { maxLength: 8 }).map((partitions) => ({ topic, partitions })),
      ),
    ),
  );

const subscriptionInput = fc.record({
  version: fc.integer({ min: 0, max: 3 }),
  topics: fc.array(anyText, { maxLength: 6 }),
  userData,
  ownedPartitions: topicPartitions,
  generationId: int32,
  rackId: fc.option(anyText, { nil: null }),
});

describe('consumer protocol subscription', () => {
  test('a version 1 subscription that stops after user data (as @platformatic/kafka 1.35 writes it) owns nothing', () => {
    const v0 = encodeSubscription({ version: 0, topics: ['orders'], userData: null });
    v0.writeInt16BE(1, 0);
    const decoded = decodeSubscription(v0);
    expect(decoded).toMatchObject({ version: 1, topics: ['orders'], ownedPartitions: [], generationId: -1, rackId: null });
  });

  test('a version 0 subscription is int16 version, topic array, nullable bytes', () => {
    const bytes = encodeSubscription({ version: 0, topics: ['t0', 't1'] });
    expect(bytes).toEqual(hex('0000 | 00000002 | 0002 7430 | 0002 7431 | ffffffff'));
  });

  test('a version 3 subscription appends owned partitions, generation and rack', () => {
    const bytes = encodeSubscription({
      version: 3,
      topics: ['a'],
      userData: Buffer.from([1, 2]),
      ownedPartitions: [{ topic: 'a', partitions: [0, 2] }],
      generationId: 5,
      rackId: 'r1',
    });
    const expected = hex(
      '0003 | 00000001 0001 61 | 00000002 0102 | 00000001 0001 61 00000002 00000000 00000002 |' +
        ' 00000005 | 0002 7231',
    );
    expect(bytes).toEqual(expected);
    expect(decodeSubscription(expected)).toEqual({
      version: 3,
      topics: ['a'],
      userData: Buffer.from([1, 2]),
      ownedPartitions: [{ topic: 'a', partitions: [0, 2] }],
      generationId: 5,
      rackId: 'r1',
    });
  });

  test('fields newer than the encoded version are dropped and decode to their defaults', () => {
    const input = {
      topics: ['a'],
      userData: null,
      ownedPartitions: [{ topic: 'a', partitions: [1] }],
      generationId: 9,
      rackId: 'rack',
    };
    const defaults = { ownedPartitions: [], generationId: -1, rackId: null };
    expect(decodeSubscription(encodeSubscription({ ...input, version: 0 }))).toEqual({
      ...input,
      ...defaults,
      version: 0,
    });
    expect(decodeSubscription(encodeSubscription({ ...input, version: 1 }))).toEqual({
      ...input,
      version: 1,
      generationId: -1,
      rackId: null,
    });
    expect(decodeSubscription(encodeSubscription({ ...input, version: 2 }))).toEqual({
      ...input,
      version: 2,
      rackId: null,
    });
  });

  test('a version above 3 is read with the version 3 fields and trailing bytes are ignored', () => {
    const known = encodeSubscription({ version: 3, topics: ['t'], generationId: 4, rackId: 'r' });
    const future = Buffer.concat([known, hex('00000007 ffff 0102')]);
    future.writeInt16BE(7, 0);
    expect(decodeSubscription(future)).toEqual({
      version: 7,
      topics: ['t'],
      userData: null,
      ownedPartitions: [],
      generationId: 4,
      rackId: 'r',
    });
  });

  test('every subscription round-trips through encode and decode', () => {
    fc.assert(
      fc.property(subscriptionInput, (input) => {
        const decoded = decodeSubscription(encodeSubscription(input));
        expect(decoded.version).toBe(input.version);
        expect(decoded.topics).toEqual(input.topics);
        expect(decoded.userData).toEqual(input.userData);
        expect(decoded.ownedPartitions).toEqual(input.version >= 1 ? input.ownedPartitions : []);
        expect(decoded.generationId).toBe(input.version >= 2 ? input.generationId : -1);
        expect(decoded.rackId).toBe(input.version >= 3 ? input.rackId : null);
      }),
      RUNS,
    );
  });

  test('version 0 bytes equal the bytes KafkaJS MemberMetadata writes', () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 6 }), userData, (topics, data) => {
        const ours = encodeSubscription({ version: 0, topics, userData: data });
        const theirs = kafkajs.MemberMetadata.encode({ version: 0, topics, userData: data });
        expect(ours).toEqual(theirs);
        expect(decodeSubscription(theirs)).toEqual({
          version: 0,
          topics,
          userData: data,
          ownedPartitions: [],
          generationId: -1,
          rackId: null,
        });
      }),
      RUNS,
    );
  });

  test('KafkaJS reads the version 0 fields of our version 0 to 3 subscriptions', () => {
    fc.assert(
      fc.property(subscriptionInput, (input) => {
        const decoded = kafkajs.MemberMetadata.decode(encodeSubscription(input));
        expect(decoded).toEqual({ version: input.version, topics: input.topics, userData: input.userData });
      }),
      RUNS,
    );
  });

  test('KafkaJS default metadata has empty, not null, user data', () => {
    const theirs = kafkajs.MemberMetadata.encode({ version: 0, topics: ['t'] });
    expect(decodeSubscription(theirs).userData).toEqual(Buffer.alloc(0));
    expect(theirs).toEqual(encodeSubscription({ version: 0, topics: ['t'], userData: Buffer.alloc(0) }));
  });
});

describe('consumer protocol assignment', () => {
  test('a version 0 assignment is int16 version, topic partitions, nullable bytes', () => {
    const bytes = encodeAssignment({
      version: 0,
      assignedPartitions: [{ topic: 't0', partitions: [0, 1] }],
    });
    expect(bytes).toEqual(hex('0000 | 00000001 0002 7430 00000002 00000000 00000001 | ffffffff'));
  });

  test('versions 1 to 3 have the version 0 layout', () => {
    const base = encodeAssignment({ version: 0, assignedPartitions: [{ topic: 'x', partitions: [3] }] });
    for (const version of [1, 2, 3]) {
      const bytes = encodeAssignment({ version, assignedPartitions: [{ topic: 'x', partitions: [3] }] });
      expect(bytes.subarray(2)).toEqual(base.subarray(2));
      expect(bytes.readInt16BE(0)).toBe(version);
    }
  });

  test('every assignment round-trips through encode and decode', () => {
    const input = fc.record({
      version: fc.integer({ min: 0, max: 3 }),
      assignedPartitions: topicPartitions,
      userData,
    });
    fc.assert(
      fc.property(input, (assignment) => {
        expect(decodeAssignment(encodeAssignment(assignment))).toEqual(assignment);
      }),
      RUNS,
    );
  });

  test('our bytes equal KafkaJS MemberAssignment bytes, and each side decodes the other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), kafkaJsAssignment, userData, (version, entries, data) => {
        const assignment = Object.fromEntries(entries.map(({ topic, partitions }) => [topic, partitions]));
        const theirs = kafkajs.MemberAssignment.encode({ version, assignment, userData: data });
        const ours = encodeAssignment({ version, assignedPartitions: entries, userData: data });
        expect(ours).toEqual(theirs);
        expect(decodeAssignment(theirs)).toEqual({ version, assignedPartitions: entries, userData: data });
        expect(kafkajs.MemberAssignment.decode(ours)).toEqual({ version, assignment, userData: data });
      }),
      RUNS,
    );
  });

  test('a version above 3 is read with the known fields and trailing bytes are ignored', () => {
    const known = encodeAssignment({ version: 3, assignedPartitions: [], userData: Buffer.from('u') });
    const future = Buffer.concat([known, hex('deadbeef')]);
    future.writeInt16BE(12, 0);
    expect(decodeAssignment(future)).toEqual({ version: 12, assignedPartitions: [], userData: Buffer.from('u') });
  });

  test('empty assignment bytes are malformed, where KafkaJS reads them as null', () => {
    malformed(() => decodeAssignment(Buffer.alloc(0)));
    expect(kafkajs.MemberAssignment.decode(Buffer.alloc(0))).toBeNull();
  });
});

describe('consumer protocol decoding never trusts a length', () => {
  test('every strict prefix of a valid encoding is malformed, except a subscription cut after a whole older version', () => {
    fc.assert(
      fc.property(subscriptionInput, fc.boolean(), (input, asAssignment) => {
        const bytes = asAssignment
          ? encodeAssignment({ version: input.version, assignedPartitions: input.ownedPartitions })
          : encodeSubscription(input);
        const decode = asAssignment ? decodeAssignment : decodeSubscription;
        // A subscription that stops where an older version ends reads its newer fields as defaults.
        const olderEnds = new Set(
          asAssignment ? [] : [0, 1, 2].filter((v) => v < input.version).map((v) => encodeSubscription({ ...input, version: v }).length),
        );
        for (let length = 0; length < bytes.length; length++) {
          if (olderEnds.has(length)) expect(decodeSubscription(bytes.subarray(0, length)).topics).toEqual(input.topics);
          else malformed(() => decode(bytes.subarray(0, length)));
        }
      }),
      { seed: 0x7a11, numRuns: 60 },
    );
  });

  test('a topic count of 2^31 - 1 with a few bytes left fails fast and names the count', () => {
    const error = malformed(() => decodeSubscription(hex('0000 7fffffff 0001 61 ffffffff')));
    expect(error.message).toContain('2147483647');
    expect(error.message).toContain('topics');
  });

  test('a partition count larger than the remaining bytes is malformed', () => {
    malformed(() => decodeAssignment(hex('0000 00000001 0001 61 00000003 00000000 00000001 ffffffff')));
  });

  test('negative lengths and counts other than a nullable -1 are malformed', () => {
    malformed(() => decodeSubscription(hex('0000 ffffffff ffffffff'))); // topics count -1
    malformed(() => decodeSubscription(hex('0000 00000001 ffff ffffffff'))); // null topic name
    malformed(() => decodeSubscription(hex('0000 00000001 fffe ffffffff'))); // topic length -2
    malformed(() => decodeSubscription(hex('0000 00000000 fffffffe'))); // userData length -2
    malformed(() => decodeAssignment(hex('0000 00000001 0001 61 fffffffe ffffffff')));
  });

  test('a negative version is malformed', () => {
    malformed(() => decodeSubscription(hex('ffff 00000000 ffffffff')));
    malformed(() => decodeAssignment(hex('8000 00000000 ffffffff')));
  });

  test('random bytes either decode or raise MALFORMED_GROUP_DATA, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = Buffer.from(raw);
        for (const decode of [decodeSubscription, decodeAssignment]) {
          try {
            decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptRecordError);
          }
        }
      }),
      { seed: 0xfeed, numRuns: 500 },
    );
  });
});

describe('consumer protocol encoding refuses values that do not fit', () => {
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

  test('versions outside 0 to 3 cannot be written', () => {
    invalid(() => encodeSubscription({ version: 4, topics: [] }));
    invalid(() => encodeAssignment({ version: -1, assignedPartitions: [] }));
  });

  test('a topic of more than 32767 UTF-8 bytes cannot be written', () => {
    invalid(() => encodeSubscription({ version: 0, topics: ['é'.repeat(16_384)] }));
    expect(() => encodeSubscription({ version: 0, topics: ['x'.repeat(32_767)] })).not.toThrow();
  });

  test('a partition that is not an int32 cannot be written', () => {
    invalid(() => encodeAssignment({ version: 0, assignedPartitions: [{ topic: 't', partitions: [2 ** 31] }] }));
    invalid(() => encodeAssignment({ version: 0, assignedPartitions: [{ topic: 't', partitions: [0.5] }] }));
  });
});
