import { CorruptRecordError } from '../core/errors.js';
import { INT32_MAX } from '../core/units.js';
import {
  ATTRIBUTES_OFFSET,
  CODEC_MASK,
  CODEC_NONE,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
} from '../records/batch-layout.js';
import {
  checkedBatchBytes,
  DECOMPRESSED_BYTES_LIMIT_DEFAULT,
  readBatchHeader,
  recordsSection,
  validateRecordBatch,
} from '../records/record-batch.js';
import { ByteCursor, readVarint, readVarlong } from '../records/varint.js';

/**
 * Columnar decode of stored batches: every record of every batch in `bytes`, as number columns
 * over two byte buffers, so that a worker can hand the result back with a handful of transfers
 * and the main thread can build each Record from subarray views without copying a byte.
 *
 * Positions are "virtual": a position below `split` (= bytes.length) lies in `bytes`, the input,
 * whose plain records sections are used in place; a position at or above it lies in `inflated`,
 * the decompressed sections of compressed batches laid end to end, at (position - split).
 *
 * | column       | type    | per entry                                                        |
 * |--------------|---------|------------------------------------------------------------------|
 * | offsets      | float64 | baseOffset + offsetDelta                                         |
 * | timestamps   | float64 | baseTimestamp + timestampDelta, or maxTimestamp (LogAppendTime)  |
 * | fields       | int32×6 | keyStart, keyBytes, valueStart, valueBytes, headerFirst, headerCount |
 * | headerFields | int32×4 | keyStart, keyBytes, valueStart, valueBytes                       |
 * | batches      | int32×4 | position, batchBytes, firstRecord, recordCount                   |
 *
 * Empty columns may share one zero-length buffer; a worker transfers only non-empty buffers.
 * A length of -1 means null. The checks, their order and their error codes and messages are
 * those of decodeRecordBatch + forEachRecord applied batch after batch (a property test compares
 * the two on valid and on corrupted input); the input must hold whole batches only.
 */

export const DECODED_RECORD_FIELDS = 6;
export const DECODED_KEY_START = 0;
export const DECODED_KEY_BYTES = 1;
export const DECODED_VALUE_START = 2;
export const DECODED_VALUE_BYTES = 3;
export const DECODED_HEADER_FIRST = 4;
export const DECODED_HEADER_COUNT = 5;
export const DECODED_HEADER_FIELDS = 4;
export const DECODED_BATCH_FIELDS = 4;

/** The smallest record a section can hold: length, attributes, 2 deltas, 2 lengths, header count. */
const RECORD_BYTES_MIN = 7;

export interface DecodedColumns {
  readonly recordCount: number;
  readonly headerCount: number;
  readonly batchCount: number;
  readonly split: number;
  readonly inflated: Uint8Array;
  readonly offsets: Float64Array;
  readonly timestamps: Float64Array;
  readonly fields: Int32Array;
  readonly headerFields: Int32Array;
  readonly batches: Int32Array;
}

export interface DecodeColumnsOptions {
  readonly decompressedBytesLimit?: number;
  /** Skip the CRC check when the caller has just validated these bytes (e.g. a segment read). */
  readonly crcChecked?: boolean;
}

const NO_FLOATS = new Float64Array(0);
const NO_INTS = new Int32Array(0);
const NO_BYTES = new Uint8Array(0);

/**
 * Growable columns; each grows by doubling, so appends are amortised O(1). They start empty (and
 * shared) so that a one-batch decode allocates each column once, at its exact bound: a decode's
 * fixed cost is mostly allocations (3 µs for a 1-record batch with 16-entry starting columns).
 */
class ColumnBuilder {
  recordCount = 0;
  headerCount = 0;
  offsets = NO_FLOATS;
  timestamps = NO_FLOATS;
  fields = NO_INTS;
  headerFields = NO_INTS;

