/**
 * Every served request and response at every advertised version, against the naive schema model
 * in schema-model.ts: random messages (seeded, so a failure replays exactly) must encode to the
 * model's bytes, decode to the model's expected value (fields a version lacks read as their
 * default) and encode again to the same bytes. Then the decoder's defences: unknown tags are
 * skipped, every truncation and random corruption fails as MALFORMED_FRAME and nothing else, and
 * an array count that cannot fit the bytes left is refused before anything is allocated.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import { EngineError, ProtocolError } from '../../src/core/errors.js';
import { SERVED_APIS } from '../../src/protocol/api-table.js';
import { codecFor, messageSpec } from '../../src/protocol/codec.js';
import type { Encodable, MessageName } from '../../src/protocol/schema/schema-types.js';
import { WireReader } from '../../src/protocol/wire/reader.js';
import { WireWriter } from '../../src/protocol/wire/writer.js';
import { Prng } from '../helpers/prng.js';
import { type Struct, randomStruct, referenceEncode, schemaVersion } from './schema-model.js';

const SEEDS_PER_VERSION = 6;

function encode<N extends MessageName>(name: N, version: number, message: Struct): Buffer {
  const writer = new WireWriter(16);
  codecFor(name, version).encode(writer, message as unknown as Encodable<N>);
  return writer.toBuffer();
}

function decodeAll(name: MessageName, version: number, bytes: Buffer): { readonly value: unknown; readonly consumed: number } {
  const reader = new WireReader(bytes);
  const value = codecFor(name, version).decode(reader);
  return { value, consumed: reader.offset };
}

function sample(name: MessageName, version: number, seed: number): { readonly message: Struct; readonly expected: unknown } {
  const model = schemaVersion(messageSpec(name), version);
  const rng = new Prng(seed * 7919 + version * 104729 + name.length);
  const { message, expected } = randomStruct(model, model.spec.fields, rng);
  return { message: message as Struct, expected };
}

/** How decoding `bytes` failed: 'ok', 'MALFORMED_FRAME', another code, or the class of a non-Brook error. */
function decodeOutcome(name: MessageName, version: number, bytes: Buffer): string {
  try {
    codecFor(name, version).decode(new WireReader(bytes));
    return 'ok';
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    if (error instanceof EngineError) return `${error.name}:${error.code}`;
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

const MESSAGES = SERVED_APIS.flatMap((api) =>
  [api.request, api.response].flatMap((name) => {
    const versions: number[] = [];
    for (let version = api.minVersion; version <= api.maxVersion; version++) versions.push(version);
    return versions.map((version) => ({ name, version, flexible: codecFor(name, version).flexible }));
  }),
);

describe('codec round trip against the schema model', () => {
  for (const { name, version } of MESSAGES) {
    test(`${name} v${version} encodes random messages to the model bytes and decodes them to the expected value`, () => {
      for (let seed = 1; seed <= SEEDS_PER_VERSION; seed++) {
        const { message, expected } = sample(name, version, seed);
        const model = schemaVersion(messageSpec(name), version);
        const bytes = encode(name, version, message);
        expect(bytes.toString('hex'), `seed ${seed}: bytes`).toBe(referenceEncode(model, message).toString('hex'));
        const { value, consumed } = decodeAll(name, version, bytes);
        expect(consumed, `seed ${seed}: decoder stops at the end of the message`).toBe(bytes.length);
        expect(value, `seed ${seed}: decoded value`).toStrictEqual(expected);
        expect(encode(name, version, value as Struct).toString('hex'), `seed ${seed}: re-encoding the decoded value`).toBe(bytes.toString('hex'));
      }
    });
  }

  for (const { name, version } of MESSAGES.filter((entry) => entry.flexible)) {
    test(`${name} v${version} skips tagged fields it does not know, in every struct`, () => {
      for (let seed = 1; seed <= SEEDS_PER_VERSION; seed++) {
        const { message, expected } = sample(name, version, seed);
        const model = schemaVersion(messageSpec(name), version);
        const withUnknownTags = referenceEncode(model, message, { rng: new Prng(seed) });
        const { value, consumed } = decodeAll(name, version, withUnknownTags);
        expect(consumed).toBe(withUnknownTags.length);
        expect(value, `seed ${seed}`).toStrictEqual(expected);
      }
    });
  }

  test('a message left empty encodes every field as its default', () => {
    // Fields a version lacks read as the schema default, "null" included, whatever the version.
    expect(decodeAll('ProduceRequest', 2, encode('ProduceRequest', 2, {})).value).toStrictEqual({
      transactionalId: null,
      acks: 0,
      timeoutMs: 0,
      topicData: [],
    });
    expect(decodeAll('FetchRequest', 3, encode('FetchRequest', 3, {})).value).toMatchObject({
      clusterId: null,
      replicaId: -1,
      maxBytes: 0x7fffffff,
      isolationLevel: 0,
      sessionEpoch: -1,
      rackId: '',
    });
    expect(decodeAll('MetadataRequest', 3, encode('MetadataRequest', 3, {})).value).toMatchObject({ allowAutoTopicCreation: true });
  });

  test('a tagged field equal to its default is not written, and one that differs is', () => {
    const plain = encode('ApiVersionsResponse', 3, { finalizedFeaturesEpoch: -1, zkMigrationReady: false });
    expect(plain.toString('hex')).toBe('0000' + '01' + '00000000' + '00');
    const tagged = encode('ApiVersionsResponse', 3, { finalizedFeaturesEpoch: 7, zkMigrationReady: true });
    // count 2; tag 1 size 8 int64 7; tag 3 size 1 bool true.
    expect(tagged.toString('hex')).toBe('0000' + '01' + '00000000' + '02' + '0108' + '0000000000000007' + '0301' + '01');
  });
});

describe('decoding hostile bytes', () => {
  const TRUNCATION_CASES: ReadonlyArray<readonly [MessageName, number]> = [
    ['FetchResponse', 4],
    ['FetchResponse', 12],
    ['MetadataResponse', 1],
    ['MetadataResponse', 9],
    ['JoinGroupRequest', 6],
    ['ApiVersionsResponse', 3],
    ['CreateTopicsRequest', 7],
    ['ProduceRequest', 7],
    ['OffsetFetchResponse', 8],
    ['DescribeGroupsResponse', 5],
  ];

  test.each(TRUNCATION_CASES)('every strict prefix of a %s v%i fails as MALFORMED_FRAME', (name, version) => {
    for (let seed = 1; seed <= 3; seed++) {
      const bytes = encode(name, version, sample(name, version, seed).message);
      const outcomes = new Map<string, number[]>();
      for (let length = 0; length < bytes.length; length++) {
        const outcome = decodeOutcome(name, version, bytes.subarray(0, length));
        if (outcome !== 'MALFORMED_FRAME') outcomes.set(outcome, [...(outcomes.get(outcome) ?? []), length]);
      }
      expect(Object.fromEntries(outcomes), `seed ${seed}, ${bytes.length} bytes`).toStrictEqual({});
    }
  });

  test.each(TRUNCATION_CASES)('random corruption of a %s v%i either decodes or fails as MALFORMED_FRAME', (name, version) => {
    const rng = new Prng(0xbad + version);
    const failures: string[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const bytes = encode(name, version, sample(name, version, seed).message);
      for (let trial = 0; trial < 200 && bytes.length > 0; trial++) {
        const corrupt = Buffer.from(bytes);
        const flips = 1 + rng.nextInt(3);
        for (let flip = 0; flip < flips; flip++) corrupt[rng.nextInt(corrupt.length)] = rng.nextUint32() & 0xff;
        const outcome = decodeOutcome(name, version, corrupt);
        if (outcome !== 'ok' && outcome !== 'MALFORMED_FRAME') failures.push(`${outcome} for ${corrupt.toString('hex')}`);
      }
    }
    expect(failures.slice(0, 3)).toStrictEqual([]);
  });

  test('a tagged field that claims more bytes than it holds, or comes out of order, is malformed', () => {
    const header = encode('ApiVersionsResponse', 3, {}).subarray(0, -1); // without its empty tag section
    const oversized = Buffer.concat([header, Buffer.from('01' + '0105' + '00', 'hex')]); // tag 1 says 5 bytes, 1 left
    expect(decodeOutcome('ApiVersionsResponse', 3, oversized)).toBe('MALFORMED_FRAME');
    const wrongSize = Buffer.concat([header, Buffer.from('01' + '0109' + '000000000000000700', 'hex')]); // int64 in 9 bytes
    expect(decodeOutcome('ApiVersionsResponse', 3, wrongSize)).toBe('MALFORMED_FRAME');
    const outOfOrder = Buffer.concat([header, Buffer.from('02' + '030101' + '0108' + '0000000000000007', 'hex')]);
    expect(decodeOutcome('ApiVersionsResponse', 3, outOfOrder)).toBe('MALFORMED_FRAME');
  });

  test('null where the version does not allow it is malformed', () => {
    // MetadataRequest v0: Topics is not nullable (null = all topics only from v1).
    expect(decodeOutcome('MetadataRequest', 0, Buffer.from('ffffffff', 'hex'))).toBe('MALFORMED_FRAME');
    expect(decodeAll('MetadataRequest', 1, Buffer.from('ffffffff', 'hex')).value).toStrictEqual({ topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    // HeartbeatRequest v4: GroupId is a compact string that is never null.
    expect(decodeOutcome('HeartbeatRequest', 4, Buffer.from('00' + '00000001' + '01' + '00' + '00', 'hex'))).toBe('MALFORMED_FRAME');
  });

  test('an unsigned varint longer than 32 bits is malformed', () => {
    expect(decodeOutcome('HeartbeatRequest', 4, Buffer.from('ffffffff7f', 'hex'))).toBe('MALFORMED_FRAME');
    expect(decodeOutcome('HeartbeatRequest', 4, Buffer.from('8080808080', 'hex'))).toBe('MALFORMED_FRAME');
  });

  test('an array count larger than the bytes left is refused before the array is allocated', () => {
    // int32 count 2^31 - 1 with four bytes behind it; compact count 2^32 - 2 (new Array would throw RangeError).
    const cases: ReadonlyArray<readonly [MessageName, number, string]> = [
      ['MetadataRequest', 1, '7fffffff' + '00000000'],
      ['MetadataRequest', 9, 'ffffffff0f' + '00000000'],
      ['ListGroupsResponse', 4, '00000000' + '0000' + 'ffffffff0f' + '00'],
      ['DeleteTopicsRequest', 0, '00000005' + '00010061'], // five names announced, one present
    ];
    for (const [name, version, hex] of cases) {
      const reader = new WireReader(Buffer.from(hex, 'hex'));
      let caught: unknown;
      try {
        codecFor(name, version).decode(reader);
      } catch (error) {
        caught = error;
      }
      expect(caught, `${name} v${version}`).toBeInstanceOf(ProtocolError);
      expect((caught as ProtocolError).code).toBe('MALFORMED_FRAME');
      expect((caught as ProtocolError).message).toMatch(/array count \d+ is larger than the \d+ bytes left/);
    }
  });
});

describe('wire writer', () => {
  test('keeps every byte when a field does not fit the scratch buffer and it grows', () => {
    // Each write lands just past the end of a tiny scratch buffer, forcing a new one.
    for (let initialSize = 1; initialSize <= 24; initialSize++) {
      const writer = new WireWriter(initialSize);
      writer.int32(0x01020304);
      writer.string('héllo wörld', false);
      writer.int8(-2);
      writer.int16(-3);
      writer.uint16(65534);
      writer.uint32(0xfffffffe);
      writer.bool(true);
      writer.uvarint(300);
      writer.uuid(Buffer.alloc(16, 0xab));
      writer.raw(Buffer.from('tail'));
      writer.float64(1.5);
      writer.string('compact', true);
      const expected = Buffer.concat([
        Buffer.from('01020304', 'hex'),
        Buffer.from('000d', 'hex'),
        Buffer.from('héllo wörld', 'utf8'),
        Buffer.from('fe' + 'fffd' + 'fffe' + 'fffffffe' + '01' + 'ac02', 'hex'),
        Buffer.alloc(16, 0xab),
        Buffer.from('tail'),
        Buffer.from('3ff8000000000000', 'hex'),
        Buffer.from('08', 'hex'),
        Buffer.from('compact'),
      ]);
      expect(writer.toBuffer().toString('hex'), `initial size ${initialSize}`).toBe(expected.toString('hex'));
    }
  });
});
