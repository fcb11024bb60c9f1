/**
 * Offload thresholds: a task whose input is under its threshold runs inline on the calling thread;
 * at or above it, on a worker (when the pool has workers). The criterion is the main thread's CPU
 * time per batch, the resource a broker runs short of first: a task is offloaded once sending it
 * away (≈ 12–15 µs of main-thread CPU per pipelined round trip, plus any packing or reading of
 * the result) costs the main thread less than doing it.
 *
 * Measured with bench/pool.bench.ts (2-core AMD EPYC VM, Node 20.20, other jobs running; medians
 * of 2 runs × 5 windows of 120 ms, 16 tasks in flight, 100-byte values, null keys; a third run
 * landed inside the same ranges, and its `auto` pool, these defaults with 2 workers, matched
 * inline's main-thread CPU below each threshold and the 2-worker pool's above it). Each
 * "crossover" is where main-thread CPU per batch of a 1- and a 2-worker pool (OFFLOAD_ALWAYS)
 * falls below inline's, interpolated in log size between the measured 1/10/100/1000/10000-record
 * batches; earlier runs timed by event-loop utilisation gave the same picture.
 *
 * | task                 | inline cost                        | crossover (1w / 2w)                 |
 * |----------------------|------------------------------------|-------------------------------------|
 * | validate, none       | 0.93 µs + 0.47 ns/B                | 48 / 36 KB compressible, 49 / 37 KB random |
 * | validate, lz4        | 5.4 µs (1 rec); 97 ns/record comp. | 4.8 / 4.0 KB stored (≈ 225 / 190 records) compressible; |
 * |                      | 71 ns/record random                | 30 / 29 KB stored (≈ 270 / 260 records) random |
 * | encode, none         | 1.2 µs + 0.94–1.13 ns/B            | 40–212 KB of values (median 73 KB)* |
 * | encode, lz4          | 3.3 µs; 1.5 ns/B comp., 1.7 random  | 26–40 KB of values compr., 11–18 KB random* |
 * | decode, none (+read) | 1.7 µs + 1.3 ns/B                  | 32 / 37 KB compressible, 24 / 34 KB random |
 * | decode, lz4 (+read)  | 6.4 µs (1 rec); 198 ns/record comp. | 3.9 / 4.4 KB stored (≈ 180 / 205 records) compr.; |
 * |                      | 193 ns/record random               | 21 / 29 KB stored (≈ 185 / 255 records) random |
 * | compress (lz4)       | 2.2 µs; 0.78 ns/B compr., 0.67 random | ≈ 55 / 43 KB of section compr., 36 / 33 KB random |
 * | decompress (lz4)     | 4.6 µs; 2.2 ns/stored B compr.      | 24 / 14 KB stored compressible; never for random |
 *
 * \* encode rows re-measured 2026-11-25 after the 'seal' path (pool.ts encode): 3 runs of
 *   `BROOK_BENCH_POOL_TASKS=encode npm run bench -- pool`, 1w and 2w; ranges over the runs. Inline
 *   lz4 encode got cheaper (its section goes into a reused scratch), so its crossover rose.
 * - Compressed batches are judged by record count as well as stored bytes: the stored size of the
 *   same work varies 5× with the payload, while the record count at the crossover stays within
 *   180–270 for both payloads. Either bound sends a batch to a worker, so a few huge records or
 *   many small ones both qualify.
 * - Offloading costs more CPU in all (both threads counted: ~25 µs per small task, +10–100% for
 *   batches past the crossover) and on 2 cores raises throughput only for large batches: with 2
 *   workers, validate passes inline at ~100 KB (1.8× inline at 1 MB), decode at 65–85 KB plain
 *   (1.5×), encode lz4 at 28–96 KB of values (1.35–1.58× at 1 MB, 1.01–1.47× at 100 KB, 3
 *   runs after the seal path); encode none only breaks even
 *   at 1 MB (1.0–1.1×), where it halves the main thread's work.
 * - decompress of incompressible data (LZ4 stores it raw) is a memcpy inline and never pays;
 *   its threshold is set for compressible data, where compression is used.
 * - recoveryScanBytes (bench/recovery.bench.ts, 3 runs × 5 alternating rounds): Log.open of one
 *   partition's 16 KiB…16 MiB segments, inline against every scan on a 1- or 2-worker pool.
 *   Inline costs ~85 µs of fixed work per segment plus ~0.4 ns/B (read + CRC-32C); a hand-off
 *   saves the main thread the bytes but not the fixed part. Offloading pays, on wall time and
 *   on main-thread CPU alike, from 52–88 KB (median 68 KB): 72 KiB. At 16 KiB it costs 15–25%.
 * - compactionBytes (bench/compaction.bench.ts, 5 alternating rounds): one pass over 16 KiB…16 MiB
 *   of keyed segments, inline against a worker. A pass is single-threaded wherever it runs, so
 *   wall time never improves (0.95–0.98× from 4 MiB); the main thread's CPU does: 3.6 → 1.9 ms at
 *   64 KiB, 111 → 3.7 ms at 16 MiB (at 16 KiB, 0.74 → 0.64 ms). 64 KiB.
 */

