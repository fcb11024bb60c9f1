import { assert } from '../core/assert.js';
import { decodeRecordBatch } from '../records/record-batch.js';
import { LOG_OVERHEAD } from '../records/batch-layout.js';
import type { Record } from '../records/record.js';

/**
 * One partition's fetched batches, handed to the application a poll at a time, as Kafka's
 * consumer does with its CompletedFetch: a fetch reads up to max.partition.fetch.bytes of stored
 * batches, and each poll decodes only as many batches as it needs for max.poll.records. Records
 * wait in the fetched bytes, not as objects, so the objects alive at any time are one poll's worth
 * (a 1 MiB fetch of 100-byte records decoded at once is ~8,600 records that outlive the young
 * generation of V8's heap; decoded as needed, they die young).
 */
export class CompletedFetch {
  /** Stored batches, CRC-checked by the log's read. */
  readonly #bytes: Buffer;
  /** Byte position of the next batch not yet decoded. */
  #at = 0;
  /** Records of the batch being handed out, and the next one to hand out. */
  #records: ReadonlyArray<Record> = [];
  #index = 0;
  /** Records below this offset (the start of the first batch, before the position) are skipped. */
  readonly #fromOffset: number;
  /** Where the next read of the log starts once this fetch is used up. */
  readonly nextFetchOffset: number;
  /** Bytes decoded since the last call of takeDecodedBytes. */
  #decodedBytes = 0;
  /** Why the next batch cannot be decoded, once a take found out. */
  #failure: unknown = null;

  constructor(bytes: Buffer, fromOffset: number, nextFetchOffset: number) {
    assert(nextFetchOffset > fromOffset, `a fetch from ${fromOffset} must end above it, not at ${nextFetchOffset}`);
    this.#bytes = bytes;
    this.#fromOffset = fromOffset;
    this.nextFetchOffset = nextFetchOffset;
  }

  /** True once every record has been handed out. */
  get exhausted(): boolean {
    return this.#index >= this.#records.length && this.#at >= this.#bytes.length;
  }

  /**
   * Move up to `max` records into `into`, decoding batches as they are reached. Returns how many
   * were moved; fewer than `max` only when the fetch is exhausted or its next batch is damaged.
   */
  take(into: Record[], max: number): number {
    if (this.#failure !== null) throw this.#failure;
    let taken = 0;
    while (taken < max) {
      if (this.#index >= this.#records.length) {
        if (this.#at >= this.#bytes.length) break;
        try {
          this.#decodeNext();
        } catch (error) {
          // A batch that cannot be decoded: the records before it are handed out, and every
          // later take throws, so the position stays just before it (until a seek).
          this.#failure = error;
          if (taken === 0) throw error;
          break;
        }
        continue;
      }
      into.push(this.#records[this.#index++]!);
      taken++;
    }
    return taken;
  }

  /** Bytes of the batches decoded since the previous call (for fetch metrics). */
  takeDecodedBytes(): number {
    const bytes = this.#decodedBytes;
    this.#decodedBytes = 0;
    return bytes;
  }

  #decodeNext(): void {
    const decoded = decodeRecordBatch(this.#bytes, this.#at, { crcChecked: true });
    const batchBytes = decoded.header.batchLength + LOG_OVERHEAD;
    this.#at += batchBytes;
    this.#decodedBytes += batchBytes;
    this.#records = decoded.records;
    this.#index = 0;
    // Only a fetch's first batch can start below the position it was asked for.
    while (this.#index < this.#records.length && this.#records[this.#index]!.offset < this.#fromOffset) this.#index++;
  }
}
