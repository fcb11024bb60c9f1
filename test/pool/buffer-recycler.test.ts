import { describe, expect, test } from 'vitest';
import {
  BufferRecycler,
  FREE_BUFFERS_MAX,
  FREE_BYTES_MAX,
  SIZE_CLASS_BYTES_MIN,
  sizeClassBytes,
} from '../../src/pool/buffer-recycler.js';

describe('BufferRecycler', () => {
  test('sizes round up to a power of two, never under the minimum class', () => {
    expect(sizeClassBytes(0)).toBe(SIZE_CLASS_BYTES_MIN);
    expect(sizeClassBytes(SIZE_CLASS_BYTES_MIN)).toBe(SIZE_CLASS_BYTES_MIN);
    expect(sizeClassBytes(SIZE_CLASS_BYTES_MIN + 1)).toBe(2 * SIZE_CLASS_BYTES_MIN);
    expect(sizeClassBytes(1_030_000)).toBe(1024 * 1024);
  });

  test('a buffer given back is taken again for a request of the same size class', () => {
    const recycler = new BufferRecycler();
    const first = recycler.take(1_000_000);
    expect(first.byteLength).toBe(1024 * 1024);
    recycler.give(first);
    expect(recycler.take(1_040_000)).toBe(first);
    expect(recycler.take(1_000_000)).not.toBe(first);
    expect(recycler.stats).toMatchObject({ reused: 1, allocated: 2, freeBytes: 0 });
  });

  test('a buffer of another size class, a detached one or an odd-sized one is not kept', () => {
    const recycler = new BufferRecycler();
    recycler.give(recycler.take(100_000));
    expect(recycler.take(1_000_000).byteLength).toBe(1024 * 1024);
    const detached = recycler.take(10);
    structuredClone(detached, { transfer: [detached] });
    expect(detached.byteLength).toBe(0);
    recycler.give(detached);
    recycler.give(new ArrayBuffer(100_000));
    expect(recycler.stats.freeBytes).toBe(128 * 1024);
  });

  test('it keeps at most FREE_BUFFERS_MAX per class and FREE_BYTES_MAX in all', () => {
    const recycler = new BufferRecycler();
    const small = Array.from({ length: FREE_BUFFERS_MAX + 3 }, () => recycler.take(1));
    for (const buffer of small) recycler.give(buffer);
    expect(recycler.stats.freeBytes).toBe(FREE_BUFFERS_MAX * SIZE_CLASS_BYTES_MIN);

    const large = new BufferRecycler();
    const bytes = 16 * 1024 * 1024;
    const buffers = Array.from({ length: FREE_BYTES_MAX / bytes + 1 }, () => large.take(bytes));
    for (const buffer of buffers) large.give(buffer);
    expect(large.stats.freeBytes).toBe(FREE_BYTES_MAX);
  });
});
