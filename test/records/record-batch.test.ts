import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError, EngineError } from '../../src/core/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_COVERED_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
} from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';
import type { CompressionCodec, Record, RecordInput } from '../../src/records/record.js';
import {
  batchCodec,
  decodeRecordBatch,
  encodeRecordBatch,
  isControlBatch,
  readBatchHeader,
  validateRecordBatch,
} from '../../src/records/record-batch.js';
import { Prng } from '../helpers/prng.js';

/** The code of the CorruptRecordError that `action` throws; fails the test on anything else. */
function corruptCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptRecordError);
    return (error as CorruptRecordError).code;
  }
  throw new Error('expected a CorruptRecordError, but nothing was thrown');
}

/** Recompute the CRC-32C over [21, end) and store it at byte 17, so that a deeper check fails. */
function recomputeCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch, CRC_COVERED_OFFSET, batch.length), CRC_OFFSET);
  return batch;
}

function toBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

interface ExpectedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Buffer | null }>;
}

/** What decoding should give back for `inputs` encoded at `baseOffset` with `defaultTimestamp`. */
function expectedRecords(inputs: ReadonlyArray<RecordInput>, baseOffset: number, defaultTimestamp: number): ExpectedRecord[] {
  return inputs.map((input, index) => ({
    offset: baseOffset + (input.offsetDelta ?? index),
    timestamp: input.timestamp ?? defaultTimestamp,
    key: toBuffer(input.key),
    value: toBuffer(input.value),
    headers: (input.headers ?? []).map((header) => ({ key: header.key, value: toBuffer(header.value) })),
  }));
}

/** Decoded records as plain data, with Buffers compared by content. */
function plain(records: ReadonlyArray<Record | ExpectedRecord>): unknown[] {
  const hex = (buffer: Buffer | null): string | null => (buffer === null ? null : buffer.toString('hex'));
  return records.map((record) => ({
    offset: record.offset,
    timestamp: record.timestamp,
    key: hex(record.key),
    value: hex(record.value),
    headers: record.headers.map((header) => ({ key: header.key, value: hex(header.value) })),
  }));
}

// kafka-storage.md §1.10: one record, null key, value "hello", CreateTime 1,700,000,000,000 ms.
const WORKED_EXAMPLE_HEX =
  '0000000000000000' + '0000003d' + 'ffffffff' + '02' + 'e641a44b' + '0000' + '00000000' +
  '0000018bcfe56800' + '0000018bcfe56800' + 'ffffffffffffffff' + 'ffff' + 'ffffffff' +
  '00000001' + '16' + '00' + '00' + '00' + '01' + '0a' + '68656c6c6f' + '00';
const WORKED_TIMESTAMP = 1_700_000_000_000;

function workedExample(): Buffer {
  return encodeRecordBatch([{ key: null, value: 'hello', timestamp: WORKED_TIMESTAMP }]);
}

const prng = new Prng(0x0b47_c4);
const CODECS: ReadonlyArray<CompressionCodec> = ['none', 'lz4', 'gzip'];

