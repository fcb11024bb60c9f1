import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CorruptRecordError, EngineError } from '../../src/core/errors.js';
import { StructReader, StructWriter } from '../../src/groups/kafka-struct.js';

describe('kafka struct reader and writer', () => {
  test.each([
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [0xffffffff, 'ffffffff0f'],
  ])('unsigned varint %i is written as %s and read back', (value, bytes) => {
    const written = new StructWriter('Test', 1).unsignedVarint(value, 'v').finish();
    expect(written.toString('hex')).toBe(bytes);
    expect(new StructReader(written, 'Test').unsignedVarint('v')).toBe(value);
  });

  test('an unsigned varint longer than five bytes or wider than 32 bits is malformed', () => {
    for (const bytes of ['8080808080', 'ffffffff1f', '80']) {
      const reader = new StructReader(Buffer.from(bytes, 'hex'), 'Test');
      expect(() => reader.unsignedVarint('v')).toThrow(CorruptRecordError);
    }
  });

  test('the writer grows past its initial size and returns exactly the bytes written', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 30 }), (texts) => {
        const writer = new StructWriter('Test', 1);
        for (const text of texts) writer.string(text, 's').compactString(text, 'c');
        const reader = new StructReader(writer.finish(), 'Test');
        for (const text of texts) {
          expect(reader.string('s')).toBe(text);
          expect(reader.compactString('c')).toBe(text);
        }
        expect(reader.remainingBytes).toBe(0);
      }),
      { seed: 0x57c7, numRuns: 100 },
    );
  });

  test('errors name the struct, the field and the byte position', () => {
    const reader = new StructReader(Buffer.from('0000000a00', 'hex'), 'Thing');
    expect(() => reader.arrayLength('items', 4)).toThrow(/^Thing\.items at byte 0: array count 10/);
  });

  test('the writer refuses integers outside their field', () => {
    const writer = new StructWriter('Thing', 8);
    for (const action of [
      () => writer.int16(0x8000, 'a'),
      () => writer.int32(-0x80000001, 'b'),
      () => writer.int64(Number.MAX_SAFE_INTEGER + 1, 'c'),
      () => writer.unsignedVarint(-1, 'd'),
    ]) {
      expect(action).toThrow(EngineError);
    }
  });
});
