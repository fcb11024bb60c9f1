import { Bench, type Task } from 'tinybench';
import { crc32cFunction, crc32cImplementation, portableCrc32c } from '../src/records/native.js';
import { fold, report, size, type BenchOptions } from './report.js';

/**
 * CRC-32C throughput (`npm run bench -- crc32c`): crc-32's table-driven `crc32c.buf()` (Brook's
 * portable path, `portableCrc32c`) against the native candidate @node-rs/crc32 `crc32c()`, as
 * native.ts loads it (`crc32cFunction` when `crc32cImplementation` is 'native').
 *
 * - Buffer sizes: 1 KiB (a small batch), 64 KiB, 1 MiB (a large batch), and 64 MiB in real mode
 *   only (a segment-sized buffer, out of cache).
 * - Payload: random bytes only. CRC cost does not depend on the bytes, so the random/compressible
 *   sweep of the other benchmarks would measure the same thing twice.
 * - Each tinybench iteration checksums at least 1 MiB (many calls on small buffers, rotating over
 *   distinct slices of one 1 MiB region), so one sample is far above the timer's resolution.
 * - mbPerSec is decimal megabytes (1e6 bytes) per second, from the median iteration.
 */
const KiB = 1024;
const MiB = 1024 * KiB;
const ITERATION_BYTES_MIN = MiB;

type Crc32c = (input: Uint8Array) => number;

interface Contestant {
  readonly label: 'portable' | 'native';
  readonly implementation: string;
  readonly crc: Crc32c;
}

let checksum = 0;

/** Deterministic pseudo-random bytes (xorshift32), so every run checksums the same input. */
function randomBytes(bytes: number): Buffer {
  const words = new Uint32Array(Math.ceil(bytes / 4));
  let state = 0x9e3779b9;
  for (let index = 0; index < words.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[index] = state >>> 0;
  }
  return Buffer.from(words.buffer, 0, bytes);
}

function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / KiB}KiB`;
}

function significant(value: number): number {
  return Number(value.toPrecision(4));
}

function medianMs(task: Task): { p50Ms: number; p99Ms: number; samples: number } {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`benchmark task ${task.name} ended ${result.state}`);
  return { p50Ms: result.latency.p50, p99Ms: result.latency.p99, samples: result.latency.samplesCount };
}

function contestants(): Contestant[] {
  const list: Contestant[] = [{ label: 'portable', implementation: 'crc-32', crc: portableCrc32c }];
  if (crc32cImplementation === 'native') {
    list.push({ label: 'native', implementation: '@node-rs/crc32', crc: crc32cFunction });
  }
  return list;
}

export async function run(options: BenchOptions): Promise<void> {
  const sizes = size(options, [KiB, 64 * KiB, MiB], [KiB, 64 * KiB, MiB, 64 * MiB]);
  const list = contestants();
  if (crc32cImplementation !== 'native') {
    report({
      name: 'crc32c/native',
      skipped: 'native @node-rs/crc32 not loaded (not installed, or BROOK_NATIVE=0)',
    });
  }
  for (const bufferBytes of sizes) {
    const regionBytes = Math.max(bufferBytes, ITERATION_BYTES_MIN);
    const region = randomBytes(regionBytes);
    const slices: Buffer[] = [];
    for (let start = 0; start < regionBytes; start += bufferBytes) {
      slices.push(region.subarray(start, start + bufferBytes));
    }
    // Both implementations must agree before their speed means anything.
    for (const contestant of list) {
      if (contestant.crc(slices[0]!) !== portableCrc32c(slices[0]!)) {
        throw new Error(`${contestant.implementation} disagrees with crc-32 on ${sizeLabel(bufferBytes)}`);
      }
    }
    const big = bufferBytes >= 64 * MiB;
    const bench = new Bench({
      time: size(options, 40, big ? 2000 : 1000),
      iterations: size(options, 3, big ? 10 : 64),
      warmupTime: size(options, 10, 250),
      warmupIterations: size(options, 1, big ? 2 : 16),
      throws: true,
      timestampProvider: 'hrtimeNow',
    });
    for (const contestant of list) {
      const crc = contestant.crc;
      bench.add(
        contestant.label,
        () => {
          for (let index = 0; index < slices.length; index++) checksum = fold(checksum, crc(slices[index]!));
        },
        { async: false },
      );
    }
    bench.runSync();
    let portableMbPerSec = 0;
    for (const contestant of list) {
      const { p50Ms, p99Ms, samples } = medianMs(bench.getTask(contestant.label)!);
      const mbPerSec = regionBytes / (p50Ms / 1000) / 1e6;
      if (contestant.label === 'portable') portableMbPerSec = mbPerSec;
      report({
        name: `crc32c/${contestant.label}/${sizeLabel(bufferBytes)}`,
        implementation: contestant.implementation,
        bufferBytes,
        mbPerSec: Math.round(mbPerSec),
        p50Ms: significant(p50Ms / slices.length),
        p99Ms: significant(p99Ms / slices.length),
        samples,
        baseline: 'crc-32',
        ...(contestant.label === 'native' ? { ratio: Math.round((mbPerSec / portableMbPerSec) * 10) / 10 } : {}),
        checksum,
      });
    }
  }
}
