import { CorruptRecordError, EngineError } from '../core/errors.js';

/**
 * Reader and writer for the plain struct encodings that Kafka's generated message code uses, as
 * far as the consumer-protocol structs and the `__consumer_offsets` records need them. All
 * integers are big-endian.
 *
 * Non-flexible versions: int16-length strings (-1 = null), int32-length bytes (-1 = null),
 * int32-count arrays. Flexible versions (KIP-482): unsigned varints, compact strings written as
 * length + 1 (0 = null), and a tagged-field section at the end of each struct.
 *
 * Invariants:
 * - The reader never trusts a length or a count. A length must fit in the bytes that remain; a
 *   count times its element's smallest encoding must fit too, so a four-byte count cannot make
 *   the decoder loop or allocate beyond the input's size. Every failure is a CorruptRecordError
 *   with code MALFORMED_GROUP_DATA naming the struct, the field and the byte position.
 * - The writer refuses values that do not fit their field (a string over 32767 UTF-8 bytes, a
 *   non-integer or out-of-range number) with an EngineError INVALID_GROUP_DATA; it never
 *   truncates or wraps.
 * - Byte fields are returned as copies, so a decoded value never aliases the input buffer.
 */

const INT16_MAX = 0x7fff;
const UNSIGNED_VARINT_BYTES_MAX = 5;

export class StructReader {
  readonly #buffer: Buffer;
  readonly #structName: string;
  #position = 0;

  constructor(buffer: Buffer, structName: string) {
    this.#buffer = buffer;
    this.#structName = structName;
  }

  get position(): number {
    return this.#position;
  }

  get remainingBytes(): number {
    return this.#buffer.length - this.#position;
  }

  int16(field: string): number {
    this.#need(2, field);
    const value = this.#buffer.readInt16BE(this.#position);
    this.#position += 2;
    return value;
  }

  int32(field: string): number {
    this.#need(4, field);
    const value = this.#buffer.readInt32BE(this.#position);
    this.#position += 4;
    return value;
  }

  /** An int64 as a number; values beyond ±2^53 are rejected rather than rounded. */
  int64(field: string): number {
    this.#need(8, field);
    const value = this.#buffer.readBigInt64BE(this.#position);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.#malformed(field, `int64 ${value} is outside ±2^53`);
    }
    this.#position += 8;
    return Number(value);
  }

  string(field: string): string {
    const value = this.nullableString(field);
    if (value === null) throw this.#malformed(field, 'non-nullable string has length -1');
    return value;
  }

  nullableString(field: string): string | null {
    const start = this.#position;
    const length = this.int16(field);
    if (length === -1) return null;
    if (length < 0) throw this.#malformedAt(start, field, `string length ${length} is negative`);
    return this.#utf8(length, field);
  }

  bytes(field: string): Buffer {
    const value = this.nullableBytes(field);
    if (value === null) throw this.#malformed(field, 'non-nullable bytes have length -1');
    return value;
  }

  nullableBytes(field: string): Buffer | null {
    const start = this.#position;
    const length = this.int32(field);
    if (length === -1) return null;
    if (length < 0) throw this.#malformedAt(start, field, `bytes length ${length} is negative`);
    this.#need(length, field);
    const value = Buffer.from(this.#buffer.subarray(this.#position, this.#position + length));
    this.#position += length;
    return value;
  }

  /**
   * A non-nullable array's int32 count. `elementBytesMin` is the smallest encoding of one element;
   * the count is rejected unless that many elements could fit in the bytes that remain.
   */
  arrayLength(field: string, elementBytesMin: number): number {
    const start = this.#position;
    const count = this.int32(field);
    if (count < 0) throw this.#malformedAt(start, field, `array count ${count} is negative`);
    if (count * elementBytesMin > this.remainingBytes) {
      throw this.#malformedAt(
        start,
        field,
        `array count ${count} needs at least ${count * elementBytesMin} bytes, ` +
          `${this.remainingBytes} remain`,
      );
    }
    return count;
  }

  unsignedVarint(field: string): number {
    const start = this.#position;
    let result = 0;
    for (let index = 0; index < UNSIGNED_VARINT_BYTES_MAX; index++) {
      this.#need(1, field);
      const byte = this.#buffer[this.#position++]!;
      result += (byte & 0x7f) * 2 ** (7 * index);
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffff) throw this.#malformedAt(start, field, 'varint exceeds 32 bits');
        return result;
      }
    }
    throw this.#malformedAt(start, field, 'unsigned varint is longer than 5 bytes');
  }

  /** A flexible-version non-nullable string: unsigned varint (length + 1), then UTF-8. */
  compactString(field: string): string {
    const start = this.#position;
    const lengthPlusOne = this.unsignedVarint(field);
    if (lengthPlusOne === 0) {
      throw this.#malformedAt(start, field, 'non-nullable compact string is null');
    }
    const length = lengthPlusOne - 1;
    if (length > INT16_MAX) {
      throw this.#malformedAt(start, field, `string length ${length} > 32767`);
    }
    return this.#utf8(length, field);
  }

  /** Skips a flexible struct's tagged fields; none is known to the structs read here. */
  skipTaggedFields(field: string): void {
    const count = this.unsignedVarint(`${field}.count`);
    // Each tagged field takes at least two bytes (tag, size), so the count is bounded by the input.
    if (count * 2 > this.remainingBytes) {
      const detail = `${count} tagged fields cannot fit in ${this.remainingBytes} bytes`;
      throw this.#malformed(field, detail);
    }
    for (let index = 0; index < count; index++) {
      this.unsignedVarint(`${field}[${index}].tag`);
      const size = this.unsignedVarint(`${field}[${index}].size`);
      this.#need(size, `${field}[${index}].data`);
      this.#position += size;
    }
  }

  #utf8(length: number, field: string): string {
    this.#need(length, field);
    const value = this.#buffer.toString('utf8', this.#position, this.#position + length);
    this.#position += length;
    return value;
  }

  #need(byteCount: number, field: string): void {
    if (byteCount > this.remainingBytes) {
      throw this.#malformed(
        field,
        `needs ${byteCount} bytes, ${this.remainingBytes} remain of ${this.#buffer.length}`,
      );
    }
  }

  #malformed(field: string, detail: string): CorruptRecordError {
    return this.#malformedAt(this.#position, field, detail);
  }

  #malformedAt(position: number, field: string, detail: string): CorruptRecordError {
    return new CorruptRecordError(
      'MALFORMED_GROUP_DATA',
      `${this.#structName}.${field} at byte ${position}: ${detail}`,
    );
  }
}

