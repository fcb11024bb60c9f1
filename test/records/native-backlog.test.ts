import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { lz4FrameCompress } from '../../src/records/lz4-frame.js';
import { NATIVE_BACKLOG_BYTES_MAX, nativeBacklogBytes, nativeBacklogTurn } from '../../src/records/native-backlog.js';
import { Prng } from '../helpers/prng.js';

describe('native output backlog', () => {
  test('LZ4 compression counts its input until the event loop turns', async () => {
    await turn();
    expect(nativeBacklogBytes()).toBe(0);
    lz4FrameCompress(new Prng(1).bytes(200_000));
    expect(nativeBacklogBytes()).toBe(200_000);
    lz4FrameCompress(new Prng(2).compressibleBytes(100_000));
    expect(nativeBacklogBytes()).toBe(300_000);
    await turn();
    expect(nativeBacklogBytes()).toBe(0);
  });

  test('no turn is asked for within the limit; past it, one shared turn that resets the count', async () => {
    await turn();
    expect(nativeBacklogTurn()).toBeNull();
    const block = new Prng(3).bytes(4 * 1024 * 1024);
    while (nativeBacklogBytes() <= NATIVE_BACKLOG_BYTES_MAX) lz4FrameCompress(block);
    const first = nativeBacklogTurn();
    expect(first).not.toBeNull();
    expect(nativeBacklogTurn()).toBe(first);
    await first;
    expect(nativeBacklogBytes()).toBe(0);
    expect(nativeBacklogTurn()).toBeNull();
  });
});