  reserveRecords(extra: number): void {
    const needed = this.recordCount + extra;
    if (needed <= this.offsets.length) return;
    const capacity = Math.max(needed, this.recordCount === 0 ? 0 : this.offsets.length * 2);
    this.offsets = grow(this.offsets, new Float64Array(capacity));
    this.timestamps = grow(this.timestamps, new Float64Array(capacity));
    this.fields = grow(this.fields, new Int32Array(capacity * DECODED_RECORD_FIELDS));
  }

  reserveHeaders(extra: number): void {
    const needed = (this.headerCount + extra) * DECODED_HEADER_FIELDS;
    if (needed <= this.headerFields.length) return;
    const capacity = Math.max(needed, 16 * DECODED_HEADER_FIELDS, this.headerFields.length * 2);
    this.headerFields = grow(this.headerFields, new Int32Array(capacity));
  }
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

interface BatchWalk {
  readonly section: Buffer;
  /** Virtual position of section[0]. */
  readonly base: number;
  readonly position: number;
  readonly count: number;
  readonly lastOffsetDelta: number;
  readonly baseOffset: number;
  readonly baseTimestamp: number;
  /** The timestamp of every record under LogAppendTime, else null. */
  readonly appendTime: number | null;
}

/** Decode every batch in `bytes` into columns. Throws CorruptRecordError on any bad byte. */
export function decodeColumns(bytes: Buffer, options: DecodeColumnsOptions = {}): DecodedColumns {
  const limit = options.decompressedBytesLimit ?? DECOMPRESSED_BYTES_LIMIT_DEFAULT;
  const split = bytes.length;
  const builder = new ColumnBuilder();
  const batchList: number[] = [];
  const inflatedParts: Buffer[] = [];
  let inflatedBytes = 0;
  let position = 0;
  while (position < split) {
    const batchBytes =
      options.crcChecked === true
        ? checkedBatchBytes(bytes, position, split)
        : validateRecordBatch(bytes, position, split);
    const header = readBatchHeader(bytes, position);
    if (header.recordsCount < 0) {
      throw new CorruptRecordError(
        'RECORD_COUNT_MISMATCH',
        `record batch at byte ${position} has a negative recordsCount`,
      );
    }
    const section = recordsSection(bytes, position, batchBytes, limit);
    const plain = (bytes.readInt16BE(position + ATTRIBUTES_OFFSET) & CODEC_MASK) === CODEC_NONE;
    const base = plain ? position + RECORDS_OFFSET : split + inflatedBytes;
    if (!plain) {
      inflatedParts.push(section);
      inflatedBytes += section.length;
      // Virtual positions are int32 columns.
      if (split + inflatedBytes > INT32_MAX) {
        throw new CorruptRecordError(
          'DECOMPRESSED_TOO_LARGE',
          `batches at bytes 0..${position + batchBytes} decompress past ${INT32_MAX} bytes in all`,
        );
      }
    }
    const firstRecord = builder.recordCount;
    walkBatch(builder, {
      section,
      base,
      position,
      count: header.recordsCount,
      lastOffsetDelta: header.lastOffsetDelta,
      baseOffset: header.baseOffset,
      baseTimestamp: header.baseTimestamp,
      appendTime: (header.attributes & TIMESTAMP_TYPE_MASK) !== 0 ? header.maxTimestamp : null,
    });
    batchList.push(position, batchBytes, firstRecord, builder.recordCount - firstRecord);
    position += batchBytes;
  }
  let inflated: Uint8Array = NO_BYTES;
  if (inflatedBytes > 0) {
    inflated = Buffer.allocUnsafeSlow(inflatedBytes);
    let at = 0;
    for (const part of inflatedParts) {
      inflated.set(part, at);
      at += part.length;
    }
  }
  const { recordCount, headerCount } = builder;
  return {
    recordCount,
    headerCount,
    batchCount: batchList.length / DECODED_BATCH_FIELDS,
    split,
    inflated,
    offsets: exact(builder.offsets, recordCount),
    timestamps: exact(builder.timestamps, recordCount),
    fields: exact(builder.fields, recordCount * DECODED_RECORD_FIELDS),
    headerFields: exact(builder.headerFields, headerCount * DECODED_HEADER_FIELDS),
    batches: toInt32Array(batchList),
  };
}

/** The column cut to `length`; usually already exact (valid batches fill their bound), so no view. */
function exact<T extends Float64Array | Int32Array>(column: T, length: number): T {
  return column.length === length ? column : (column.subarray(0, length) as T);
}

/** A plain loop: `new Int32Array(array)` takes the iterator path and dominated small decodes. */
function toInt32Array(values: ReadonlyArray<number>): Int32Array {
  const out = new Int32Array(values.length);
  for (let index = 0; index < values.length; index++) out[index] = values[index]!;
  return out;
}

/** forEachRecord's walk and checks, writing columns instead of calling a visitor. */
function walkBatch(builder: ColumnBuilder, batch: BatchWalk): void {
  const { section, base, count, lastOffsetDelta, baseOffset } = batch;
  // A record takes at least 7 bytes, so this bound holds whatever recordsCount claims.
  builder.reserveRecords(Math.min(count, Math.floor(section.length / RECORD_BYTES_MIN)));
  const cursor = new ByteCursor(section, 0, section.length);
  let previousOffsetDelta = -1;
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
    const record = builder.recordCount;
    const at = record * DECODED_RECORD_FIELDS;
    const fields = builder.fields;
    readField(cursor, fields, at + DECODED_KEY_START, base, 'key');
    readField(cursor, fields, at + DECODED_VALUE_START, base, 'value');
    const headerCount = readVarint(cursor);
    if (headerCount < 0) {
      throw new CorruptRecordError('BAD_RECORD', `record has a negative header count ${headerCount}`);
    }
    fields[at + DECODED_HEADER_FIRST] = builder.headerCount;
    fields[at + DECODED_HEADER_COUNT] = headerCount;
    readHeaders(builder, cursor, headerCount, base);
    if (cursor.position !== bodyEnd) {
      throw new CorruptRecordError(
        'BAD_RECORD',
        `record ${index} of batch at base offset ${baseOffset} uses ${cursor.position - bodyStart} ` +
          `of its ${bodyBytes} declared bytes`,
      );
    }
    builder.offsets[record] = baseOffset + offsetDelta;
    builder.timestamps[record] = batch.appendTime ?? batch.baseTimestamp + timestampDelta;
    builder.recordCount = record + 1;
  }
  if (cursor.position !== section.length) {
    throw new CorruptRecordError(
      'RECORD_COUNT_MISMATCH',
      `batch at base offset ${baseOffset} has ${section.length - cursor.position} bytes after its ${count} records`,
    );
  }
}

