import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../core/errors.js';

const TWO_32 = 2 ** 32;
/** Buffers at least this long are queued as their own chunk instead of being copied. */
const ZERO_COPY_MIN = 512;

/**
 * Writes Kafka wire primitives into a list of chunks: small fields go into a growing scratch
 * buffer, large byte fields (stored record batches) are queued by reference, so a fetch response
 * is the response header and fields plus slices of segment data handed to the socket as they are.
 */
export class WireWriter {
  #chunks: Buffer[] = [];
  #scratch: Buffer;
  #position = 0;
  #start = 0;
  #queued = 0;

  constructor(initialSize = 256) {
    this.#scratch = Buffer.allocUnsafe(initialSize);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.#queued + this.#position - this.#start;
  }

  #room(bytes: number): number {
    if (this.#position + bytes > this.#scratch.length) {
      this.#flushScratch();
      this.#scratch = Buffer.allocUnsafe(Math.max(bytes, this.#scratch.length * 2));
      this.#position = 0;
      this.#start = 0;
    }
    const at = this.#position;
    this.#position = at + bytes;
    return at;
  }

  #flushScratch(): void {
    if (this.#position > this.#start) {
      this.#chunks.push(this.#scratch.subarray(this.#start, this.#position));
      this.#queued += this.#position - this.#start;
      this.#start = this.#position;
    }
  }

  // Every write reserves its room first: #room may replace #scratch, and `this.#scratch.write…(v,
  // this.#room(n))` would read the old buffer before the call and write into it.
  int8(value: number): void {
    const at = this.#room(1);
    this.#scratch.writeInt8(value, at);
  }
  int16(value: number): void {
    const at = this.#room(2);
    this.#scratch.writeInt16BE(value, at);
  }
  uint16(value: number): void {
    const at = this.#room(2);
    this.#scratch.writeUInt16BE(value, at);
  }
  int32(value: number): void {
    const at = this.#room(4);
    this.#scratch.writeInt32BE(value, at);
  }
  uint32(value: number): void {
    const at = this.#room(4);
    this.#scratch.writeUInt32BE(value, at);
  }
  int64(value: number): void {
    if (!Number.isSafeInteger(value)) throw new ProtocolError('VALUE_OUT_OF_RANGE', `int64 value ${value} is not a safe integer`);
    const high = Math.floor(value / TWO_32);
    const at = this.#room(8);
    this.#scratch.writeInt32BE(high, at);
    this.#scratch.writeUInt32BE(value - high * TWO_32, at + 4);
  }
  float64(value: number): void {
    const at = this.#room(8);
    this.#scratch.writeDoubleBE(value, at);
  }
  bool(value: boolean): void {
    const at = this.#room(1);
    this.#scratch[at] = value ? 1 : 0;
  }
  uuid(value: Buffer): void {
    if (value.length !== 16) throw new ProtocolError('VALUE_OUT_OF_RANGE', `uuid must be 16 bytes, got ${value.length}`);
    const at = this.#room(16);
    value.copy(this.#scratch, at);
  }

  uvarint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new ProtocolError('VALUE_OUT_OF_RANGE', `unsigned varint ${value} is outside [0, 2^32)`);
    }
    let rest = value;
    while (rest >= 0x80) {
      const at = this.#room(1);
      this.#scratch[at] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    const at = this.#room(1);
    this.#scratch[at] = rest;
  }

  string(value: string | null, compact: boolean): void {
    if (value === null) {
      if (compact) this.uvarint(0);
      else this.int16(-1);
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    if (compact) this.uvarint(length + 1);
    else {
      if (length > 0x7fff) throw new ProtocolError('VALUE_OUT_OF_RANGE', `string of ${length} bytes does not fit an int16 length`);
      this.int16(length);
    }
    const at = this.#room(length);
    this.#scratch.write(value, at, length, 'utf8');
  }

  /** Bytes or records; several slices are written as one field (their total length first). */
  bytes(value: Buffer | ReadonlyArray<Buffer> | null, compact: boolean): void {
    if (value === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    const parts: ReadonlyArray<Buffer> = Buffer.isBuffer(value) ? [value] : value;
    let length = 0;
    for (const part of parts) length += part.length;
    if (compact) this.uvarint(length + 1);
    else this.int32(length);
    for (const part of parts) this.raw(part);
  }

  /** Append bytes as they are: copied when small, queued by reference when large. */
  raw(value: Buffer): void {
    if (value.length >= ZERO_COPY_MIN) {
      this.#flushScratch();
      this.#chunks.push(value);
      this.#queued += value.length;
    } else if (value.length > 0) {
      const at = this.#room(value.length);
      value.copy(this.#scratch, at);
    }
  }

  arrayCount(count: number | null, compact: boolean): void {
    if (count === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
    } else if (compact) this.uvarint(count + 1);
    else this.int32(count);
  }

  /** The bytes written, as chunks (large fields by reference). The writer is spent. */
  finish(): Buffer[] {
    this.#flushScratch();
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#queued = 0;
    return chunks;
  }

  /** The bytes written, as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  }
}
