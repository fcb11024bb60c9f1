import { assert } from '../core/assert.js';
import { CorruptRecordError } from '../core/errors.js';
import { MiB } from '../core/units.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CODEC_MASK,
  CODEC_NONE,
  CODEC_SNAPPY,
  CODEC_ZSTD,
  CONTROL_MASK,
  CRC_COVERED_OFFSET,
  CRC_OFFSET,
  DELETE_HORIZON_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from './batch-layout.js';
import { codecId, codecName, compressRecords, decompressRecords } from './compression.js';
import { crc32c } from './crc32c.js';
import { readInt64, writeInt64 } from './int64.js';
import type { CompressionCodec, Record, RecordHeader, RecordInput } from './record.js';
import { walkRecords } from './record-walk.js';
import { sectionScratch } from './section-scratch.js';
import { ByteCursor, readVarint, readVarlong, varintBytes, varlongBytes, writeVarint, writeVarlong } from './varint.js';

/**
 * Encode, validate and decode Kafka RecordBatch v2 (layout in batch-layout.ts). Pure: no I/O.
 *
 * Decoding never trusts a length: batchLength is checked against the bytes present before any
 * slice, every record length against its batch, every varint against its record, and the
 * decompressed size against a limit before the output is allocated.
 */

export interface BatchHeader {
  readonly baseOffset: number;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

export interface EncodeBatchOptions {
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionCodec;
  /** Timestamp for records that carry none; defaults to Date.now() once per batch. */
  readonly timestamp?: number;
  readonly logAppendTime?: boolean;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly transactional?: boolean;
  /** Compaction: lastOffsetDelta to keep when records were removed from the batch. */
  readonly lastOffsetDelta?: number;
  /** Compaction (KIP-534): written as baseTimestamp with attribute bit 6 set. */
  readonly deleteHorizonMs?: number;
}

/** Default cap on a decompressed records section: a zip bomb fails before it allocates. */
export const DECOMPRESSED_BYTES_LIMIT_DEFAULT = 64 * MiB;

const EMPTY_HEADERS: ReadonlyArray<RecordHeader> = Object.freeze([]);

// Per-record scratch sizes for the encoder's two passes, grown on demand and reused.
let scratchBodyBytes = new Int32Array(1024);
let scratchKeyBytes = new Int32Array(1024);
let scratchValueBytes = new Int32Array(1024);

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return -1;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function writeBytes(target: Buffer, value: Buffer | string, position: number, length: number): number {
  if (typeof value === 'string') target.write(value, position, length, 'utf8');
  // TypedArray#set is a plain memcpy; Buffer#copy goes through a slower generic path.
  else target.set(value, position);
  return position + length;
}

/** Encode records into one v2 batch. Offsets are relative: record i gets offsetDelta i by default. */
export function encodeRecordBatch(records: ReadonlyArray<RecordInput>, options: EncodeBatchOptions = {}): Buffer {
  if (codecId(options.compression ?? 'none') === CODEC_NONE) {
    // Plain: the records are written straight into the batch, behind room for its header.
    const { target, values } = writeRecordsSection(records, options, allocateBatch, RECORDS_OFFSET);
    writeBatchHeader(target, options, values);
    return target;
  }
  // Compressed: the section is only the compressor's input, so it goes into the thread's scratch.
  const { target, values } = writeRecordsSection(records, options, sectionScratch, 0);
  return sealRecordBatch(target, options, values);
}

function allocateBatch(sectionBytes: number): Buffer {
  return Buffer.allocUnsafe(RECORDS_OFFSET + sectionBytes);
}

export interface WrittenSection {
  /** The buffer `allocate` returned, with the records section at [offset, offset + sectionBytes). */
  readonly target: Buffer;
  readonly sectionBytes: number;
  /** What the batch header needs, codec included (from options.compression). */
  readonly values: BatchHeaderValues;
}

/**
 * The encoder's two passes over `records`: sizes first, then the uncompressed records section,
 * written at `offset` of the Buffer that `allocate(sectionBytes)` returns (which must hold
 * offset + sectionBytes bytes). No header is written and nothing is compressed: encodeRecordBatch
 * and the pool (which compresses on a worker) each finish the batch their way.
 */
export function writeRecordsSection(
  records: ReadonlyArray<RecordInput>,
  options: EncodeBatchOptions,
  allocate: (sectionBytes: number) => Buffer,
  offset: number,
): WrittenSection {
  const count = records.length;
  if (scratchBodyBytes.length < count) {
    const capacity = Math.max(count, scratchBodyBytes.length * 2);
    scratchBodyBytes = new Int32Array(capacity);
    scratchKeyBytes = new Int32Array(capacity);
    scratchValueBytes = new Int32Array(capacity);
  }
  const defaultTimestamp = options.timestamp ?? Date.now();
  const firstTimestamp = count > 0 ? (records[0]!.timestamp ?? defaultTimestamp) : defaultTimestamp;
  const baseTimestamp = options.deleteHorizonMs ?? firstTimestamp;
  let maxTimestamp = -1;
  let lastOffsetDelta = count - 1;
  let sectionBytes = 0;
  for (let index = 0; index < count; index++) {
    const record = records[index]!;
    const timestamp = record.timestamp ?? defaultTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const offsetDelta = record.offsetDelta ?? index;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
    const keyBytes = byteLength(record.key);
    const valueBytes = byteLength(record.value);
    let bodyBytes =
      1 +
      varlongBytes(timestamp - baseTimestamp) +
      varintBytes(offsetDelta) +
      varintBytes(keyBytes) +
      Math.max(keyBytes, 0) +
      varintBytes(valueBytes) +
      Math.max(valueBytes, 0);
    const headers = record.headers;
    const headerCount = headers === undefined ? 0 : headers.length;
    bodyBytes += varintBytes(headerCount);
    for (let headerIndex = 0; headerIndex < headerCount; headerIndex++) {
      const header = headers![headerIndex]!;
      const headerKeyBytes = Buffer.byteLength(header.key);
      const headerValueBytes = byteLength(header.value);
      bodyBytes +=
        varintBytes(headerKeyBytes) + headerKeyBytes + varintBytes(headerValueBytes) + Math.max(headerValueBytes, 0);
    }
    scratchBodyBytes[index] = bodyBytes;
    scratchKeyBytes[index] = keyBytes;
    scratchValueBytes[index] = valueBytes;
    sectionBytes += varintBytes(bodyBytes) + bodyBytes;
  }
  if (options.lastOffsetDelta !== undefined) lastOffsetDelta = options.lastOffsetDelta;
  if (lastOffsetDelta < 0) {
    throw new CorruptRecordError('BAD_RECORD', 'an empty batch needs options.lastOffsetDelta (the offsets it spans)');
  }
  if (count === 0) maxTimestamp = options.timestamp ?? -1;

  const codec = codecId(options.compression ?? 'none');
  const target = allocate(sectionBytes);
  assert(target.length >= offset + sectionBytes, `a section of ${sectionBytes} bytes at ${offset} in ${target.length}`);
  let position = offset;
  for (let index = 0; index < count; index++) {
    const record = records[index]!;
    const timestamp = record.timestamp ?? defaultTimestamp;
    position = writeVarint(target, scratchBodyBytes[index]!, position);
    target[position++] = 0;
    position = writeVarlong(target, timestamp - baseTimestamp, position);
    position = writeVarint(target, record.offsetDelta ?? index, position);
    const keyBytes = scratchKeyBytes[index]!;
    position = writeVarint(target, keyBytes, position);
    if (keyBytes >= 0) position = writeBytes(target, record.key!, position, keyBytes);
    const valueBytes = scratchValueBytes[index]!;
    position = writeVarint(target, valueBytes, position);
    if (valueBytes >= 0) position = writeBytes(target, record.value!, position, valueBytes);
    const headers = record.headers;
    const headerCount = headers === undefined ? 0 : headers.length;
    position = writeVarint(target, headerCount, position);
    for (let headerIndex = 0; headerIndex < headerCount; headerIndex++) {
      const header = headers![headerIndex]!;
      const headerKeyBytes = Buffer.byteLength(header.key);
      position = writeVarint(target, headerKeyBytes, position);
      position = writeBytes(target, header.key, position, headerKeyBytes);
      const headerValueBytes = byteLength(header.value);
      position = writeVarint(target, headerValueBytes, position);
      if (headerValueBytes >= 0) position = writeBytes(target, header.value!, position, headerValueBytes);
    }
  }
  assert(position === offset + sectionBytes, `the records section took ${position - offset} of ${sectionBytes} bytes`);
  return { target, sectionBytes, values: { codec, count, lastOffsetDelta, baseTimestamp, maxTimestamp } };
}

/**
 * Finish a batch from its uncompressed records section: compress it with `values.codec`, then
 * write the header and CRC-32C in front. The section is only read (it may be a scratch buffer
 * or one to reuse); the output is a new standalone-or-pooled Buffer that shares no memory with it.
 */
export function sealRecordBatch(section: Buffer, options: EncodeBatchOptions, values: BatchHeaderValues): Buffer {
  let output: Buffer;
  if (values.codec === CODEC_NONE) {
    output = Buffer.allocUnsafe(RECORDS_OFFSET + section.length);
    output.set(section, RECORDS_OFFSET);
  } else {
    const compressed = compressRecords(values.codec, section);
    output = Buffer.allocUnsafe(RECORDS_OFFSET + compressed.length);
    output.set(compressed, RECORDS_OFFSET);
  }
  writeBatchHeader(output, options, values);
  return output;
}

/** Header fields an encoder computes from its records; the rest come from EncodeBatchOptions. */
export interface BatchHeaderValues {
  readonly codec: number;
  readonly count: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
}

/** Write the 61-byte header of `output` (records already in place) and its CRC-32C. */
export function writeBatchHeader(output: Buffer, options: EncodeBatchOptions, values: BatchHeaderValues): void {
  const { codec, count, lastOffsetDelta, baseTimestamp, maxTimestamp } = values;
  let attributes = codec;
  if (options.logAppendTime === true) attributes |= TIMESTAMP_TYPE_MASK;
  if (options.transactional === true) attributes |= TRANSACTIONAL_MASK;
  if (options.deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_MASK;
  writeInt64(output, options.baseOffset ?? 0, 0);
  output.writeInt32BE(output.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  output.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  output[MAGIC_OFFSET] = MAGIC_V2;
  output.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  output.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(output, count === 0 && options.deleteHorizonMs === undefined ? -1 : baseTimestamp, BASE_TIMESTAMP_OFFSET);
  writeInt64(output, maxTimestamp, MAX_TIMESTAMP_OFFSET);
  writeInt64(output, options.producerId ?? NO_PRODUCER_ID, PRODUCER_ID_OFFSET);
  output.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  output.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  output.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  output.writeUInt32BE(crc32c(output, CRC_COVERED_OFFSET, output.length), CRC_OFFSET);
}

/** Read the 61-byte header at `position`. Checks only that 61 bytes are present. */
export function readBatchHeader(buffer: Buffer, position = 0): BatchHeader {
  if (buffer.length - position < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(
      'BATCH_TOO_SHORT',
      `record batch at byte ${position} has ${buffer.length - position} bytes, under the 61-byte header`,
    );
  }
  return {
    baseOffset: readInt64(buffer, position),
    batchLength: buffer.readInt32BE(position + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buffer.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buffer.readInt8(position + MAGIC_OFFSET),
    crc: buffer.readUInt32BE(position + CRC_OFFSET),
    attributes: buffer.readInt16BE(position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buffer.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buffer, position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buffer, position + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buffer, position + PRODUCER_ID_OFFSET),
    producerEpoch: buffer.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buffer.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordsCount: buffer.readInt32BE(position + RECORDS_COUNT_OFFSET),
  };
}

/**
 * Size in bytes of the batch starting at `position`, checked against the bytes present and the
 * header size, or a CorruptRecordError. Reads only bytes 8..11 and 16.
 */
export function checkedBatchBytes(buffer: Buffer, position: number, end: number): number {
  const available = end - position;
  if (available < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(
      'BATCH_TOO_SHORT',
      `record batch at byte ${position} has ${available} bytes, under the 61-byte header`,
    );
  }
  const batchLength = buffer.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD || batchLength > available - LOG_OVERHEAD) {
    throw new CorruptRecordError(
      'BAD_BATCH_LENGTH',
      `record batch at byte ${position} declares batchLength ${batchLength}; ` +
        `it must be between ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD} and the ${available - LOG_OVERHEAD} bytes present`,
    );
  }
  const magic = buffer[position + MAGIC_OFFSET]!;
  if (magic !== MAGIC_V2) {
    throw new CorruptRecordError('BAD_MAGIC', `record batch at byte ${position} has magic ${magic}; only magic 2 is supported`);
  }
  return batchLength + LOG_OVERHEAD;
}

/**
 * Validate one batch without decoding its records: length fields against the bytes present,
 * magic, CRC-32C over attributes..end, codec id, record count and offset delta.
 * Returns the batch's size in bytes.
 */
export function validateRecordBatch(buffer: Buffer, position = 0, end = buffer.length): number {
  const batchBytes = checkedBatchBytes(buffer, position, end);
  const batchEnd = position + batchBytes;
  const stored = buffer.readUInt32BE(position + CRC_OFFSET);
  const computed = crc32c(buffer, position + CRC_COVERED_OFFSET, batchEnd);
  if (stored !== computed) {
    throw new CorruptRecordError(
      'CRC_MISMATCH',
      `record batch at byte ${position} fails its CRC-32C (stored ${hex(stored)}, computed ${hex(computed)})`,
    );
  }
  codecName(buffer.readInt16BE(position + ATTRIBUTES_OFFSET) & CODEC_MASK);
  const count = buffer.readInt32BE(position + RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = buffer.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
  if (count < 0 || lastOffsetDelta < 0 || (count > 0 && lastOffsetDelta < count - 1)) {
    throw new CorruptRecordError(
      'RECORD_COUNT_MISMATCH',
      `record batch at byte ${position} has recordsCount ${count} and lastOffsetDelta ${lastOffsetDelta}`,
    );
  }
  return batchBytes;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

export interface DecodeOptions {
  readonly decompressedBytesLimit?: number;
  /** Skip the CRC check when the caller has just validated the batch. */
  readonly crcChecked?: boolean;
}

export interface DecodedBatch {
  readonly header: BatchHeader;
  readonly records: Record[];
}

/** Decode the batch at `position` (CRC-checked unless told otherwise) into its records. */
export function decodeRecordBatch(buffer: Buffer, position = 0, options: DecodeOptions = {}): DecodedBatch {
  const batchBytes =
    options.crcChecked === true
      ? checkedBatchBytes(buffer, position, buffer.length)
      : validateRecordBatch(buffer, position, buffer.length);
  const header = readBatchHeader(buffer, position);
  if (header.recordsCount < 0) {
    throw new CorruptRecordError('RECORD_COUNT_MISMATCH', `record batch at byte ${position} has a negative recordsCount`);
  }
  const records: Record[] = new Array<Record>(header.recordsCount);
  forEachRecord(buffer, position, batchBytes, options.decompressedBytesLimit ?? DECOMPRESSED_BYTES_LIMIT_DEFAULT, (
    record,
    index,
  ) => {
    records[index] = record;
  });
  return { header, records };
}

/** The records section of a batch, decompressed if need be (a slice of `buffer` when plain). */
export function recordsSection(buffer: Buffer, position: number, batchBytes: number, limit: number): Buffer {
  const codec = buffer.readInt16BE(position + ATTRIBUTES_OFFSET) & CODEC_MASK;
  const raw = buffer.subarray(position + RECORDS_OFFSET, position + batchBytes);
  return codec === CODEC_NONE ? raw : decompressRecords(codec, raw, limit);
}

/** walkProducedBatch's answer for snappy and zstd batches: stored as sent, records not walked. */
export const SEALED_RECORDS = -1;

/**
 * The record check of an append: forEachRecord without a visitor, except that snappy and zstd
 * batches, which Brook cannot decompress, are accepted as they are (their CRC-32C, checked
 * before, covers every byte) and answer SEALED_RECORDS instead of a null-key count.
 */
export function walkProducedBatch(buffer: Buffer, position: number, batchBytes: number, limit: number): number {
  const codec = buffer.readInt16BE(position + ATTRIBUTES_OFFSET) & CODEC_MASK;
  if (codec === CODEC_SNAPPY || codec === CODEC_ZSTD) return SEALED_RECORDS;
  return forEachRecord(buffer, position, batchBytes, limit);
}

/**
 * Walk and check every record of a validated batch: lengths, varints, offset deltas strictly
 * increasing and within lastOffsetDelta, the count matching recordsCount, the section fully used.
 * With a visitor, each record is materialised; without one, the tight walk of record-walk.ts
 * checks the same rules and allocates nothing per record.
 * Returns the number of records with a null key (compacted topics refuse them).
 */
export function forEachRecord(
  buffer: Buffer,
  position: number,
  batchBytes: number,
  decompressedBytesLimit: number,
  visit?: (record: Record, index: number) => void,
): number {
  const attributes = buffer.readInt16BE(position + ATTRIBUTES_OFFSET);
  const count = buffer.readInt32BE(position + RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = buffer.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
  const baseOffset = readInt64(buffer, position);
  const baseTimestamp = readInt64(buffer, position + BASE_TIMESTAMP_OFFSET);
  const logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const maxTimestamp = logAppendTime ? readInt64(buffer, position + MAX_TIMESTAMP_OFFSET) : 0;
  const section = recordsSection(buffer, position, batchBytes, decompressedBytesLimit);
  if (visit === undefined) return walkRecords(section, count, lastOffsetDelta, baseOffset);
  const cursor = new ByteCursor(section, 0, section.length);
  let previousOffsetDelta = -1;
  let nullKeyCount = 0;
  for (let index = 0; index < count; index++) {
    cursor.end = section.length;
    if (cursor.position >= section.length) {
      throw new CorruptRecordError(
        'RECORD_COUNT_MISMATCH',
        `batch at base offset ${baseOffset} declares ${count} records but its section holds ${index}`,
      );
    }
    const bodyBytes = readVarint(cursor);
    const bodyStart = cursor.position;
    const bodyEnd = bodyStart + bodyBytes;
    if (bodyBytes < 1 || bodyEnd > section.length) {
      throw new CorruptRecordError(
        'TRUNCATED_RECORD',
        `record ${index} of batch at base offset ${baseOffset} declares ${bodyBytes} bytes; ` +
          `${section.length - bodyStart} remain`,
      );
    }
    // The same cursor walks the body, bounded by the record's own length; attributes are skipped.
    cursor.end = bodyEnd;
    cursor.position = bodyStart + 1;
    const timestampDelta = readVarlong(cursor);
    const offsetDelta = readVarint(cursor);
    if (offsetDelta <= previousOffsetDelta || offsetDelta > lastOffsetDelta) {
      throw new CorruptRecordError(
        'BAD_RECORD',
        `record ${index} of batch at base offset ${baseOffset} has offsetDelta ${offsetDelta} ` +
          `(previous ${previousOffsetDelta}, lastOffsetDelta ${lastOffsetDelta})`,
      );
    }
    previousOffsetDelta = offsetDelta;
    const key = readNullableBytes(cursor, 'key');
    if (key === null) nullKeyCount++;
    const value = readNullableBytes(cursor, 'value');
    const headerCount = readVarint(cursor);
    if (headerCount < 0) throw new CorruptRecordError('BAD_RECORD', `record has a negative header count ${headerCount}`);
    let headers = EMPTY_HEADERS;
    if (headerCount > 0) {
      const list = new Array<RecordHeader>(headerCount);
      for (let headerIndex = 0; headerIndex < headerCount; headerIndex++) {
        const headerKey = readNullableBytes(cursor, 'header key');
        if (headerKey === null) throw new CorruptRecordError('BAD_RECORD', 'a record header key may not be null');
        list[headerIndex] = { key: headerKey.toString('utf8'), value: readNullableBytes(cursor, 'header value') };
      }
      headers = list;
    }
    if (cursor.position !== bodyEnd) {
      throw new CorruptRecordError(
        'BAD_RECORD',
        `record ${index} of batch at base offset ${baseOffset} uses ${cursor.position - bodyStart} ` +
          `of its ${bodyBytes} declared bytes`,
      );
    }
    visit(
      {
        offset: baseOffset + offsetDelta,
        timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      },
      index,
    );
  }
  if (cursor.position !== section.length) {
    throw new CorruptRecordError(
      'RECORD_COUNT_MISMATCH',
      `batch at base offset ${baseOffset} has ${section.length - cursor.position} bytes after its ${count} records`,
    );
  }
  return nullKeyCount;
}

/** A length-prefixed field as a slice of the section, or null. */
function readNullableBytes(cursor: ByteCursor, what: string): Buffer | null {
  const length = readVarint(cursor);
  if (length === -1) return null;
  if (length < -1 || cursor.position + length > cursor.end) {
    throw new CorruptRecordError(
      'TRUNCATED_RECORD',
      `record ${what} length ${length} runs past the end of its record (${cursor.end - cursor.position} bytes left)`,
    );
  }
  const start = cursor.position;
  cursor.position += length;
  return cursor.buffer.subarray(start, start + length);
}

export function isControlBatch(buffer: Buffer, position = 0): boolean {
  return (buffer.readInt16BE(position + ATTRIBUTES_OFFSET) & CONTROL_MASK) !== 0;
}

export function batchCodec(buffer: Buffer, position = 0): CompressionCodec {
  return codecName(buffer.readInt16BE(position + ATTRIBUTES_OFFSET) & CODEC_MASK);
}
