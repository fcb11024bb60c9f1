import { assert } from '../core/assert.js';
import { INT32_MAX } from '../core/units.js';
import type { FileIO } from './file-io.js';
import { SparseIndex } from './sparse-index.js';

/**
 * The sparse offset index (`.index`), Kafka's format: 8-byte big-endian entries of
 *
 *   relativeOffset int32 (offset − segment base) | position int32 (byte position in `.log`)
 *
 * An entry maps the LAST offset of a batch to the batch's START position, written once more than
 * index.interval.bytes have been appended since the previous entry (so the first batch of a
 * segment is never indexed). A lookup rounds down and then scans batch headers forward.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export class OffsetIndex extends SparseIndex {
  constructor(path: string, baseOffset: number, indexBytesMax: number, io: FileIO) {
    super(path, baseOffset, indexBytesMax, io);
  }

  protected entryBytes(): number {
    return OFFSET_INDEX_ENTRY_BYTES;
  }

  protected encodeEntry(target: Buffer, position: number, key: number, value: number): void {
    target.writeInt32BE(key, position);
    target.writeInt32BE(value, position + 4);
  }

  protected decodeKey(source: Buffer, position: number): number {
    return source.readInt32BE(position);
  }

  protected decodeValue(source: Buffer, position: number): number {
    return source.readInt32BE(position + 4);
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (this.entries > 0) {
      assert(relative > this.keys[this.entries - 1]!, `offset index ${this.path}: offset ${offset} not increasing`);
      assert(position > this.values[this.entries - 1]!, `offset index ${this.path}: position ${position} not increasing`);
    }
    assert(relative >= 0, `offset ${offset} is below the segment base ${this.baseOffset}`);
    assert(relative <= INT32_MAX, `offset ${offset} overflows a relative offset of segment ${this.baseOffset}`);
    this.appendEntry(relative, position);
  }

  /** Byte position to start scanning from for `offset`: the floor entry's position, else 0. */
  lookup(offset: number): number {
    const index = this.floorIndex(offset - this.baseOffset);
    return index < 0 ? 0 : this.values[index]!;
  }

  /** The floor entry for `offset` as (last offset of the batch, its position), or null. */
  lookupEntry(offset: number): { offset: number; position: number } | null {
    const index = this.floorIndex(offset - this.baseOffset);
    return index < 0 ? null : { offset: this.baseOffset + this.keys[index]!, position: this.values[index]! };
  }

  lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.keys[this.entries - 1]!;
  }

  /** Drop entries for batches at or after byte `position` (the log was truncated there). */
  truncateToPosition(position: number): void {
    let keep = this.entries;
    while (keep > 0 && this.values[keep - 1]! >= position) keep--;
    this.truncateToEntries(keep);
  }

  /** Load and check against the segment: offsets and positions strictly increasing, in range. */
  loadChecked(segmentBytes: number): boolean {
    return this.load(
      (key, value, previousKey, previousValue) =>
        key >= 0 && key > previousKey && value > previousValue && value >= 0 && value < segmentBytes,
    );
  }
}
