import { resourceUsage } from 'node:process';
import { compressFrameSync, compressSync, decompressFrameSync, uncompressSync } from 'lz4-napi';
import { Bench, type Task } from 'tinybench';
import { lz4FrameCompress, lz4FrameDecompress } from '../src/records/lz4-frame.js';
import { xxhash32 } from '../src/records/xxhash32.js';
import { fold, report, size, type BenchOptions } from './report.js';

/**
 * LZ4 throughput (`npm run bench -- lz4`), on one 64 MiB input (1 MiB in smoke runs), for a
 * compressible payload (JSON-like event records) and a random one:
 *
 * - ours: `lz4FrameCompress` / `lz4FrameDecompress` (Kafka's frame, 64 KiB independent blocks,
 *   one lz4-napi block call per block);
 * - lz4-napi frame: `compressFrameSync` / `decompressFrameSync` (lz4_flex's FrameEncoder and
 *   FrameDecoder; the default frame has 4 MiB blocks and no checksums);
 * - lz4-napi block: `compressSync` / `uncompressSync` on the whole input as one block;
 * - `decompressFrameSync(ours)`: lz4-napi's frame decoder on our Kafka frame (a standard frame),
 *   the alternative to decoding Kafka's blocks one by one.
 *
 * mbPerSec counts uncompressed bytes (1e6 bytes per MB) over the median iteration; `ratio` is
 * against the lz4-napi frame function for the same operation. Each contestant runs in its own
 * Bench and the event loop turns after every call (see `Loop`). Every line also carries minor page
 * faults, process system CPU time and resident-set growth per operation: at 64 MiB the cost of a
 * call is often the kernel handing out fresh pages for its output rather than the codec (see
 * bench/NOTES-primitives.md).
 *
 * The sweep (always in smoke runs; in real runs with BROOK_BENCH_LZ4_SWEEP=1) adds: the decoders
 * in a loop that never yields; `decompressFrameSync` on frames with other block sizes and checksum
 * flags, built here with the standard frame layout; and the decoders over input sizes from 64 KiB
 * to 64 MiB.
 */
const KiB = 1024;
const MiB = 1024 * KiB;
const EVENTS = ['page_view', 'add_to_cart', 'checkout', 'login', 'logout', 'search', 'click', 'purchase'];

type Payload = 'compressible' | 'random';

interface Contestant {
  readonly name: string;
  readonly run: () => Buffer;
  /** Bytes of the compressed form this contestant reads or writes, for the report. */
  readonly compressedBytes: number;
  readonly isBaseline?: boolean;
}

interface Usage {
  minorFaultsPerOp: number;
  systemCpuMsPerOp: number;
  rssGrowthMiBPerOp: number;
}

let checksum = 0;

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

/** Event records as a producer might send them: repeated field names, varying values. */
function compressiblePayload(bytes: number): Buffer {
  const output = Buffer.allocUnsafe(bytes);
  const next = xorshift(0x5eed);
  let position = 0;
  for (let id = 0; position < bytes; id++) {
    const line =
      `{"id":${id},"user":"user-${next() % 10_000}","event":"${EVENTS[next() % EVENTS.length]}",` +
      `"ts":${1_700_000_000_000 + (next() % 100_000)},"amount":${(next() % 100_000) / 100}}\n`;
    position += output.write(line, position);
  }
  return output;
}

function randomPayload(bytes: number): Buffer {
  const words = new Uint32Array(Math.ceil(bytes / 4));
  const next = xorshift(0x9e3779b9);
  for (let index = 0; index < words.length; index++) words[index] = next();
  return Buffer.from(words.buffer, 0, bytes);
}

function payload(kind: Payload, bytes: number): Buffer {
  return kind === 'compressible' ? compressiblePayload(bytes) : randomPayload(bytes);
}

