/**
 * KafkaJS 2.2.4 as an independent oracle for the RecordBatch v2 codec. KafkaJS is a separate
 * implementation (its own varints on BigInt, its own CRC-32C), so agreement in both directions is
 * evidence that we follow Kafka's format rather than our own reading of it.
 *
 * We use KafkaJS's internal protocol modules (CommonJS, untyped), typed below with small local
 * interfaces. What had to be normalised so the two encoders see the same inputs, and why:
 *
 * - Derived batch fields. KafkaJS takes firstTimestamp, maxTimestamp and lastOffsetDelta as
 *   explicit batch inputs, and timestampDelta and offsetDelta as explicit record inputs; Brook
 *   derives them. We compute them for KafkaJS the way Brook does: firstTimestamp = the first
 *   record's timestamp, maxTimestamp = the largest, lastOffsetDelta = count - 1, offsetDelta =
 *   record index, timestampDelta = timestamp - firstTimestamp.
 * - Sentinels. KafkaJS defaults partitionLeaderEpoch, producerEpoch and firstSequence to 0;
 *   Kafka's producer (and Brook) write -1 when the producer is not idempotent. We pass -1 (and
 *   producerId -1) explicitly to KafkaJS.
 * - Header shape. KafkaJS takes headers as an object, { key: value | value[] }, and flattens it
 *   with Object.keys: duplicate keys come out grouped, and integer-like keys ("1") would move to
 *   the front. Test headers therefore use non-numeric keys with duplicates adjacent, so that the
 *   object flattens to exactly Brook's header list (checked in toKafkaJsHeaders).
 * - Null header values. KafkaJS's record encoder cannot write one (sizeOfHeaders calls
 *   Buffer.byteLength(null), which throws), so they appear only where KafkaJS decodes our bytes;
 *   its decoder reads them as null.
 * - Decoded shape. KafkaJS's decoder returns int64 fields (offsets, timestamps, producerId) as
 *   decimal strings and headers as an object (repeated keys become arrays); our expectations are
 *   converted to that shape before comparing.
 * - LZ4. KafkaJS ships no LZ4 codec. We register one for the duration of this file, built on
 *   lz4-napi's frame functions (lz4_flex), which write independent blocks and may choose 256 KiB
 *   blocks (BD 0x50); Kafka's reader accepts both. Compressed bytes are not compared for LZ4, only
 *   decoded contents; gzip bytes are compared, since both sides call node:zlib with its defaults.
 * - CRC. KafkaJS's decoder does not check the CRC, so direction (c) says nothing about our CRC;
 *   the byte-for-byte comparison in (a) does, since KafkaJS computes the CRC-32C itself.
 * - Timestamp type. KafkaJS always writes CreateTime, so LogAppendTime is not compared.
 */
import { createRequire } from 'node:module';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CompressionCodec, RecordInput } from '../../src/records/record.js';
import { batchCodec, decodeRecordBatch, encodeRecordBatch } from '../../src/records/record-batch.js';
import { ByteCursor, readVarint, readVarlong, writeVarint, writeVarlong } from '../../src/records/varint.js';

// ---- KafkaJS internals, typed as used here. ----

interface KafkaJsEncoder {
  readonly buffer: Buffer;
  writeVarInt(value: number): KafkaJsEncoder;
  writeVarLong(value: number): KafkaJsEncoder;
}

type KafkaJsHeaderValue = Buffer | string;

interface KafkaJsHeaders {
  [key: string]: KafkaJsHeaderValue | KafkaJsHeaderValue[];
}

interface KafkaJsRecordInput {
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers: KafkaJsHeaders;
}

interface KafkaJsRecordBatchInput {
  readonly compression: number;
  readonly firstOffset: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly partitionLeaderEpoch: number;
  readonly lastOffsetDelta: number;
  readonly transactional: boolean;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly records: ReadonlyArray<KafkaJsEncoder>;
}

interface KafkaJsRecordBatchModule {
  RecordBatch: (input: KafkaJsRecordBatchInput) => Promise<KafkaJsEncoder>;
}

type KafkaJsRecordFactory = (input: KafkaJsRecordInput) => KafkaJsEncoder;

/** Opaque: KafkaJS's Decoder is only constructed here and handed to its batch decoder. */
interface KafkaJsDecoder {
  readonly offset: number;
}

type KafkaJsDecoderConstructor = new (buffer: Buffer) => KafkaJsDecoder;
type KafkaJsEncoderConstructor = new () => KafkaJsEncoder;

