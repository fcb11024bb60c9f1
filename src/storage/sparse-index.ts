import { assert } from '../core/assert.js';
import type { FileIO } from './file-io.js';

/**
 * The shared half of the offset and time indexes: a sorted, append-only list of (key, value)
 * entries, held in memory as typed arrays and appended to its file in entry order.
 *
 * Node has no mmap, so instead of Kafka's preallocated memory-mapped file the index lives in
 * memory (arrays grow by doubling up to the entry limit of segment.index.bytes) and new entries
 * are written to the end of the file when the log flushes. The file is therefore always exactly
 * as long as its persisted entries; nothing needs trimming on roll.
 *
 * Indexes carry no checksum: they are derived data. A missing or inconsistent index file is
 * rebuilt from its segment (see recovery), never trusted over the log.
 *
 * Not thread-safe: owned by the one writer of its log.
 */
export abstract class SparseIndex {
  protected keys: Float64Array;
  protected values: Int32Array;
  #entries = 0;
  #persistedEntries = 0;
  #fd: number | null = null;
  readonly maxEntries: number;

  constructor(
    readonly path: string,
    readonly baseOffset: number,
    indexBytesMax: number,
    protected readonly io: FileIO,
  ) {
    this.maxEntries = Math.floor(indexBytesMax / this.entryBytes());
    assert(this.maxEntries >= 1, `index ${path} must hold at least one entry`);
    const initial = Math.min(this.maxEntries, 64);
    this.keys = new Float64Array(initial);
    this.values = new Int32Array(initial);
  }

  protected abstract entryBytes(): number;
  protected abstract encodeEntry(target: Buffer, position: number, key: number, value: number): void;
  protected abstract decodeKey(source: Buffer, position: number): number;
  protected abstract decodeValue(source: Buffer, position: number): number;

  get entries(): number {
    return this.#entries;
  }

  get sizeBytes(): number {
    return this.#entries * this.entryBytes();
  }

  keyAt(index: number): number {
    assert(index >= 0 && index < this.#entries, `index entry ${index} out of range`);
    return this.keys[index]!;
  }

  valueAt(index: number): number {
    assert(index >= 0 && index < this.#entries, `index entry ${index} out of range`);
    return this.values[index]!;
  }

  protected appendEntry(key: number, value: number): void {
    assert(this.#entries < this.maxEntries, `index ${this.path} is full (${this.maxEntries} entries)`);
    if (this.#entries === this.keys.length) {
      const capacity = Math.min(this.maxEntries, this.keys.length * 2);
      const keys = new Float64Array(capacity);
      keys.set(this.keys);
      const values = new Int32Array(capacity);
      values.set(this.values);
      this.keys = keys;
      this.values = values;
    }
    this.keys[this.#entries] = key;
    this.values[this.#entries] = value;
    this.#entries++;
  }

  /** The position of the greatest entry whose key is ≤ `key`, or -1. */
  protected floorIndex(key: number): number {
    let low = 0;
    let high = this.#entries - 1;
    if (high < 0 || this.keys[0]! > key) return -1;
    // Most lookups are for recent data: try the last entry before searching.
    if (this.keys[high]! <= key) return high;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.keys[middle]! <= key) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Drop every entry from `index` on, in memory and (when flushed) on disk. */
  truncateToEntries(index: number): void {
    assert(index >= 0 && index <= this.#entries, `cannot truncate index to ${index} entries`);
    this.#entries = index;
    if (this.#persistedEntries > index) {
      this.#persistedEntries = index;
      this.io.truncate(this.#openFile(), index * this.entryBytes());
    }
  }

  reset(): void {
    this.truncateToEntries(0);
  }

  /** Append entries not yet on disk to the end of the file; fdatasync when `sync`. */
  persist(sync: boolean): void {
    const pending = this.#entries - this.#persistedEntries;
    const fd = this.#openFile();
    if (pending > 0) {
      const entryBytes = this.entryBytes();
      const buffer = Buffer.allocUnsafe(pending * entryBytes);
      for (let index = 0; index < pending; index++) {
        const entry = this.#persistedEntries + index;
        this.encodeEntry(buffer, index * entryBytes, this.keys[entry]!, this.values[entry]!);
      }
      this.io.write(fd, buffer, 0, buffer.length, this.#persistedEntries * entryBytes);
      this.#persistedEntries = this.#entries;
    }
    if (sync) this.io.datasyncSync(fd);
  }

  /**
   * Load entries from the file. Returns false (and leaves the index empty) when the file is
   * missing, has a partial entry, or its entries fail `isValidEntry`; the caller rebuilds it.
   */
  load(isValidEntry: (key: number, value: number, previousKey: number, previousValue: number) => boolean): boolean {
    this.#entries = 0;
    this.#persistedEntries = 0;
    if (!this.io.exists(this.path)) return false;
    const bytes = this.io.readFile(this.path);
    const entryBytes = this.entryBytes();
    const count = bytes.length / entryBytes;
    if (!Number.isInteger(count) || count > this.maxEntries) return false;
    let previousKey = -Infinity;
    let previousValue = -1;
    for (let index = 0; index < count; index++) {
      let key: number;
      let value: number;
      try {
        key = this.decodeKey(bytes, index * entryBytes);
        value = this.decodeValue(bytes, index * entryBytes);
      } catch {
        key = Number.NaN;
        value = Number.NaN;
      }
      if (Number.isNaN(key) || !isValidEntry(key, value, previousKey, previousValue)) {
        this.#entries = 0;
        return false;
      }
      this.appendEntry(key, value);
      previousKey = key;
      previousValue = value;
    }
    this.#persistedEntries = count;
    return true;
  }

  /** Remove the file's contents so a rebuilt index starts from nothing on disk. */
  discardFile(): void {
    this.#entries = 0;
    this.#persistedEntries = 0;
    this.io.truncate(this.#openFile(), 0);
  }

  #openFile(): number {
    if (this.#fd === null) this.#fd = this.io.open(this.path, this.io.exists(this.path) ? 'r+' : 'w+');
    return this.#fd;
  }

  close(): void {
    if (this.#fd !== null) {
      this.io.close(this.#fd);
      this.#fd = null;
    }
  }
}
