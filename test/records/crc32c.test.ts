import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { crc32c } from '../../src/records/crc32c.js';
import { crc32cFunction, crc32cImplementation, portableCrc32c } from '../../src/records/native.js';

interface NativeCrc32Module {
  crc32c: (input: Uint8Array, initialState?: number | null) => number;
}

const require = createRequire(import.meta.url);
const native = require('@node-rs/crc32') as NativeCrc32Module;

const CHECK_INPUT = Buffer.from('123456789', 'latin1');
const CHECK_VALUE = 0xe3069283;

describe('crc32c', () => {
  test('the CRC-32C of "123456789" is the published check value 0xE3069283', () => {
    expect(crc32c(CHECK_INPUT, 0, CHECK_INPUT.length)).toBe(CHECK_VALUE);
    expect(portableCrc32c(CHECK_INPUT)).toBe(CHECK_VALUE);
    expect(native.crc32c(CHECK_INPUT) >>> 0).toBe(CHECK_VALUE);
  });

  test('the CRC-32C of no bytes is zero', () => {
    expect(crc32c(Buffer.alloc(0), 0, 0)).toBe(0);
    expect(portableCrc32c(Buffer.alloc(0))).toBe(0);
  });

  test('crc32c covers exactly the bytes in [start, end) of a larger buffer', () => {
    const buffer = Buffer.concat([Buffer.from('xxxx'), CHECK_INPUT, Buffer.from('yy')]);
    expect(crc32c(buffer, 4, 4 + CHECK_INPUT.length)).toBe(CHECK_VALUE);
  });

  test('the native implementation is loaded when @node-rs/crc32 is installed', () => {
    // BROOK_NATIVE=0 forces the portable path; the installed dev dependency is used otherwise.
    const expected = process.env['BROOK_NATIVE'] === '0' ? 'portable' : 'native';
    expect(crc32cImplementation).toBe(expected);
  });

  test('results are unsigned 32-bit integers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const value = crc32cFunction(bytes);
        expect(Number.isInteger(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(0xffffffff);
      }),
      { seed: 0x5eed_0101, numRuns: 200 },
    );
  });

  test('the native and portable paths agree on random buffers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        expect(portableCrc32c(bytes)).toBe(native.crc32c(bytes) >>> 0);
        expect(crc32cFunction(bytes)).toBe(portableCrc32c(bytes));
      }),
      { seed: 0x5eed_0102, numRuns: 500 },
    );
  });

  test('the native and portable paths agree when a CRC is continued from an earlier value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 512 }), (head, tail) => {
        const whole = Buffer.concat([head, tail]);
        const continuedPortable = portableCrc32c(tail, portableCrc32c(head));
        const continuedNative = native.crc32c(tail, native.crc32c(head)) >>> 0;
        expect(continuedPortable).toBe(portableCrc32c(whole));
        expect(continuedNative).toBe(continuedPortable);
        expect(crc32cFunction(tail, crc32cFunction(head))).toBe(continuedPortable);
      }),
      { seed: 0x5eed_0103, numRuns: 300 },
    );
  });
});
