import { assert } from '../core/assert.js';
import { KiB, MiB } from '../core/units.js';

/**
 * ArrayBuffers that go to a worker and come back, kept for the next task instead of freed.
 *
 * The pool packs a producer batch into one standalone ArrayBuffer and transfers it to a worker
 * (packed-records.ts). A fresh ArrayBuffer of ~1 MiB is fresh memory from the kernel: every
 * page faults on first touch, and the packing copy ran at 5–7 GB/s into fresh buffers against
 * ~30 GB/s into a reused one (see section-scratch.ts). The worker sends each packed buffer
 * back with its answer (a transfer, no copy) and the pool packs the next batch into it.
 *
 * - Buffers are kept by size class: the next power of two of the bytes asked for, at least
 *   SIZE_CLASS_BYTES_MIN, so batches of slightly different sizes share buffers.
 * - Bounded: at most FREE_BUFFERS_MAX per class and FREE_BYTES_MAX in all; a buffer given back
 *   beyond either is dropped for the garbage collector. A detached buffer (byteLength 0) is
 *   ignored.
 * - Single-threaded, like the pool that owns it.
 */
export const SIZE_CLASS_BYTES_MIN = 64 * KiB;
export const FREE_BUFFERS_MAX = 16;
export const FREE_BYTES_MAX = 64 * MiB;

export function sizeClassBytes(bytes: number): number {
  assert(Number.isInteger(bytes) && bytes >= 0, `a buffer of ${bytes} bytes`);
  if (bytes <= SIZE_CLASS_BYTES_MIN) return SIZE_CLASS_BYTES_MIN;
  return 2 ** Math.ceil(Math.log2(bytes));
}

export class BufferRecycler {
  readonly #free = new Map<number, ArrayBuffer[]>();
  #freeBytes = 0;
  #reused = 0;
  #allocated = 0;

  /** An ArrayBuffer of at least `bytes` (its size class), reused when one is free. */
  take(bytes: number): ArrayBuffer {
    const size = sizeClassBytes(bytes);
    const buffer = this.#free.get(size)?.pop();
    if (buffer !== undefined) {
      this.#freeBytes -= size;
      this.#reused++;
      assert(buffer.byteLength === size, `a recycled buffer of ${buffer.byteLength} bytes in class ${size}`);
      return buffer;
    }
    this.#allocated++;
    // allocUnsafeSlow: never the shared pool (so it can be transferred), and no zero-filling.
    return Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
  }

  /** Keep `buffer` for a later take(), if it is one of ours in shape and the bounds allow. */
  give(buffer: ArrayBuffer): void {
    const size = buffer.byteLength;
    if (size === 0 || size !== sizeClassBytes(size)) return;
    if (this.#freeBytes + size > FREE_BYTES_MAX) return;
    let list = this.#free.get(size);
    if (list === undefined) {
      list = [];
      this.#free.set(size, list);
    }
    if (list.length >= FREE_BUFFERS_MAX) return;
    list.push(buffer);
    this.#freeBytes += size;
  }

  get stats(): { readonly reused: number; readonly allocated: number; readonly freeBytes: number } {
    return { reused: this.#reused, allocated: this.#allocated, freeBytes: this.#freeBytes };
  }
}
