import type { CompressionCodec } from '../records/record.js';
import type { BatchHeaderValues, EncodeBatchOptions } from '../records/record-batch.js';
import type { CompactionJob, CompactionOutcome } from '../storage/compactor.js';
import type { RecoveryScan } from '../storage/recovery-scan.js';
import type { DecodedColumns } from './decode-columns.js';
import type { PackedRecords } from './packed-records.js';
import type { TaskResult, ValidatedBatchInfo } from './tasks.js';

/**
 * The messages between the pool and its workers: one discriminated union each way, plain data
 * plus Uint8Arrays and typed arrays whose ArrayBuffers travel in the transfer list.
 *
 * - Every byte buffer crosses by transfer (transfer.ts): the sender's view is detached.
 * - A Buffer arrives as a Uint8Array (asBuffer restores its methods without a copy).
 * - `copiedBytes` in a response counts what the worker had to copy to make its output
 *   transferable (an output that was a slice of the worker's shared Buffer pool).
 * - recovery-scan sends only a path: the worker reads the file, so no segment byte crosses;
 *   the scan's Float64Array of batches comes back by transfer. compaction likewise sends paths
 *   and gets back, per file it wrote, such a scan.
 * - validate and decode send their input back, since transferring it away detached the
 *   caller's copy; it comes back whether the task succeeded or not. encode and seal send their
 *   input's buffer back as `spent` (buffer-recycler.ts), also either way.
 */

export type WorkerRequest =
  /** An empty round trip (the bytes go there and back): measures the pool's fixed cost. */
  | { readonly kind: 'noop'; readonly bytes: Uint8Array }
  | { readonly kind: 'validate'; readonly batch: Uint8Array; readonly decompressedBytesLimit: number }
  | { readonly kind: 'encode'; readonly packed: PackedRecords; readonly options: EncodeBatchOptions }
  /** A records section written on the calling thread, to compress and finish as a batch. */
  | {
      readonly kind: 'seal';
      readonly section: Uint8Array;
      readonly options: EncodeBatchOptions;
      readonly values: BatchHeaderValues;
    }
  | {
      readonly kind: 'decode';
      readonly bytes: Uint8Array;
      readonly decompressedBytesLimit: number;
      readonly crcChecked: boolean;
    }
  | { readonly kind: 'compress'; readonly codec: CompressionCodec; readonly section: Uint8Array }
  | {
      readonly kind: 'decompress';
      readonly codec: CompressionCodec;
      readonly compressed: Uint8Array;
      readonly decompressedBytesLimit: number;
    }
  /** A segment file's recovery scan; the worker opens and reads the file itself. */
  | { readonly kind: 'recovery-scan'; readonly path: string; readonly fileBytes: number }
  /** A partition's compaction pass; the worker reads the segments and writes the new files. */
  | { readonly kind: 'compaction'; readonly job: CompactionJob };

export type TaskKind = WorkerRequest['kind'];

export type WorkerResponse =
  | { readonly kind: 'noop'; readonly bytes: Uint8Array }
  | { readonly kind: 'validate'; readonly batch: Uint8Array; readonly result: TaskResult<ValidatedBatchInfo> }
  | { readonly kind: 'decode'; readonly bytes: Uint8Array; readonly result: TaskResult<DecodedColumns> }
  | {
      readonly kind: 'encode' | 'seal' | 'compress' | 'decompress';
      readonly result: TaskResult<Uint8Array>;
      readonly copiedBytes: number;
      /** encode and seal: the input's ArrayBuffer, sent back for the pool to write into again. */
      readonly spent?: ArrayBuffer;
    }
  | { readonly kind: 'recovery-scan'; readonly result: TaskResult<RecoveryScan> }
  | { readonly kind: 'compaction'; readonly result: TaskResult<CompactionOutcome> };