describe('encodeRecordBatch', () => {
  test('the worked example of kafka-storage.md §1.10 encodes byte for byte', () => {
    const batch = workedExample();
    expect(batch.length).toBe(73);
    expect(batch.toString('hex')).toBe(WORKED_EXAMPLE_HEX);
    expect(batch.readUInt32BE(CRC_OFFSET)).toBe(0xe641a44b);
  });

  test('the worked example header reads back field by field', () => {
    expect(readBatchHeader(workedExample())).toEqual({
      baseOffset: 0,
      batchLength: 61,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: 0xe641a44b,
      attributes: 0,
      lastOffsetDelta: 0,
      baseTimestamp: WORKED_TIMESTAMP,
      maxTimestamp: WORKED_TIMESTAMP,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      recordsCount: 1,
    });
  });

  test('string and Buffer keys, values and header values give identical bytes', () => {
    const asStrings = encodeRecordBatch(
      [{ key: 'clé', value: 'välue ✓', headers: [{ key: 'h', value: 'v' }], timestamp: 5 }],
      { timestamp: 5 },
    );
    const asBuffers = encodeRecordBatch(
      [
        {
          key: Buffer.from('clé'),
          value: Buffer.from('välue ✓'),
          headers: [{ key: 'h', value: Buffer.from('v') }],
          timestamp: 5,
        },
      ],
      { timestamp: 5 },
    );
    expect(asStrings.equals(asBuffers)).toBe(true);
  });

  test('the codec is written to attribute bits 0-2 and read back by batchCodec', () => {
    for (const codec of CODECS) {
      const batch = encodeRecordBatch([{ value: 'v', timestamp: 1 }], { compression: codec });
      expect(batchCodec(batch)).toBe(codec);
      expect(isControlBatch(batch)).toBe(false);
    }
  });

  test('snappy and zstd cannot be used to encode and raise UNSUPPORTED_CODEC', () => {
    for (const compression of ['snappy', 'zstd'] as const) {
      let thrown: unknown = null;
      try {
        encodeRecordBatch([{ value: 'v', timestamp: 1 }], { compression });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(EngineError);
      expect((thrown as EngineError).code).toBe('UNSUPPORTED_CODEC');
    }
  });

  test('producer id, epoch, base sequence and the transactional bit are written to the header', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], {
      timestamp: 10,
      producerId: 1_234_567_890_123,
      producerEpoch: 5,
      baseSequence: 42,
      transactional: true,
      partitionLeaderEpoch: 3,
      baseOffset: 1000,
    });
    const header = readBatchHeader(batch);
    expect(header.producerId).toBe(1_234_567_890_123);
    expect(header.producerEpoch).toBe(5);
    expect(header.baseSequence).toBe(42);
    expect(header.partitionLeaderEpoch).toBe(3);
    expect(header.baseOffset).toBe(1000);
    expect(header.attributes & 0x10).toBe(0x10);
    expect(header.lastOffsetDelta).toBe(1);
    expect(decodeRecordBatch(batch).records.map((record) => record.offset)).toEqual([1000, 1001]);
  });
});