function readHeaders(builder: ColumnBuilder, cursor: ByteCursor, headerCount: number, base: number): void {
  // Reserved one at a time: a lying headerCount fails on the bytes before it can allocate.
  for (let header = 0; header < headerCount; header++) {
    builder.reserveHeaders(1);
    const at = builder.headerCount * DECODED_HEADER_FIELDS;
    if (readField(cursor, builder.headerFields, at, base, 'header key') < 0) {
      throw new CorruptRecordError('BAD_RECORD', 'a record header key may not be null');
    }
    readField(cursor, builder.headerFields, at + 2, base, 'header value');
    builder.headerCount++;
  }
}

/** readNullableBytes, storing (start, length) at table[at], table[at + 1]; returns the length. */
function readField(cursor: ByteCursor, table: Int32Array, at: number, base: number, what: string): number {
  const length = readVarint(cursor);
  if (length === -1) {
    table[at] = 0;
    table[at + 1] = -1;
    return -1;
  }
  if (length < -1 || cursor.position + length > cursor.end) {
    throw new CorruptRecordError(
      'TRUNCATED_RECORD',
      `record ${what} length ${length} runs past the end of its record (${cursor.end - cursor.position} bytes left)`,
    );
  }
  table[at] = base + cursor.position;
  table[at + 1] = length;
  cursor.position += length;
  return length;
}