export interface OffloadThresholds {
  /** Stored bytes of an uncompressed batch. */
  readonly validatePlainBytes: number;
  /** Stored bytes of a compressed batch; it is offloaded when this or the record count is reached. */
  readonly validateCompressedBytes: number;
  /** Records of a compressed batch (recordsCount from its header). */
  readonly validateCompressedRecords: number;
  /** Key + value bytes of the records, for an uncompressed batch. */
  readonly encodePlainBytes: number;
  /** Key + value bytes of the records, for a compressed batch. */
  readonly encodeCompressedBytes: number;
  /** Stored bytes, when the first batch is uncompressed. */
  readonly decodePlainBytes: number;
  /** Stored bytes, when the first batch is compressed (or the record count below). */
  readonly decodeCompressedBytes: number;
  /** Records of all batches, when the first is compressed. */
  readonly decodeCompressedRecords: number;
  /** Uncompressed section bytes. */
  readonly compressBytes: number;
  /** Compressed section bytes. */
  readonly decompressBytes: number;
  /**
   * Bytes of a segment file to scan at recovery (length, CRC-32C and header checks of every
   * batch; see native-notes.md, "Recovery on the pool"). The worker reads the file itself.
   */
  readonly recoveryScanBytes: number;
  /**
   * Bytes of the segment files a compaction pass reads (see native-notes.md, "Compaction on the
   * pool"). The worker reads and writes the files itself.
   */
  readonly compactionBytes: number;
}

const KiB = 1024;

/** The median crossover of each row, rounded up to a multiple of 8 KiB (records: of 32). */
export const OFFLOAD_THRESHOLDS_DEFAULT: OffloadThresholds = {
  validatePlainBytes: 48 * KiB,
  validateCompressedBytes: 32 * KiB,
  validateCompressedRecords: 256,
  encodePlainBytes: 72 * KiB,
  encodeCompressedBytes: 24 * KiB,
  decodePlainBytes: 40 * KiB,
  decodeCompressedBytes: 32 * KiB,
  decodeCompressedRecords: 224,
  compressBytes: 40 * KiB,
  decompressBytes: 24 * KiB,
  recoveryScanBytes: 72 * KiB,
  compactionBytes: 64 * KiB,
};

/** Every task goes to a worker (tests, and benchmarks of the worker path itself). */
export const OFFLOAD_ALWAYS: OffloadThresholds = {
  validatePlainBytes: 0,
  validateCompressedBytes: 0,
  validateCompressedRecords: 0,
  encodePlainBytes: 0,
  encodeCompressedBytes: 0,
  decodePlainBytes: 0,
  decodeCompressedBytes: 0,
  decodeCompressedRecords: 0,
  compressBytes: 0,
  decompressBytes: 0,
  recoveryScanBytes: 0,
  compactionBytes: 0,
};