describe('encodeRecordBatch then decodeRecordBatch', () => {
  const richRecords: ReadonlyArray<RecordInput> = [
    { key: 'user-1', value: 'first', timestamp: 1_700_000_000_500 },
    { key: null, value: 'no key', timestamp: 1_700_000_000_000 }, // before the base timestamp
    { key: 'tombstone', value: null, timestamp: 1_699_000_000_000 }, // far before: negative varlong
    { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 1_800_000_000_000 }, // far after
    {
      key: 'with-headers',
      value: Buffer.from([0, 1, 2, 255]),
      headers: [
        { key: 'trace-id', value: 'abc' },
        { key: 'null-value', value: null },
        { key: 'trace-id', value: Buffer.from('def') },
        { key: '', value: '' },
        { key: 'ünïcödé', value: '✓' },
      ],
      timestamp: 1_700_000_000_500,
    },
    { value: null }, // no key, null value, no timestamp: takes the batch timestamp
  ];

  test.each(CODECS)('keys, values, null keys and values, headers and timestamps round trip with %s', (codec) => {
    const batch = encodeRecordBatch(richRecords, { compression: codec, timestamp: 1_750_000_000_000, baseOffset: 77 });
    const decoded = decodeRecordBatch(batch);
    expect(plain(decoded.records)).toEqual(plain(expectedRecords(richRecords, 77, 1_750_000_000_000)));
    expect(decoded.header.baseTimestamp).toBe(1_700_000_000_500);
    expect(decoded.header.maxTimestamp).toBe(1_800_000_000_000);
    expect(decoded.header.recordsCount).toBe(richRecords.length);
    expect(decoded.header.lastOffsetDelta).toBe(richRecords.length - 1);
    expect(decoded.header.attributes & 0x07).toBe(['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(codec));
  });

  test.each(CODECS)('a 1 MiB value and 1000 small records round trip with %s', (codec) => {
    const big = prng.compressibleBytes(1024 * 1024);
    const records: RecordInput[] = [{ key: 'big', value: big, timestamp: 1 }];
    for (let index = 0; index < 1000; index++) records.push({ key: `k${index}`, value: `v${index}`, timestamp: 1 + index });
    const decoded = decodeRecordBatch(encodeRecordBatch(records, { compression: codec }));
    expect(decoded.records.length).toBe(1001);
    expect(decoded.records[0]!.value!.equals(big)).toBe(true);
    expect(decoded.records[1000]!.value!.toString()).toBe('v999');
    expect(decoded.records[1000]!.offset).toBe(1000);
  });

  test('records without a timestamp take the batch timestamp option', () => {
    const decoded = decodeRecordBatch(encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { timestamp: 123_456 }));
    expect(decoded.records.map((record) => record.timestamp)).toEqual([123_456, 123_456]);
    expect(decoded.header.baseTimestamp).toBe(123_456);
  });

  test('with LogAppendTime every record reports the batch maxTimestamp', () => {
    const batch = encodeRecordBatch(
      [
        { value: 'a', timestamp: 100 },
        { value: 'b', timestamp: 300 },
        { value: 'c', timestamp: 200 },
      ],
      { logAppendTime: true },
    );
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header.attributes & 0x08).toBe(0x08);
    expect(decoded.records.map((record) => record.timestamp)).toEqual([300, 300, 300]);
  });

  test('compacted offset deltas and an explicit lastOffsetDelta round trip', () => {
    const batch = encodeRecordBatch(
      [
        { value: 'a', offsetDelta: 0, timestamp: 1 },
        { value: 'b', offsetDelta: 3, timestamp: 2 },
        { value: 'c', offsetDelta: 7, timestamp: 3 },
      ],
      { baseOffset: 500, lastOffsetDelta: 9 },
    );
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header.lastOffsetDelta).toBe(9);
    expect(decoded.records.map((record) => record.offset)).toEqual([500, 503, 507]);
  });

  test('a delete horizon is written as baseTimestamp with attribute bit 6 and record timestamps survive', () => {
    const batch = encodeRecordBatch(
      [
        { value: 'a', timestamp: 1_700_000_000_000 },
        { value: 'b', timestamp: 1_700_000_000_123 },
      ],
      { deleteHorizonMs: 1_700_086_400_000 },
    );
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header.attributes & 0x40).toBe(0x40);
    expect(decoded.header.baseTimestamp).toBe(1_700_086_400_000);
    expect(decoded.records.map((record) => record.timestamp)).toEqual([1_700_000_000_000, 1_700_000_000_123]);
  });

  test('an empty batch that keeps the lastOffsetDelta of its removed records decodes to no records', () => {
    const batch = encodeRecordBatch([], { lastOffsetDelta: 4, timestamp: 99, baseOffset: 10 });
    expect(batch.length).toBe(RECORD_BATCH_OVERHEAD);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.records).toEqual([]);
    expect(decoded.header.baseTimestamp).toBe(-1);
    expect(decoded.header.lastOffsetDelta).toBe(4);
  });

  test('an empty record list without a lastOffsetDelta is refused rather than encoded unreadably', () => {
    expect(() => encodeRecordBatch([], { timestamp: 99 })).toThrow(
      expect.objectContaining({ code: 'BAD_RECORD' }) as Error,
    );
  });

  test('a compressed encode leaves the batches encoded before it intact (its section scratch is reused)', () => {
    const prng = new Prng(41);
    const first = [{ key: 'a', value: prng.compressibleBytes(70_000), timestamp: 5 }];
    const second = [{ key: 'b', value: prng.compressibleBytes(90_000), timestamp: 6 }];
    for (const compression of ['lz4', 'gzip'] as const) {
      const firstBatch = encodeRecordBatch(first, { compression });
      const firstCopy = Buffer.from(firstBatch);
      const secondBatch = encodeRecordBatch(second, { compression });
      expect(firstBatch.equals(firstCopy)).toBe(true);
      expect(decodeRecordBatch(firstBatch).records[0]!.value!.equals(first[0]!.value)).toBe(true);
      expect(decodeRecordBatch(secondBatch).records[0]!.value!.equals(second[0]!.value)).toBe(true);
    }
  });

  test('the decoder returns uncompressed keys, values and header values as views of the input buffer', () => {
    const batch = encodeRecordBatch(
      [{ key: 'key', value: 'value', headers: [{ key: 'h', value: 'header value' }], timestamp: 1 }],
    );
    const record = decodeRecordBatch(batch).records[0]!;
    for (const view of [record.key!, record.value!, record.headers[0]!.value!]) {
      expect(view.buffer).toBe(batch.buffer);
      expect(view.byteOffset).toBeGreaterThanOrEqual(batch.byteOffset + RECORDS_OFFSET);
      expect(view.byteOffset + view.length).toBeLessThanOrEqual(batch.byteOffset + batch.length);
    }
    // Writing through the input shows up in the decoded value: it is shared memory, not a copy.
    batch[batch.indexOf('value')] = 0x56;
    expect(record.value!.toString()).toBe('Value');
  });

  test('two batches laid end to end are validated and decoded at their positions', () => {
    const first = encodeRecordBatch([{ value: 'one', timestamp: 1 }], { baseOffset: 0 });
    const second = encodeRecordBatch([{ value: 'two', timestamp: 2 }, { value: 'three', timestamp: 3 }], {
      baseOffset: 1,
      compression: 'lz4',
    });
    const buffer = Buffer.concat([first, second]);
    expect(validateRecordBatch(buffer, 0)).toBe(first.length);
    expect(validateRecordBatch(buffer, first.length)).toBe(second.length);
    expect(decodeRecordBatch(buffer, 0).records.map((record) => record.value!.toString())).toEqual(['one']);
    const decoded = decodeRecordBatch(buffer, first.length);
    expect(decoded.records.map((record) => [record.offset, record.value!.toString()])).toEqual([
      [1, 'two'],
      [2, 'three'],
    ]);
  });

  test('random record lists round trip with none, lz4 and gzip', () => {
    const bytes = fc.uint8Array({ maxLength: 40 }).map((array) => Buffer.from(array));
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const nullable = fc.option(fc.oneof(bytes, text), { nil: null });
    const header = fc.record({ key: text, value: nullable });
    const record = fc.record({
      key: nullable,
      value: nullable,
      headers: fc.array(header, { maxLength: 4 }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    });
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 50 }),
        fc.constantFrom<CompressionCodec>('none', 'lz4', 'gzip'),
        fc.integer({ min: 0, max: 2 ** 50 }),
        (records, compression, baseOffset) => {
          const batch = encodeRecordBatch(records, { compression, baseOffset });
          expect(validateRecordBatch(batch)).toBe(batch.length);
          const decoded = decodeRecordBatch(batch);
          expect(plain(decoded.records)).toEqual(plain(expectedRecords(records, baseOffset, 0)));
          expect(decoded.header.recordsCount).toBe(records.length);
          expect(decoded.header.lastOffsetDelta).toBe(records.length - 1);
          expect(decoded.header.baseTimestamp).toBe(records[0]!.timestamp);
          expect(decoded.header.maxTimestamp).toBe(Math.max(...records.map((input) => input.timestamp)));
        },
      ),
      { seed: 0x5eed_0301, numRuns: 150 },
    );
  });
});

