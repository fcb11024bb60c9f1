import { codecId, compressRecords, decompressRecords } from '../records/compression.js';
import type { CompressionCodec } from '../records/record.js';
import {
  type BatchHeaderValues,
  DECOMPRESSED_BYTES_LIMIT_DEFAULT,
  type EncodeBatchOptions,
  sealRecordBatch,
  walkProducedBatch,
  validateRecordBatch,
} from '../records/record-batch.js';
import { decodeColumns, type DecodeColumnsOptions, type DecodedColumns } from './decode-columns.js';
import { encodePackedRecords, type PackedRecords } from './packed-records.js';
import { type TaskFailure, taskFailure } from './task-errors.js';

/**
 * The pool's task functions: pure, synchronous, and the same code whether the pool runs them
 * inline on the calling thread or in a worker (worker.ts only unpacks messages and calls these).
 *
 * - Each returns a TaskResult: the value, or an ErrorDescription of the EngineError it met, so
 *   that errors cross threads typed (task-errors.ts). Bugs (non-EngineErrors) are thrown.
 * - None keeps state between calls except the encoder's reusable scratch array, which is
 *   per-thread and never escapes a call.
 * - Inputs are Buffers the task may read but never writes; outputs are freshly allocated,
 *   except validate's, which is the input itself.
 */

export type TaskResult<T> = { readonly ok: true; readonly value: T } | TaskFailure;

export interface ValidatedBatchInfo {
  /** Bytes of the first batch (validate checks one batch; Log.append also wants it = length). */
  readonly batchBytes: number;
  /** Records with a null key; a compacted topic refuses the batch when this is not 0. */
  readonly nullKeyCount: number;
}

export interface ValidateTaskOptions {
  readonly decompressedBytesLimit?: number;
}

/**
 * What Log.append checks before it writes: lengths, magic, CRC-32C, codec and counts
 * (validateRecordBatch), then a walk of every record (forEachRecord without a visitor, which
 * decompresses the section and allocates nothing per record).
 */
export function validateBatchTask(batch: Buffer, options: ValidateTaskOptions = {}): TaskResult<ValidatedBatchInfo> {
  try {
    const batchBytes = validateRecordBatch(batch, 0, batch.length);
    const limit = options.decompressedBytesLimit ?? DECOMPRESSED_BYTES_LIMIT_DEFAULT;
    const nullKeyCount = walkProducedBatch(batch, 0, batchBytes, limit);
    return { ok: true, value: { batchBytes, nullKeyCount } };
  } catch (error) {
    return taskFailure(error);
  }
}

export interface EncodeTaskInput {
  readonly packed: PackedRecords;
  /** Resolve `timestamp` before the task is queued, so a record's default time is its send time. */
  readonly options: EncodeBatchOptions;
}

/** Encode packed records (packed-records.ts) into one RecordBatch v2, compressed if asked. */
export function encodeBatchTask(input: EncodeTaskInput): TaskResult<Buffer> {
  try {
    return { ok: true, value: encodePackedRecords(input.packed, input.options) };
  } catch (error) {
    return taskFailure(error);
  }
}

export interface SealTaskInput {
  /** An uncompressed records section (record-batch.ts writeRecordsSection). */
  readonly section: Buffer;
  readonly options: EncodeBatchOptions;
  readonly values: BatchHeaderValues;
}

/**
 * Finish a batch whose records section the calling thread wrote: compress it, write the header
 * and the CRC-32C. What a worker takes off the producer when it compresses: the one copy of the
 * values stays on the calling thread (it is the same work as packing them), the rest moves.
 */
export function sealBatchTask(input: SealTaskInput): TaskResult<Buffer> {
  try {
    return { ok: true, value: sealRecordBatch(input.section, input.options, input.values) };
  } catch (error) {
    return taskFailure(error);
  }
}

/** Every record of the whole batches in `bytes`, as transferable columns (decode-columns.ts). */
export function decodeBatchesTask(bytes: Buffer, options: DecodeColumnsOptions = {}): TaskResult<DecodedColumns> {
  try {
    return { ok: true, value: decodeColumns(bytes, options) };
  } catch (error) {
    return taskFailure(error);
  }
}

export interface CompressTaskInput {
  readonly codec: CompressionCodec;
  /** An uncompressed records section. */
  readonly section: Buffer;
}

/** Compress a records section as a batch would hold it (LZ4: Kafka's frame; gzip). */
export function compressTask(input: CompressTaskInput): TaskResult<Buffer> {
  try {
    return { ok: true, value: compressRecords(codecId(input.codec), input.section) };
  } catch (error) {
    return taskFailure(error);
  }
}

export interface DecompressTaskInput {
  readonly codec: CompressionCodec;
  readonly compressed: Buffer;
  readonly decompressedBytesLimit?: number;
}

/** Decompress a records section, refusing output over the limit before it is allocated. */
export function decompressTask(input: DecompressTaskInput): TaskResult<Buffer> {
  try {
    const limit = input.decompressedBytesLimit ?? DECOMPRESSED_BYTES_LIMIT_DEFAULT;
    return { ok: true, value: decompressRecords(codecId(input.codec), input.compressed, limit) };
  } catch (error) {
    return taskFailure(error);
  }
}
