import { CorruptRecordError } from '../core/errors.js';
import { ByteCursor, readVarlong } from './varint.js';

/**
 * The structural check an append makes on every record, without materialising any: each record's
 * length varint against the section, its varints (5 bytes at most; 10 for the timestamp delta),
 * offset deltas strictly increasing and within lastOffsetDelta, key/value/header lengths within
 * the record, non-null header keys, the record using exactly its declared bytes, the count
 * matching recordsCount and the section fully used. Same rules and error codes as decoding
 * (record-batch.ts forEachRecord), written as one tight loop: this runs on every appended record.
 *
 * Returns the number of records with a null key.
 */
let at = 0;

function fail(code: 'TRUNCATED_RECORD' | 'VARINT_TOO_LONG' | 'BAD_RECORD' | 'RECORD_COUNT_MISMATCH', message: string): never {
  throw new CorruptRecordError(code, message);
}

/** Zigzag varint at `at`, bounded by `end`; advances `at`. */
function varint(section: Uint8Array, end: number): number {
  if (at >= end) fail('TRUNCATED_RECORD', `varint at byte ${at} runs past the end of its record`);
  let byte = section[at++]!;
  if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1);
  let result = byte & 0x7f;
  for (let shift = 7; shift < 35; shift += 7) {
    if (at >= end) fail('TRUNCATED_RECORD', `varint at byte ${at} runs past the end of its record`);
    byte = section[at++]!;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) return (result >>> 1) ^ -(result & 1);
  }
  return fail('VARINT_TOO_LONG', `varint ending at byte ${at} is longer than 5 bytes`);
}

/** Skip a varlong (the timestamp delta); long ones are read exactly, to refuse values past ±2^53. */
function skipVarlong(section: Uint8Array, end: number): void {
  const start = at;
  for (let count = 0; count < 10; count++) {
    if (at >= end) fail('TRUNCATED_RECORD', `varlong at byte ${at} runs past the end of its record`);
    if (section[at++]! < 0x80) {
      if (count >= 7) readVarlong(new ByteCursor(Buffer.from(section.buffer, section.byteOffset, section.length), start, end));
      return;
    }
  }
  fail('VARINT_TOO_LONG', `varlong ending at byte ${at} is longer than 10 bytes`);
}

/** Skip a length-prefixed field; returns false when it is null (-1). */
function skipBytes(section: Uint8Array, end: number, what: string): boolean {
  const length = varint(section, end);
  if (length === -1) return false;
  if (length < -1 || at + length > end) {
    fail('TRUNCATED_RECORD', `record ${what} length ${length} runs past the end of its record (${end - at} bytes left)`);
  }
  at += length;
  return true;
}

export function walkRecords(section: Uint8Array, count: number, lastOffsetDelta: number, baseOffset: number): number {
  const sectionEnd = section.length;
  at = 0;
  let previousOffsetDelta = -1;
  let nullKeyCount = 0;
  for (let index = 0; index < count; index++) {
    if (at >= sectionEnd) {
      fail('RECORD_COUNT_MISMATCH', `batch at base offset ${baseOffset} declares ${count} records but its section holds ${index}`);
    }
    const bodyBytes = varint(section, sectionEnd);
    const bodyStart = at;
    const bodyEnd = bodyStart + bodyBytes;
    if (bodyBytes < 1 || bodyEnd > sectionEnd) {
      fail(
        'TRUNCATED_RECORD',
        `record ${index} of batch at base offset ${baseOffset} declares ${bodyBytes} bytes; ${sectionEnd - bodyStart} remain`,
      );
    }
    at = bodyStart + 1; // attributes
    skipVarlong(section, bodyEnd);
    const offsetDelta = varint(section, bodyEnd);
    if (offsetDelta <= previousOffsetDelta || offsetDelta > lastOffsetDelta) {
      fail(
        'BAD_RECORD',
        `record ${index} of batch at base offset ${baseOffset} has offsetDelta ${offsetDelta} ` +
          `(previous ${previousOffsetDelta}, lastOffsetDelta ${lastOffsetDelta})`,
      );
    }
    previousOffsetDelta = offsetDelta;
    if (!skipBytes(section, bodyEnd, 'key')) nullKeyCount++;
    skipBytes(section, bodyEnd, 'value');
    const headerCount = varint(section, bodyEnd);
    if (headerCount < 0) fail('BAD_RECORD', `record has a negative header count ${headerCount}`);
    for (let header = 0; header < headerCount; header++) {
      if (!skipBytes(section, bodyEnd, 'header key')) fail('BAD_RECORD', 'a record header key may not be null');
      skipBytes(section, bodyEnd, 'header value');
    }
    if (at !== bodyEnd) {
      fail(
        'BAD_RECORD',
        `record ${index} of batch at base offset ${baseOffset} uses ${at - bodyStart} of its ${bodyBytes} declared bytes`,
      );
    }
  }
  if (at !== sectionEnd) {
    fail('RECORD_COUNT_MISMATCH', `batch at base offset ${baseOffset} has ${sectionEnd - at} bytes after its ${count} records`);
  }
  return nullKeyCount;
}