describe('validateRecordBatch and decodeRecordBatch on corrupt batches', () => {
  test('a batch cut short at any length raises BATCH_TOO_SHORT under 61 bytes and BAD_BATCH_LENGTH above', () => {
    const batch = workedExample();
    for (let length = 0; length < batch.length; length++) {
      const truncated = batch.subarray(0, length);
      const expected = length < RECORD_BATCH_OVERHEAD ? 'BATCH_TOO_SHORT' : 'BAD_BATCH_LENGTH';
      expect(corruptCode(() => validateRecordBatch(truncated))).toBe(expected);
      expect(corruptCode(() => decodeRecordBatch(truncated))).toBe(expected);
    }
  });

  test('a batchLength larger than the bytes present raises BAD_BATCH_LENGTH', () => {
    const batch = workedExample();
    for (const batchLength of [62, 1000, 0x7fffffff]) {
      batch.writeInt32BE(batchLength, BATCH_LENGTH_OFFSET);
      expect(corruptCode(() => validateRecordBatch(batch))).toBe('BAD_BATCH_LENGTH');
    }
  });

  test('a batchLength smaller than the header or negative raises BAD_BATCH_LENGTH', () => {
    const batch = workedExample();
    for (const batchLength of [48, 0, -1, -0x80000000]) {
      batch.writeInt32BE(batchLength, BATCH_LENGTH_OFFSET);
      expect(corruptCode(() => validateRecordBatch(batch))).toBe('BAD_BATCH_LENGTH');
    }
  });

  test('a magic other than 2 raises BAD_MAGIC', () => {
    for (const magic of [0, 1, 3, 0xff]) {
      const batch = workedExample();
      batch[MAGIC_OFFSET] = magic;
      expect(corruptCode(() => validateRecordBatch(batch))).toBe('BAD_MAGIC');
    }
  });

  test('any single flipped bit from the CRC to the end of the batch raises CRC_MISMATCH', () => {
    const original = workedExample();
    for (let position = CRC_OFFSET; position < original.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const batch = Buffer.from(original);
        batch[position] = batch[position]! ^ (1 << bit);
        expect(corruptCode(() => validateRecordBatch(batch))).toBe('CRC_MISMATCH');
        expect(corruptCode(() => decodeRecordBatch(batch))).toBe('CRC_MISMATCH');
      }
    }
  });

  test('flipped bits in compressed batches raise CRC_MISMATCH', () => {
    for (const compression of ['lz4', 'gzip'] as const) {
      const original = encodeRecordBatch(
        [{ key: 'k', value: prng.compressibleBytes(3000), headers: [{ key: 'h', value: null }], timestamp: 9 }],
        { compression },
      );
      for (let trial = 0; trial < 200; trial++) {
        const batch = Buffer.from(original);
        const position = CRC_COVERED_OFFSET + prng.nextInt(batch.length - CRC_COVERED_OFFSET);
        batch[position] = batch[position]! ^ (1 << prng.nextInt(8));
        expect(corruptCode(() => validateRecordBatch(batch))).toBe('CRC_MISMATCH');
      }
    }
  });

  test('a new baseOffset and partitionLeaderEpoch keep the CRC valid', () => {
    const batch = encodeRecordBatch([{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 2 }]);
    const crc = batch.readUInt32BE(CRC_OFFSET);
    batch.writeBigInt64BE(123_456_789_012n, 0);
    batch.writeInt32BE(17, PARTITION_LEADER_EPOCH_OFFSET);
    expect(validateRecordBatch(batch)).toBe(batch.length);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header.crc).toBe(crc);
    expect(decoded.header.partitionLeaderEpoch).toBe(17);
    expect(decoded.records.map((record) => record.offset)).toEqual([123_456_789_012, 123_456_789_013]);
  });

  test('codec ids 5, 6 and 7 raise UNKNOWN_CODEC even with a valid CRC', () => {
    for (const codec of [5, 6, 7]) {
      const batch = workedExample();
      batch[ATTRIBUTES_OFFSET + 1] = (batch[ATTRIBUTES_OFFSET + 1]! & ~0x07) | codec;
      recomputeCrc(batch);
      expect(corruptCode(() => validateRecordBatch(batch))).toBe('UNKNOWN_CODEC');
      expect(corruptCode(() => decodeRecordBatch(batch))).toBe('UNKNOWN_CODEC');
    }
  });

  test('snappy and zstd batches validate but raise UNSUPPORTED_CODEC when their records are decoded', () => {
    for (const codec of [2, 4]) {
      const batch = encodeRecordBatch([{ value: 'v', timestamp: 1 }], { compression: 'lz4' });
      batch[ATTRIBUTES_OFFSET + 1] = (batch[ATTRIBUTES_OFFSET + 1]! & ~0x07) | codec;
      recomputeCrc(batch);
      expect(validateRecordBatch(batch)).toBe(batch.length);
      expect(corruptCode(() => decodeRecordBatch(batch))).toBe('UNSUPPORTED_CODEC');
    }
  });

  test('a recordsCount below the records present raises RECORD_COUNT_MISMATCH at decode', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { timestamp: 1 });
    for (const count of [2, 0]) {
      batch.writeInt32BE(count, RECORDS_COUNT_OFFSET);
      recomputeCrc(batch);
      expect(validateRecordBatch(batch)).toBe(batch.length);
      expect(corruptCode(() => decodeRecordBatch(batch))).toBe('RECORD_COUNT_MISMATCH');
    }
  });

  test('a recordsCount above the records present raises RECORD_COUNT_MISMATCH at decode', () => {
    for (const compression of CODECS) {
      const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { timestamp: 1, compression });
      batch.writeInt32BE(4, RECORDS_COUNT_OFFSET);
      batch.writeInt32BE(3, LAST_OFFSET_DELTA_OFFSET);
      recomputeCrc(batch);
      expect(validateRecordBatch(batch)).toBe(batch.length);
      expect(corruptCode(() => decodeRecordBatch(batch))).toBe('RECORD_COUNT_MISMATCH');
    }
  });

  test('a recordsCount that disagrees with lastOffsetDelta, or is negative, raises RECORD_COUNT_MISMATCH', () => {
    for (const count of [4, -1]) {
      const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { timestamp: 1 });
      batch.writeInt32BE(count, RECORDS_COUNT_OFFSET);
      recomputeCrc(batch);
      expect(corruptCode(() => validateRecordBatch(batch))).toBe('RECORD_COUNT_MISMATCH');
    }
  });

  test('a record length that overruns the records section raises TRUNCATED_RECORD', () => {
    const batch = workedExample();
    expect(batch[RECORDS_OFFSET]).toBe(0x16); // length 11
    for (const lengthByte of [0x18, 0x7e]) {
      batch[RECORDS_OFFSET] = lengthByte;
      recomputeCrc(batch);
      expect(corruptCode(() => decodeRecordBatch(batch))).toBe('TRUNCATED_RECORD');
    }
  });

  test('a record length varint that runs past the end of the section raises TRUNCATED_RECORD', () => {
    // The last record's length byte gets its continuation bit, and nothing follows the section.
    const batch = Buffer.concat([workedExample().subarray(0, RECORDS_OFFSET), Buffer.from([0x96])]);
    batch.writeInt32BE(batch.length - 12, BATCH_LENGTH_OFFSET);
    recomputeCrc(batch);
    expect(corruptCode(() => decodeRecordBatch(batch))).toBe('TRUNCATED_RECORD');
  });

  test('a key length that overruns its record raises TRUNCATED_RECORD', () => {
    const batch = workedExample();
    const keyLengthPosition = RECORDS_OFFSET + 4; // length, attributes, timestampDelta, offsetDelta
    expect(batch[keyLengthPosition]).toBe(0x01); // null key
    batch[keyLengthPosition] = 0x14; // 10 bytes, past the record's 11-byte body
    recomputeCrc(batch);
    expect(corruptCode(() => decodeRecordBatch(batch))).toBe('TRUNCATED_RECORD');
  });

  test('a negative header count raises BAD_RECORD', () => {
    const batch = workedExample();
    batch[batch.length - 1] = 0x01; // headersCount -1
    recomputeCrc(batch);
    expect(corruptCode(() => decodeRecordBatch(batch))).toBe('BAD_RECORD');
  });

  test('offset deltas that do not increase raise BAD_RECORD', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { timestamp: 1 });
    // Each record is 8 bytes: length 7 (0e), attributes, timestampDelta, offsetDelta, key length -1,
    // value length 1, the value byte, headers count 0.
    const secondOffsetDelta = RECORDS_OFFSET + 8 + 3;
    expect(batch[secondOffsetDelta]).toBe(0x02);
    batch[secondOffsetDelta] = 0x00;
    recomputeCrc(batch);
    expect(corruptCode(() => decodeRecordBatch(batch))).toBe('BAD_RECORD');
  });

  test('a decompressed records section over the limit raises DECOMPRESSED_TOO_LARGE', () => {
    for (const compression of ['lz4', 'gzip'] as const) {
      const batch = encodeRecordBatch([{ value: Buffer.alloc(1024 * 1024, 0x61), timestamp: 1 }], { compression });
      expect(batch.length).toBeLessThan(64 * 1024);
      const code = corruptCode(() => decodeRecordBatch(batch, 0, { decompressedBytesLimit: 100 * 1024 }));
      expect(code).toBe('DECOMPRESSED_TOO_LARGE');
    }
  });

  test('crcChecked skips the CRC check but not the length and magic checks', () => {
    const batch = workedExample();
    batch[CRC_OFFSET] = batch[CRC_OFFSET]! ^ 0xff;
    expect(decodeRecordBatch(batch, 0, { crcChecked: true }).records[0]!.value!.toString()).toBe('hello');
    batch[MAGIC_OFFSET] = 1;
    expect(corruptCode(() => decodeRecordBatch(batch, 0, { crcChecked: true }))).toBe('BAD_MAGIC');
  });
});
