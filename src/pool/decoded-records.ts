import type { Record, RecordHeader } from '../records/record.js';
import {
  DECODED_BATCH_FIELDS,
  DECODED_HEADER_COUNT,
  DECODED_HEADER_FIELDS,
  DECODED_HEADER_FIRST,
  DECODED_KEY_START,
  DECODED_RECORD_FIELDS,
  DECODED_VALUE_START,
  type DecodedColumns,
} from './decode-columns.js';

/**
 * The main thread's view of decoded columns (decode-columns.ts): records are built on demand,
 * their keys, values and header values as subarray views of `bytes` or of the inflated sections,
 * never copies. Reading only offsets and timestamps allocates nothing.
 *
 * Ownership: `bytes` is the buffer the records point into. After a decode on a worker it is the
 * caller's buffer transferred back (the one passed in was detached), so callers must use this
 * one from then on.
 */

const NO_HEADERS: ReadonlyArray<RecordHeader> = Object.freeze([]);

export interface DecodedBatchSpan {
  /** Byte position of the batch in `bytes`. */
  readonly position: number;
  readonly batchBytes: number;
  /** Index of the batch's first record in this view. */
  readonly firstRecord: number;
  readonly recordCount: number;
}

export class DecodedRecords implements Iterable<Record> {
  readonly recordCount: number;
  readonly batchCount: number;
  readonly bytes: Buffer;
  readonly #inflated: Buffer;
  readonly #columns: DecodedColumns;

  constructor(bytes: Buffer, columns: DecodedColumns) {
    this.bytes = bytes;
    this.#columns = columns;
    this.#inflated = Buffer.from(columns.inflated.buffer, columns.inflated.byteOffset, columns.inflated.byteLength);
    this.recordCount = columns.recordCount;
    this.batchCount = columns.batchCount;
  }

  offset(index: number): number {
    return this.#columns.offsets[index]!;
  }

  timestamp(index: number): number {
    return this.#columns.timestamps[index]!;
  }

  key(index: number): Buffer | null {
    return this.#slice(this.#columns.fields, index * DECODED_RECORD_FIELDS + DECODED_KEY_START);
  }

  value(index: number): Buffer | null {
    return this.#slice(this.#columns.fields, index * DECODED_RECORD_FIELDS + DECODED_VALUE_START);
  }

  headers(index: number): ReadonlyArray<RecordHeader> {
    const fields = this.#columns.fields;
    const count = fields[index * DECODED_RECORD_FIELDS + DECODED_HEADER_COUNT]!;
    if (count === 0) return NO_HEADERS;
    const first = fields[index * DECODED_RECORD_FIELDS + DECODED_HEADER_FIRST]!;
    const table = this.#columns.headerFields;
    const headers = new Array<RecordHeader>(count);
    for (let header = 0; header < count; header++) {
      const at = (first + header) * DECODED_HEADER_FIELDS;
      headers[header] = { key: this.#slice(table, at)!.toString('utf8'), value: this.#slice(table, at + 2) };
    }
    return headers;
  }

  /** The record at `index`, shaped as decodeRecordBatch returns it. */
  record(index: number): Record {
    return {
      offset: this.offset(index),
      timestamp: this.timestamp(index),
      key: this.key(index),
      value: this.value(index),
      headers: this.headers(index),
    };
  }

  toArray(): Record[] {
    const records = new Array<Record>(this.recordCount);
    for (let index = 0; index < this.recordCount; index++) records[index] = this.record(index);
    return records;
  }

  batch(index: number): DecodedBatchSpan {
    const batches = this.#columns.batches;
    const at = index * DECODED_BATCH_FIELDS;
    return {
      position: batches[at]!,
      batchBytes: batches[at + 1]!,
      firstRecord: batches[at + 2]!,
      recordCount: batches[at + 3]!,
    };
  }

  *[Symbol.iterator](): IterableIterator<Record> {
    for (let index = 0; index < this.recordCount; index++) yield this.record(index);
  }

  #slice(table: Int32Array, at: number): Buffer | null {
    const length = table[at + 1]!;
    if (length < 0) return null;
    const start = table[at]!;
    const split = this.#columns.split;
    if (start < split) return this.bytes.subarray(start, start + length);
    return this.#inflated.subarray(start - split, start - split + length);
  }
}

