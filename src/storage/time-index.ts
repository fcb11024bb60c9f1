import { assert } from '../core/assert.js';
import { readInt64, writeInt64 } from '../records/int64.js';
import type { FileIO } from './file-io.js';
import { SparseIndex } from './sparse-index.js';

/**
 * The sparse time index (`.timeindex`), Kafka's format: 12-byte big-endian entries of
 *
 *   timestamp int64 (largest timestamp seen so far) | relativeOffset int32 (offset holding it)
 *
 * Entries are added beside offset-index entries, and only when the timestamp is strictly greater
 * than the last entry's, so timestamps in the file never decrease. One slot is kept for the
 * final entry written when the segment stops being active, so "full" is maxEntries − 1.
 */
export const TIME_INDEX_ENTRY_BYTES = 12;

export class TimeIndex extends SparseIndex {
  constructor(path: string, baseOffset: number, indexBytesMax: number, io: FileIO) {
    super(path, baseOffset, indexBytesMax, io);
  }

  protected entryBytes(): number {
    return TIME_INDEX_ENTRY_BYTES;
  }

  protected encodeEntry(target: Buffer, position: number, key: number, value: number): void {
    writeInt64(target, key, position);
    target.writeInt32BE(value, position + 8);
  }

  protected decodeKey(source: Buffer, position: number): number {
    return readInt64(source, position);
  }

  protected decodeValue(source: Buffer, position: number): number {
    return source.readInt32BE(position + 8);
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries - 1;
  }

  lastTimestamp(): number {
    return this.entries === 0 ? -1 : this.keys[this.entries - 1]!;
  }

  lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.values[this.entries - 1]!;
  }

  /** Adds the entry only if its timestamp is greater than the last one's. */
  maybeAppend(timestamp: number, offset: number, final = false): void {
    if (timestamp <= this.lastTimestamp()) return;
    assert(final || !this.isFull(), `time index ${this.path} is full`);
    if (final && this.entries >= this.maxEntries) return;
    const relative = offset - this.baseOffset;
    assert(relative >= 0, `offset ${offset} is below the segment base ${this.baseOffset}`);
    if (this.entries > 0) assert(relative >= this.values[this.entries - 1]!, 'time index offsets must not decrease');
    this.appendEntry(timestamp, relative);
  }

  /** The offset whose batch holds the greatest indexed timestamp ≤ `timestamp`, else the base. */
  lookup(timestamp: number): number {
    const index = this.floorIndex(timestamp);
    return index < 0 ? this.baseOffset : this.baseOffset + this.values[index]!;
  }

  /** Drop entries for offsets at or after `offset`. */
  truncateToOffset(offset: number): void {
    let keep = this.entries;
    while (keep > 0 && this.baseOffset + this.values[keep - 1]! >= offset) keep--;
    this.truncateToEntries(keep);
  }

  loadChecked(nextOffset: number): boolean {
    return this.load(
      (key, value, previousKey, previousValue) =>
        key > previousKey && value >= previousValue && value >= 0 && this.baseOffset + value < nextOffset,
    );
  }
}