function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / KiB}KiB`;
}

/** Fold an output's length and one byte of it, so that no call can be optimised away. */
function consume(output: Buffer): void {
  checksum = fold(fold(checksum, output.length), output[output.length >>> 1] ?? 0);
}

/**
 * A standard LZ4 frame (independent blocks) with the given block size and checksum flags, written
 * block by block with lz4-napi's block compressor. Used only to probe the frame decoder.
 */
function buildFrame(input: Buffer, blockBytes: number, blockChecksum: boolean, contentChecksum: boolean): Buffer {
  const blockSizeCode = { [64 * KiB]: 4, [256 * KiB]: 5, [MiB]: 6, [4 * MiB]: 7 }[blockBytes];
  if (blockSizeCode === undefined) throw new Error(`no LZ4 block size code for ${blockBytes} bytes`);
  const flg = 0x60 | (blockChecksum ? 0x10 : 0) | (contentChecksum ? 0x04 : 0);
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, blockSizeCode << 4, 0]);
  header[6] = (xxhash32(header, 4, 6) >>> 8) & 0xff;
  const parts: Buffer[] = [header];
  const word = (value: number): Buffer => {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32LE(value >>> 0, 0);
    return bytes;
  };
  for (let start = 0; start < input.length; start += blockBytes) {
    const block = input.subarray(start, Math.min(start + blockBytes, input.length));
    const compressed = compressSync(block).subarray(4);
    const raw = compressed.length >= block.length;
    const body = raw ? block : compressed;
    parts.push(word(body.length | (raw ? 0x80000000 : 0)), body);
    if (blockChecksum) parts.push(word(xxhash32(body, 0, body.length)));
  }
  parts.push(word(0));
  if (contentChecksum) parts.push(word(xxhash32(input, 0, input.length)));
  return Buffer.concat(parts);
}

/**
 * How the measured loop treats the event loop. lz4-napi returns some outputs as external buffers
 * (`compressSync`, `compressFrameSync`, `decompressFrameSync`: the Rust Vec becomes the Buffer's
 * memory), and Node frees those only from the event loop (the napi finalizer runs as an
 * immediate), even after a GC. 'yielding' turns the event loop after every call, outside the
 * timed window, as a server handling one request per tick does; 'sync' is a tight synchronous
 * loop (recovery, compaction), where such outputs pile up until the loop yields.
 */
type Loop = 'yielding' | 'sync';

interface Measured {
  p50Ms: number;
  p99Ms: number;
  samples: number;
  usage: Usage;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function newBench(options: BenchOptions, inputBytes: number, sweep: boolean): Bench {
  const big = inputBytes >= 16 * MiB;
  return new Bench({
    time: size(options, sweep ? 15 : 40, big ? 1500 : 500),
    iterations: size(options, 2, big ? 5 : 20),
    warmupTime: size(options, 5, 100),
    warmupIterations: size(options, 1, 2),
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
}

function latency(task: Task | undefined): { p50Ms: number; p99Ms: number; samples: number } {
  if (task === undefined) throw new Error('benchmark task missing');
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`benchmark task ${task.name} ended ${result.state}`);
  return {
    p50Ms: Number(result.latency.p50.toPrecision(4)),
    p99Ms: Number(result.latency.p99.toPrecision(4)),
    samples: result.latency.samplesCount,
  };
}

/**
 * One contestant in its own Bench, so that no contestant pays for another's garbage. Also records,
 * over the measured phase, minor page faults, process system CPU time and resident-set growth per
 * operation (retained memory: large only when outputs are not being freed).
 */
async function measure(
  options: BenchOptions,
  contestant: Contestant,
  bytes: number,
  sweep: boolean,
  loop: Loop,
): Promise<Measured> {
  const bench = newBench(options, bytes, sweep);
  let calls = 0;
  let start = resourceUsage();
  let rssStart = process.memoryUsage.rss();
  let usage: Usage = { minorFaultsPerOp: 0, systemCpuMsPerOp: 0, rssGrowthMiBPerOp: 0 };
  const run = contestant.run;
  bench.add(
    contestant.name,
    () => {
      calls++;
      consume(run());
    },
    {
      async: false,
      ...(loop === 'yielding' ? { afterEach: yieldToEventLoop } : {}),
      beforeAll(mode) {
        if (mode !== 'run') return;
        calls = 0;
        start = resourceUsage();
        rssStart = process.memoryUsage.rss();
      },
      afterAll(mode) {
        if (mode !== 'run' || calls === 0) return;
        const end = resourceUsage();
        usage = {
          minorFaultsPerOp: Math.round((end.minorPageFault - start.minorPageFault) / calls),
          systemCpuMsPerOp: Math.round((end.systemCPUTime - start.systemCPUTime) / calls / 10) / 100,
          rssGrowthMiBPerOp: Math.round((process.memoryUsage.rss() - rssStart) / calls / MiB),
        };
      },
    },
  );
  await bench.run();
  // Let Node free whatever external buffers the task left behind before the next one starts.
  await yieldToEventLoop();
  return { ...latency(bench.getTask(contestant.name)), usage };
}

/** Measures contestants on the same uncompressed bytes; reports MB/s of those bytes. */
async function compare(
  options: BenchOptions,
  prefix: string,
  uncompressedBytes: number,
  contestants: Contestant[],
  extra: Record<string, unknown>,
  sweep = false,
  loop: Loop = 'yielding',
): Promise<void> {
  const results = new Map<Contestant, Measured>();
  for (const contestant of contestants) {
    results.set(contestant, await measure(options, contestant, uncompressedBytes, sweep, loop));
  }
  const baseline = contestants.find((contestant) => contestant.isBaseline === true);
  const baselineMs = baseline === undefined ? undefined : results.get(baseline)!.p50Ms;
  for (const contestant of contestants) {
    const { p50Ms, p99Ms, samples, usage } = results.get(contestant)!;
    report({
      name: `${prefix}/${contestant.name}`,
      ...extra,
      loop,
      uncompressedBytes,
      compressedBytes: contestant.compressedBytes,
      mbPerSec: Math.round(uncompressedBytes / (p50Ms / 1000) / 1e6),
      p50Ms,
      p99Ms,
      samples,
      ...(baseline === undefined ? {} : { baseline: `lz4-napi ${baseline.name}` }),
      ...(baselineMs === undefined || contestant === baseline
        ? {}
        : { ratio: Math.round((baselineMs / p50Ms) * 100) / 100 }),
      ...usage,
      checksum,
    });
  }
}

function expectSame(label: string, actual: Buffer, expected: Buffer): void {
  if (!actual.equals(expected)) throw new Error(`${label} does not round-trip`);
}

function decompressContestants(input: Buffer, ours: Buffer, frame: Buffer, block: Buffer): Contestant[] {
  return [
    { name: 'ours', run: () => lz4FrameDecompress(ours, input.length), compressedBytes: ours.length },
    {
      name: 'decompressFrameSync',
      run: () => decompressFrameSync(frame),
      compressedBytes: frame.length,
      isBaseline: true,
    },
    { name: 'uncompressSync', run: () => uncompressSync(block), compressedBytes: block.length },
    { name: 'decompressFrameSync(ours)', run: () => decompressFrameSync(ours), compressedBytes: ours.length },
  ];
}

async function measureCodecs(options: BenchOptions, kind: Payload, input: Buffer, sweep: boolean): Promise<void> {
  const ours = lz4FrameCompress(input);
  const frame = compressFrameSync(input);
  const block = compressSync(input);
  expectSame('ours', lz4FrameDecompress(ours, input.length), input);
  expectSame('lz4-napi frame', decompressFrameSync(frame), input);
  expectSame('lz4-napi block', uncompressSync(block), input);
  expectSame('lz4-napi frame decoder on our frame', decompressFrameSync(ours), input);
  const extra = { payload: kind, frameFlg: frame[4], frameBd: frame[5] };
  await compare(options, `lz4/compress/${kind}`, input.length, [
    { name: 'ours', run: () => lz4FrameCompress(input), compressedBytes: ours.length },
    {
      name: 'compressFrameSync',
      run: () => compressFrameSync(input),
      compressedBytes: frame.length,
      isBaseline: true,
    },
    { name: 'compressSync', run: () => compressSync(input), compressedBytes: block.length },
  ], extra);
  const decompressors = decompressContestants(input, ours, frame, block);
  await compare(options, `lz4/decompress/${kind}`, input.length, decompressors, extra);
  if (sweep) {
    // The same decoders in a loop that never yields: external outputs are not freed meanwhile.
    await compare(options, `lz4-sweep/sync-loop/${kind}`, input.length, decompressors, extra, true, 'sync');
  }
}

/** Frame decoder on the same input with other block sizes and checksum flags. */
async function sweepFrameLayouts(options: BenchOptions, kind: Payload, input: Buffer): Promise<void> {
  const frames: Array<[string, Buffer]> = [
    ['default', compressFrameSync(input)],
    ['64KiB', buildFrame(input, 64 * KiB, false, false)],
    ['256KiB', buildFrame(input, 256 * KiB, false, false)],
    ['1MiB', buildFrame(input, MiB, false, false)],
    ['4MiB', buildFrame(input, 4 * MiB, false, false)],
    ['64KiB+blockChecksum', buildFrame(input, 64 * KiB, true, false)],
    ['64KiB+contentChecksum', buildFrame(input, 64 * KiB, false, true)],
  ];
  for (const [label, frame] of frames) expectSame(`frame ${label}`, decompressFrameSync(frame), input);
  const block = compressSync(input);
  await compare(options, `lz4-sweep/layout/${kind}`, input.length, [
    ...frames.map(([label, frame]) => ({
      name: `decompressFrameSync(${label})`,
      run: () => decompressFrameSync(frame),
      compressedBytes: frame.length,
      isBaseline: label === 'default',
    })),
    { name: 'uncompressSync', run: () => uncompressSync(block), compressedBytes: block.length },
  ], { payload: kind }, true);
}

/** The decoders as the input grows, from a small Kafka batch to a segment-sized buffer. */
async function sweepSizes(options: BenchOptions, kind: Payload, input: Buffer): Promise<void> {
  const sizes = size(options, [64 * KiB, 256 * KiB, MiB], [64 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB, 64 * MiB]);
  for (const bytes of sizes) {
    const part = input.subarray(0, bytes);
    const frames = [lz4FrameCompress(part), compressFrameSync(part), compressSync(part)] as const;
    const contestants = decompressContestants(part, ...frames);
    const prefix = `lz4-sweep/size/${kind}/${sizeLabel(bytes)}`;
    await compare(options, prefix, bytes, contestants, { payload: kind }, true);
  }
}

export async function run(options: BenchOptions): Promise<void> {
  const inputBytes = size(options, MiB, 64 * MiB);
  const sweep = options.smoke || process.env['BROOK_BENCH_LZ4_SWEEP'] === '1';
  for (const kind of ['compressible', 'random'] as const) {
    const input = payload(kind, inputBytes);
    await measureCodecs(options, kind, input, sweep);
    if (sweep) {
      await sweepFrameLayouts(options, kind, input);
      await sweepSizes(options, kind, input);
    }
  }
}
