import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../core/errors.js';

const TWO_32 = 2 ** 32;
const EMPTY = Buffer.alloc(0);

/**
 * Reads Kafka wire primitives from one frame. Every length and count is checked against the bytes
 * left before anything is allocated, so a hostile size field costs nothing. Bytes and records come
 * out as slices of the frame (no copy).
 */
export class WireReader {
  readonly buffer: Buffer;
  offset: number;
  readonly end: number;

  constructor(buffer: Buffer, offset = 0, end = buffer.length) {
    this.buffer = buffer;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  #need(bytes: number, what: string): number {
    const at = this.offset;
    if (bytes < 0 || at + bytes > this.end) {
      throw new ProtocolError('MALFORMED_FRAME', `${what} needs ${bytes} bytes at position ${at} but only ${this.end - at} remain`);
    }
    this.offset = at + bytes;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.#need(1, 'int8'));
  }
  int16(): number {
    return this.buffer.readInt16BE(this.#need(2, 'int16'));
  }
  uint16(): number {
    return this.buffer.readUInt16BE(this.#need(2, 'uint16'));
  }
  int32(): number {
    return this.buffer.readInt32BE(this.#need(4, 'int32'));
  }
  uint32(): number {
    return this.buffer.readUInt32BE(this.#need(4, 'uint32'));
  }
  /** Exact within ±2^53 (offsets, timestamps, producer ids); beyond that the nearest double. */
  int64(): number {
    const at = this.#need(8, 'int64');
    return this.buffer.readInt32BE(at) * TWO_32 + this.buffer.readUInt32BE(at + 4);
  }
  float64(): number {
    return this.buffer.readDoubleBE(this.#need(8, 'float64'));
  }
  bool(): boolean {
    return this.buffer[this.#need(1, 'bool')] !== 0;
  }
  uuid(): Buffer {
    const at = this.#need(16, 'uuid');
    return this.buffer.subarray(at, at + 16);
  }

  /** Unsigned LEB128 of at most 32 bits. */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer[this.#need(1, 'unsigned varint')] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) break;
        return value;
      }
    }
    throw new ProtocolError('MALFORMED_FRAME', `unsigned varint at position ${this.offset} is longer than 32 bits`);
  }

  /** int16 length (-1 = null) or, compact, uvarint length + 1 (0 = null). */
  stringLength(compact: boolean): number {
    return compact ? this.uvarint() - 1 : this.int16();
  }
  bytesLength(compact: boolean): number {
    return compact ? this.uvarint() - 1 : this.int32();
  }

  string(compact: boolean, what: string): string | null {
    const length = this.stringLength(compact);
    if (length < 0) {
      if (length === -1) return null;
      throw new ProtocolError('MALFORMED_FRAME', `${what}: string length ${length} is negative`);
    }
    const at = this.#need(length, what);
    return this.buffer.toString('utf8', at, at + length);
  }

  bytes(compact: boolean, what: string): Buffer | null {
    const length = this.bytesLength(compact);
    if (length < 0) {
      if (length === -1) return null;
      throw new ProtocolError('MALFORMED_FRAME', `${what}: byte length ${length} is negative`);
    }
    if (length === 0) return EMPTY;
    const at = this.#need(length, what);
    return this.buffer.subarray(at, at + length);
  }

  /** An array count; -1 = null. A count larger than the bytes left cannot be honest. */
  arrayCount(compact: boolean, what: string): number {
    const count = compact ? this.uvarint() - 1 : this.int32();
    if (count < -1) throw new ProtocolError('MALFORMED_FRAME', `${what}: array count ${count} is negative`);
    if (count > this.remaining) {
      throw new ProtocolError('MALFORMED_FRAME', `${what}: array count ${count} is larger than the ${this.remaining} bytes left`);
    }
    return count;
  }

  skip(bytes: number, what: string): void {
    this.#need(bytes, what);
  }
}
