import { createRequire } from 'node:module';

/**
 * The one door to optional native code. CRC-32C prefers @node-rs/crc32 (SIMD, optional
 * dependency) and falls back to crc-32's table-driven crc32c. Both give identical values (a
 * property test checks it); native-notes.md records the measured speed of each.
 *
 * BROOK_NATIVE=0 in the environment forces the portable path.
 */
type Crc32cFunction = (input: Uint8Array, initial?: number) => number;

interface NativeCrc32Module {
  crc32c: (input: Uint8Array, initialState?: number | null) => number;
}

const require = createRequire(import.meta.url);

function loadNativeCrc32c(): Crc32cFunction | null {
  if (process.env['BROOK_NATIVE'] === '0') return null;
  try {
    const module = require('@node-rs/crc32') as NativeCrc32Module;
    if (module.crc32c(Buffer.from('123456789')) !== 0xe3069283) return null;
    return (input, initial) => module.crc32c(input, initial ?? 0);
  } catch {
    return null;
  }
}

interface PortableCrc32cModule {
  buf: (input: Uint8Array, seed?: number) => number;
}

// Loaded on first use: with the native module present, startup does not pay for it.
let portableModule: PortableCrc32cModule | null = null;

export const portableCrc32c: Crc32cFunction = (input, initial) => {
  portableModule ??= require('crc-32/crc32c.js') as PortableCrc32cModule;
  return portableModule.buf(input, initial === undefined ? 0 : initial | 0) >>> 0;
};

const nativeCrc32c = loadNativeCrc32c();

export const crc32cImplementation: 'native' | 'portable' = nativeCrc32c === null ? 'portable' : 'native';

export const crc32cFunction: Crc32cFunction = nativeCrc32c ?? portableCrc32c;
