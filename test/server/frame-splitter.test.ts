import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ProtocolError } from '../../src/core/errors.js';
import { FrameSplitter } from '../../src/server/frame-splitter.js';
import { Prng } from '../helpers/prng.js';

/**
 * The frame splitter reassembles int32-size-prefixed frames from a TCP byte stream: whatever the
 * chunking, the same frames come out, and a negative or oversized size is refused as soon as its
 * four bytes arrive, before anything of that size is allocated.
 */
afterEach(() => {
  vi.restoreAllMocks();
});

function framed(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

function sizePrefix(size: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(size, 0);
  return bytes;
}

/** Feed `chunks` in order and return the frames as copies (slices may share memory with chunks). */
function split(splitter: FrameSplitter, chunks: ReadonlyArray<Buffer>): Buffer[] {
  const frames: Buffer[] = [];
  for (const chunk of chunks) splitter.push(chunk, (frame) => frames.push(Buffer.from(frame)));
  return frames;
}

/** Whether two lists of frames are equal byte for byte (cheaper than a deep toEqual in loops). */
function sameFrames(actual: ReadonlyArray<Buffer>, expected: ReadonlyArray<Buffer>): boolean {
  return actual.length === expected.length && actual.every((frame, index) => frame.equals(expected[index] as Buffer));
}

function refusal(action: () => void): ProtocolError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

const PAYLOADS = [Buffer.from('first frame'), Buffer.alloc(0), Buffer.from([0, 1, 2, 3, 4, 5, 6]), Buffer.from('x'), Buffer.alloc(300, 0xab)];
const STREAM = Buffer.concat(PAYLOADS.map(framed));

describe('FrameSplitter reassembly', () => {
  test('a stream cut in two at every byte boundary yields the same frames', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const frames = split(new FrameSplitter(1024), [STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      expect(sameFrames(frames, PAYLOADS), `cut at byte ${cut}`).toBe(true);
    }
  });

  test('a stream cut in three at every pair of boundaries in its first frames yields the same frames', () => {
    const head = 40; // the first three frames and the start of the fourth
    for (let first = 0; first <= head; first++) {
      for (let second = first; second <= head; second++) {
        const chunks = [STREAM.subarray(0, first), STREAM.subarray(first, second), STREAM.subarray(second)];
        expect(sameFrames(split(new FrameSplitter(1024), chunks), PAYLOADS), `cuts at ${first} and ${second}`).toBe(true);
      }
    }
  });

  test('a stream fed one byte at a time yields the same frames', () => {
    const chunks = [...STREAM].map((byte) => Buffer.from([byte]));
    expect(split(new FrameSplitter(1024), chunks)).toEqual(PAYLOADS);
  });

  test('a thousand frames in one chunk all come out in order, as slices of the chunk', () => {
    const prng = new Prng(7);
    const payloads = Array.from({ length: 1000 }, () => prng.bytes(prng.nextInt(64)));
    const chunk = Buffer.concat(payloads.map(framed));
    const frames: Buffer[] = [];
    new FrameSplitter(1024).push(chunk, (frame) => frames.push(frame));
    expect(frames.length).toBe(payloads.length);
    expect(frames.findIndex((frame, index) => !frame.equals(payloads[index] as Buffer))).toBe(-1);
    // A frame inside one chunk is not copied.
    for (const frame of frames) expect(frame.buffer).toBe(chunk.buffer);
  });

  test('random chunkings of a long stream yield the same frames and hold only the incomplete tail', () => {
    const prng = new Prng(2024);
    const payloads = Array.from({ length: 300 }, () => prng.bytes(prng.nextInt(2000)));
    const stream = Buffer.concat(payloads.map(framed));
    for (let round = 0; round < 6; round++) {
      const splitter = new FrameSplitter(4096);
      const frames: Buffer[] = [];
      const heldWrong: string[] = [];
      let at = 0;
      let consumed = 0;
      while (at < stream.length) {
        const take = 1 + prng.nextInt(round % 2 === 0 ? 16 : 5000);
        splitter.push(stream.subarray(at, at + take), (frame) => {
          frames.push(Buffer.from(frame));
          consumed += 4 + frame.length;
        });
        at = Math.min(stream.length, at + take);
        // Held: the incomplete frame's bytes (its size prefix, once read, is not held).
        const pending = at - consumed;
        if (splitter.buffered > pending || splitter.buffered < pending - 4) heldWrong.push(`${splitter.buffered} held at ${at}, ${pending} pending`);
      }
      expect(heldWrong).toEqual([]);
      expect(frames.length).toBe(payloads.length);
      expect(frames.findIndex((frame, index) => !frame.equals(payloads[index] as Buffer))).toBe(-1);
      expect(splitter.buffered).toBe(0);
    }
  });

  test('an empty frame is delivered whether its size arrives whole or in pieces', () => {
    const stream = Buffer.concat([framed(Buffer.alloc(0)), framed(Buffer.from('after'))]);
    expect(split(new FrameSplitter(64), [stream])).toEqual([Buffer.alloc(0), Buffer.from('after')]);
    expect(split(new FrameSplitter(64), [stream.subarray(0, 2), stream.subarray(2)])).toEqual([Buffer.alloc(0), Buffer.from('after')]);
  });

  test('a frame of exactly the limit is accepted', () => {
    const payload = Buffer.alloc(256, 1);
    expect(split(new FrameSplitter(256), [framed(payload)])).toEqual([payload]);
  });
});

describe('FrameSplitter refusals', () => {
  test('a negative size is refused with MALFORMED_FRAME', () => {
    for (const size of [-1, -2, -0x80000000]) {
      const error = refusal(() => new FrameSplitter(1024).push(Buffer.concat([sizePrefix(size), Buffer.alloc(16)]), () => undefined));
      expect(error.code).toBe('MALFORMED_FRAME');
      expect(error.message).toContain(String(size));
    }
  });

  test('a negative size split across chunks is refused when its fourth byte arrives', () => {
    const splitter = new FrameSplitter(1024);
    const prefix = sizePrefix(-5);
    splitter.push(prefix.subarray(0, 3), () => undefined);
    expect(refusal(() => splitter.push(prefix.subarray(3), () => undefined)).code).toBe('MALFORMED_FRAME');
  });

  test('a size one over socket.request.max.bytes is refused with FRAME_TOO_LARGE, naming the setting', () => {
    const error = refusal(() => new FrameSplitter(256).push(framed(Buffer.alloc(257)), () => undefined));
    expect(error.code).toBe('FRAME_TOO_LARGE');
    expect(error.message).toContain('socket.request.max.bytes=256');
  });

  test('an oversized size after valid frames in the same chunk is refused after those frames are delivered', () => {
    const frames: Buffer[] = [];
    const chunk = Buffer.concat([framed(Buffer.from('ok')), sizePrefix(1_000_000), Buffer.alloc(10)]);
    const error = refusal(() => new FrameSplitter(1024).push(chunk, (frame) => frames.push(Buffer.from(frame))));
    expect(error.code).toBe('FRAME_TOO_LARGE');
    expect(frames).toEqual([Buffer.from('ok')]);
  });

  test('an oversized size is refused on its four bytes alone, without allocating anything of that size', () => {
    // Spies call through and record the sizes asked for.
    const spies = [vi.spyOn(Buffer, 'alloc'), vi.spyOn(Buffer, 'allocUnsafe'), vi.spyOn(Buffer, 'allocUnsafeSlow')];
    const concat = vi.spyOn(Buffer, 'concat');
    const splitter = new FrameSplitter(1024);
    for (const size of [1025, 0x7fffffff]) {
      expect(refusal(() => new FrameSplitter(1024).push(sizePrefix(size), () => undefined)).code).toBe('FRAME_TOO_LARGE');
    }
    // Split size prefix: refused when the last byte comes, with nothing but the 4 bytes held.
    const prefix = sizePrefix(0x7fffffff);
    splitter.push(prefix.subarray(0, 1), () => undefined);
    splitter.push(prefix.subarray(1, 3), () => undefined);
    expect(splitter.buffered).toBe(3);
    expect(refusal(() => splitter.push(prefix.subarray(3), () => undefined)).code).toBe('FRAME_TOO_LARGE');
    const allocations = spies.flatMap((spy) => spy.mock.calls.map((call) => call[0]));
    expect(allocations.filter((size) => size > 1024)).toEqual([]);
    expect(concat).not.toHaveBeenCalled();
  });

  test('a frame declared at 2 GiB that fits the limit holds only the bytes that actually arrived', () => {
    const splitter = new FrameSplitter(2 ** 31 - 1);
    const heapBefore = process.memoryUsage().arrayBuffers;
    splitter.push(Buffer.concat([sizePrefix(2 ** 31 - 1), Buffer.alloc(1000)]), () => {
      throw new Error('no frame can be complete');
    });
    for (let i = 0; i < 100; i++) splitter.push(Buffer.alloc(1000), () => undefined);
    expect(splitter.buffered).toBe(101_000);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