type KafkaJsDecodedHeaderValue = Buffer | null;

interface KafkaJsDecodedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: { readonly [key: string]: KafkaJsDecodedHeaderValue | KafkaJsDecodedHeaderValue[] };
}

interface KafkaJsDecodedBatch {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly maxTimestamp: string;
  readonly partitionLeaderEpoch: number;
  readonly lastOffsetDelta: number;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly inTransaction: boolean;
  readonly records: ReadonlyArray<KafkaJsDecodedRecord>;
}

type KafkaJsBatchDecoder = (decoder: KafkaJsDecoder) => Promise<KafkaJsDecodedBatch>;

interface KafkaJsCodec {
  compress(encoder: KafkaJsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

interface KafkaJsCompressionModule {
  readonly Types: { readonly None: number; readonly GZIP: number; readonly LZ4: number };
  readonly Codecs: { [codec: number]: () => KafkaJsCodec };
}

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as KafkaJsRecordBatchModule;
const KafkaJsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as KafkaJsRecordFactory;
const decodeKafkaJsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as KafkaJsBatchDecoder;
const KafkaJsDecoderClass = require('kafkajs/src/protocol/decoder.js') as KafkaJsDecoderConstructor;
const KafkaJsEncoderClass = require('kafkajs/src/protocol/encoder.js') as KafkaJsEncoderConstructor;
const compression = require('kafkajs/src/protocol/message/compression/index.js') as KafkaJsCompressionModule;

const lz4Codec: KafkaJsCodec = {
  compress: async (encoder) => compressFrameSync(encoder.buffer),
  decompress: async (buffer) => decompressFrameSync(buffer),
};

const KAFKAJS_CODEC: { readonly [codec in CompressionCodec]?: number } = {
  none: compression.Types.None,
  gzip: compression.Types.GZIP,
  lz4: compression.Types.LZ4,
};

// ---- Test inputs, in a neutral shape from which both sides are built. ----

interface Shape {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly timestamp: number;
  /** Non-numeric keys; repeated keys adjacent (see the header note at the top). */
  readonly headers: ReadonlyArray<readonly [string, Buffer | string | null]>;
}

interface BatchShape {
  readonly records: ReadonlyArray<Shape>;
  readonly baseOffset: number;
  readonly partitionLeaderEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly transactional: boolean;
}

function batchShape(records: ReadonlyArray<Shape>, overrides: Partial<BatchShape> = {}): BatchShape {
  return {
    records,
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    ...overrides,
  };
}

function toRecordInputs(shape: BatchShape): RecordInput[] {
  return shape.records.map((record) => ({
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: record.headers.map(([key, value]) => ({ key, value })),
  }));
}

function encodeBrook(shape: BatchShape, codec: CompressionCodec): Buffer {
  return encodeRecordBatch(toRecordInputs(shape), {
    compression: codec,
    baseOffset: shape.baseOffset,
    partitionLeaderEpoch: shape.partitionLeaderEpoch,
    producerId: shape.producerId,
    producerEpoch: shape.producerEpoch,
    baseSequence: shape.baseSequence,
    transactional: shape.transactional,
  });
}

/** KafkaJS's header object for a header list; fails if it would not flatten back to the list. */
function toKafkaJsHeaders(headers: Shape['headers']): KafkaJsHeaders {
  const object: KafkaJsHeaders = {};
  for (const [key, value] of headers) {
    if (value === null) throw new Error('KafkaJS cannot encode a null header value');
    const existing = object[key];
    if (existing === undefined) object[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else object[key] = [existing, value];
  }
  const flattened = Object.keys(object).flatMap((key) => {
    const value = object[key]!;
    return Array.isArray(value) ? value.map(() => key) : [key];
  });
  expect(flattened).toEqual(headers.map(([key]) => key));
  return object;
}

async function encodeKafkaJs(shape: BatchShape, codec: CompressionCodec): Promise<Buffer> {
  const firstTimestamp = shape.records[0]!.timestamp;
  const records = shape.records.map((record, index) =>
    KafkaJsRecord({
      offsetDelta: index,
      timestampDelta: record.timestamp - firstTimestamp,
      key: record.key,
      value: record.value,
      headers: toKafkaJsHeaders(record.headers),
    }),
  );
  const encoder = await RecordBatch({
    compression: KAFKAJS_CODEC[codec]!,
    firstOffset: shape.baseOffset,
    firstTimestamp,
    maxTimestamp: Math.max(...shape.records.map((record) => record.timestamp)),
    partitionLeaderEpoch: shape.partitionLeaderEpoch,
    lastOffsetDelta: shape.records.length - 1,
    transactional: shape.transactional,
    producerId: shape.producerId,
    producerEpoch: shape.producerEpoch,
    firstSequence: shape.baseSequence,
    records,
  });
  return encoder.buffer;
}

function bytesOf(value: Buffer | string | null): Buffer | null {
  if (value === null) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function hexOf(value: Buffer | string | null): string | null {
  const bytes = bytesOf(value);
  return bytes === null ? null : bytes.toString('hex');
}

/** Brook's decode of a batch, as plain data comparable across implementations. */
function brookView(batch: Buffer): unknown {
  const decoded = decodeRecordBatch(batch);
  return {
    baseOffset: decoded.header.baseOffset,
    baseTimestamp: decoded.header.baseTimestamp,
    maxTimestamp: decoded.header.maxTimestamp,
    partitionLeaderEpoch: decoded.header.partitionLeaderEpoch,
    lastOffsetDelta: decoded.header.lastOffsetDelta,
    producerId: decoded.header.producerId,
    producerEpoch: decoded.header.producerEpoch,
    baseSequence: decoded.header.baseSequence,
    transactional: (decoded.header.attributes & 0x10) !== 0,
    records: decoded.records.map((record) => ({
      offset: record.offset,
      timestamp: record.timestamp,
      key: hexOf(record.key),
      value: hexOf(record.value),
      headers: record.headers.map((header) => [header.key, hexOf(header.value)]),
    })),
  };
}

/** What a correct decoder must report for `shape`, in brookView's form. */
function expectedBrookView(shape: BatchShape): unknown {
  return {
    baseOffset: shape.baseOffset,
    baseTimestamp: shape.records[0]!.timestamp,
    maxTimestamp: Math.max(...shape.records.map((record) => record.timestamp)),
    partitionLeaderEpoch: shape.partitionLeaderEpoch,
    lastOffsetDelta: shape.records.length - 1,
    producerId: shape.producerId,
    producerEpoch: shape.producerEpoch,
    baseSequence: shape.baseSequence,
    transactional: shape.transactional,
    records: shape.records.map((record, index) => ({
      offset: shape.baseOffset + index,
      timestamp: record.timestamp,
      key: hexOf(record.key),
      value: hexOf(record.value),
      headers: record.headers.map(([key, value]) => [key, hexOf(value)]),
    })),
  };
}

/** KafkaJS's decode of a batch, with Buffers as hex so that comparison is by content. */
async function kafkaJsView(batch: Buffer): Promise<unknown> {
  const decoded = await decodeKafkaJsBatch(new KafkaJsDecoderClass(batch));
  const hex = (value: Buffer | null): string | null => (value === null ? null : value.toString('hex'));
  return {
    firstOffset: decoded.firstOffset,
    firstTimestamp: decoded.firstTimestamp,
    maxTimestamp: decoded.maxTimestamp,
    partitionLeaderEpoch: decoded.partitionLeaderEpoch,
    lastOffsetDelta: decoded.lastOffsetDelta,
    producerId: decoded.producerId,
    producerEpoch: decoded.producerEpoch,
    firstSequence: decoded.firstSequence,
    inTransaction: decoded.inTransaction,
    records: decoded.records.map((record) => ({
      offset: record.offset,
      timestamp: record.timestamp,
      key: hex(record.key),
      value: hex(record.value),
      headers: Object.fromEntries(
        Object.entries(record.headers).map(([key, value]) => [key, Array.isArray(value) ? value.map(hex) : hex(value)]),
      ),
    })),
  };
}

/** What KafkaJS's decoder must report for `shape`, in kafkaJsView's form. */
function expectedKafkaJsView(shape: BatchShape): unknown {
  return {
    firstOffset: String(shape.baseOffset),
    firstTimestamp: String(shape.records[0]!.timestamp),
    maxTimestamp: String(Math.max(...shape.records.map((record) => record.timestamp))),
    partitionLeaderEpoch: shape.partitionLeaderEpoch,
    lastOffsetDelta: shape.records.length - 1,
    producerId: String(shape.producerId),
    producerEpoch: shape.producerEpoch,
    firstSequence: shape.baseSequence,
    inTransaction: shape.transactional,
    records: shape.records.map((record, index) => {
      const headers: { [key: string]: string | null | Array<string | null> } = {};
      for (const [key, value] of record.headers) {
        const existing = headers[key];
        if (existing === undefined) headers[key] = hexOf(value);
        else if (Array.isArray(existing)) existing.push(hexOf(value));
        else headers[key] = [existing, hexOf(value)];
      }
      return {
        offset: String(shape.baseOffset + index),
        timestamp: String(record.timestamp),
        key: hexOf(record.key),
        value: hexOf(record.value),
        headers,
      };
    }),
  };
}

// ---- Shapes. ----

const T0 = 1_700_000_000_000;

const ONE_RECORD = batchShape([{ key: null, value: 'hello', timestamp: T0, headers: [] }]);

function hundredRecords(): BatchShape {
  const records: Shape[] = [];
  for (let index = 0; index < 100; index++) {
    const headers: Array<readonly [string, Buffer | string]> = [];
    if (index % 3 === 0) headers.push(['trace-id', `trace-${index}`]);
    if (index % 5 === 0) headers.push(['tag', 'a'], ['tag', Buffer.from([index, 0, 255])]);
    if (index % 7 === 0) headers.push(['empty', '']);
    records.push({
      key: `key-${index % 10}`,
      value: Buffer.from(`value ${index} `.repeat(1 + (index % 4))),
      // Timestamps move back and forth around the first one, some far away (multi-byte varlongs).
      timestamp: T0 + ((index * 7919) % 2000) - 1000 + (index % 11 === 0 ? -3_000_000_000 : 0),
      headers,
    });
  }
  return batchShape(records, { baseOffset: 4_000_000_000 });
}

const NULLS = batchShape([
  { key: null, value: null, timestamp: T0, headers: [] },
  { key: 'tombstone', value: null, timestamp: T0 + 1, headers: [] },
  { key: null, value: 'value only', timestamp: T0 - 1, headers: [] },
  { key: '', value: '', timestamp: T0, headers: [['h', '']] },
]);

const IDEMPOTENT = batchShape(
  [
    { key: 'k1', value: 'v1', timestamp: T0, headers: [['ünïcödé-kéy', '✓ value']] },
    { key: 'k2', value: 'v2', timestamp: T0 + 5, headers: [] },
  ],
  { producerId: 9_876_543_210, producerEpoch: 3, baseSequence: 1000, partitionLeaderEpoch: 12, transactional: true },
);

const SHAPES: ReadonlyArray<readonly [string, () => BatchShape]> = [
  ['one record', () => ONE_RECORD],
  ['100 records with keys, headers and varying timestamps', hundredRecords],
  ['null keys and values', () => NULLS],
  ['an idempotent transactional producer', () => IDEMPOTENT],
];

// Random shapes for the property tests: header keys carry a non-numeric prefix and are sorted,
// so repeated keys stay adjacent.
const shapeArbitrary: fc.Arbitrary<BatchShape> = (() => {
  const bytes = fc.uint8Array({ maxLength: 48 }).map((array) => Buffer.from(array));
  const text = fc.string({ unit: 'grapheme', maxLength: 12 });
  const nullable = fc.option(fc.oneof(bytes, text), { nil: null });
  const headers = fc
    .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x-trace', 'ü'), fc.oneof(bytes, text)), { maxLength: 5 })
    .map((list) => [...list].sort((left, right) => (left[0] < right[0] ? -1 : left[0] > right[0] ? 1 : 0)));
  const record: fc.Arbitrary<Shape> = fc.record({
    key: nullable,
    value: nullable,
    timestamp: fc.integer({ min: T0 - 2 ** 36, max: T0 + 2 ** 36 }),
    headers,
  });
  return fc
    .tuple(fc.array(record, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 40 }))
    .map(([records, baseOffset]) => batchShape(records, { baseOffset }));
})();

// ---- Tests. ----

describe('KafkaJS as an oracle for the RecordBatch v2 codec', () => {
  let originalLz4: (() => KafkaJsCodec) | undefined;

  beforeAll(() => {
    originalLz4 = compression.Codecs[compression.Types.LZ4];
    compression.Codecs[compression.Types.LZ4] = () => lz4Codec;
  });

  afterAll(() => {
    if (originalLz4 !== undefined) compression.Codecs[compression.Types.LZ4] = originalLz4;
  });

  describe('(a) uncompressed batches are byte-identical to KafkaJS\'s', () => {
    test.each(SHAPES)('a batch of %s encodes to the same bytes', async (_name, shape) => {
      const ours = encodeBrook(shape(), 'none');
      const theirs = await encodeKafkaJs(shape(), 'none');
      expect(ours.toString('hex')).toBe(theirs.toString('hex'));
    });

    test('the one-record batch is also the worked example of kafka-storage.md §1.10', async () => {
      const theirs = await encodeKafkaJs(ONE_RECORD, 'none');
      expect(theirs.length).toBe(73);
      expect(theirs.readUInt32BE(17)).toBe(0xe641a44b);
    });

    test('random record lists encode to the same bytes', async () => {
      await fc.assert(
        fc.asyncProperty(shapeArbitrary, async (shape) => {
          expect(encodeBrook(shape, 'none').equals(await encodeKafkaJs(shape, 'none'))).toBe(true);
        }),
        { seed: 0x5eed_0401, numRuns: 60 },
      );
    });

    test.each(SHAPES)('a gzip batch of %s encodes to the same bytes (both use node:zlib defaults)', async (_name, shape) => {
      const ours = encodeBrook(shape(), 'gzip');
      const theirs = await encodeKafkaJs(shape(), 'gzip');
      expect(ours.toString('hex')).toBe(theirs.toString('hex'));
    });
  });

  describe('(b) Brook decodes batches that KafkaJS encoded', () => {
    for (const codec of ['none', 'gzip', 'lz4'] as const) {
      test.each(SHAPES)(`a ${codec} batch of %s decodes to the same records`, async (_name, shape) => {
        const theirs = await encodeKafkaJs(shape(), codec);
        expect(batchCodec(theirs)).toBe(codec);
        expect(brookView(theirs)).toEqual(expectedBrookView(shape()));
      });
    }

    test('random KafkaJS batches decode to the records they were built from', async () => {
      await fc.assert(
        fc.asyncProperty(shapeArbitrary, fc.constantFrom<CompressionCodec>('none', 'gzip', 'lz4'), async (shape, codec) => {
          expect(brookView(await encodeKafkaJs(shape, codec))).toEqual(expectedBrookView(shape));
        }),
        { seed: 0x5eed_0402, numRuns: 60 },
      );
    });
  });

  describe('(c) KafkaJS decodes batches that Brook encoded', () => {
    const withNullHeaderValues = batchShape([
      { key: 'k', value: 'v', timestamp: T0, headers: [['present', 'yes'], ['absent', null]] },
      { key: null, value: null, timestamp: T0 - 10, headers: [['absent', null], ['absent', 'now present']] },
    ]);
    const shapes: ReadonlyArray<readonly [string, () => BatchShape]> = [
      ...SHAPES,
      ['null header values (which KafkaJS cannot encode)', () => withNullHeaderValues],
    ];

    for (const codec of ['none', 'gzip', 'lz4'] as const) {
      test.each(shapes)(`a ${codec} batch of %s decodes to the same records`, async (_name, shape) => {
        const ours = encodeBrook(shape(), codec);
        expect(await kafkaJsView(ours)).toEqual(expectedKafkaJsView(shape()));
      });
    }

    test('random Brook batches decode in KafkaJS to the records they were built from', async () => {
      await fc.assert(
        fc.asyncProperty(shapeArbitrary, fc.constantFrom<CompressionCodec>('none', 'gzip', 'lz4'), async (shape, codec) => {
          expect(await kafkaJsView(encodeBrook(shape, codec))).toEqual(expectedKafkaJsView(shape));
        }),
        { seed: 0x5eed_0403, numRuns: 60 },
      );
    });
  });

  describe('varints against KafkaJS\'s encoder and decoder', () => {
    test('varints of random int32 values are byte-identical to KafkaJS\'s', () => {
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
          const ours = Buffer.alloc(5);
          const end = writeVarint(ours, value, 0);
          const theirs = new KafkaJsEncoderClass().writeVarInt(value).buffer;
          expect(ours.subarray(0, end).equals(theirs)).toBe(true);
          expect(readVarint(new ByteCursor(theirs, 0, theirs.length))).toBe(value);
        }),
        { seed: 0x5eed_0404, numRuns: 1000 },
      );
    });

    // KafkaJS's varlong uses Long, so it is exact everywhere; ours is exact over safe integers.
    test('varlongs of random safe-integer longs are byte-identical to KafkaJS\'s', () => {
      fc.assert(
        fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (value) => {
          const ours = Buffer.alloc(10);
          const end = writeVarlong(ours, value, 0);
          const theirs = new KafkaJsEncoderClass().writeVarLong(value).buffer;
          expect(ours.subarray(0, end).equals(theirs)).toBe(true);
          expect(readVarlong(new ByteCursor(theirs, 0, theirs.length))).toBe(value);
        }),
        { seed: 0x5eed_0405, numRuns: 1000 },
      );
    });
  });
});