export class StructWriter {
  readonly #structName: string;
  #buffer: Buffer;
  #position = 0;

  constructor(structName: string, initialBytes: number) {
    this.#structName = structName;
    this.#buffer = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  int16(value: number, field: string): this {
    this.#checkInteger(value, -0x8000, INT16_MAX, field);
    this.#reserve(2);
    this.#position = this.#buffer.writeInt16BE(value, this.#position);
    return this;
  }

  int32(value: number, field: string): this {
    this.#checkInteger(value, -0x80000000, 0x7fffffff, field);
    this.#reserve(4);
    this.#position = this.#buffer.writeInt32BE(value, this.#position);
    return this;
  }

  int64(value: number, field: string): this {
    this.#checkInteger(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, field);
    this.#reserve(8);
    this.#position = this.#buffer.writeBigInt64BE(BigInt(value), this.#position);
    return this;
  }

  string(value: string, field: string): this {
    return this.nullableString(value, field);
  }

  nullableString(value: string | null, field: string): this {
    if (value === null) return this.int16(-1, field);
    const length = Buffer.byteLength(value, 'utf8');
    if (length > INT16_MAX) throw this.#invalid(field, `string is ${length} UTF-8 bytes, > 32767`);
    this.int16(length, field);
    return this.#utf8(value, length);
  }

  nullableBytes(value: Uint8Array | null, field: string): this {
    if (value === null) return this.int32(-1, field);
    this.int32(value.length, field);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#position);
    this.#position += value.length;
    return this;
  }

  arrayLength(count: number, field: string): this {
    return this.int32(count, field);
  }

  unsignedVarint(value: number, field: string): this {
    this.#checkInteger(value, 0, 0xffffffff, field);
    this.#reserve(UNSIGNED_VARINT_BYTES_MAX);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#position++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#position++] = rest;
    return this;
  }

  compactString(value: string, field: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    if (length > INT16_MAX) throw this.#invalid(field, `string is ${length} UTF-8 bytes, > 32767`);
    this.unsignedVarint(length + 1, field);
    return this.#utf8(value, length);
  }

  /** An empty tagged-field section (count 0), as every flexible struct written here ends. */
  emptyTaggedFields(): this {
    return this.unsignedVarint(0, 'taggedFields');
  }

  /** The written bytes, in a buffer of exactly their size. */
  finish(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#position));
  }

  #utf8(value: string, length: number): this {
    this.#reserve(length);
    this.#position += this.#buffer.write(value, this.#position, length, 'utf8');
    return this;
  }

  #reserve(byteCount: number): void {
    const needed = this.#position + byteCount;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#position);
    this.#buffer = grown;
  }

  #checkInteger(value: number, min: number, max: number, field: string): void {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw this.#invalid(field, `${value} is not an integer in [${min}, ${max}]`);
    }
  }

  #invalid(field: string, detail: string): EngineError {
    return new EngineError('INVALID_GROUP_DATA', `${this.#structName}.${field}: ${detail}`);
  }
}
