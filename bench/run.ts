import type { BenchOptions } from './report.js';

/**
 * Benchmark entry: `npm run bench -- <name…> [--smoke]`, or `all`. Each benchmark prints one JSON
 * object per measurement (see report.ts). `--smoke` runs the small sizes CI uses.
 */
type BenchModule = { run(options: BenchOptions): Promise<void> };

const BENCHES: Record<string, () => Promise<BenchModule>> = {
  crc32c: () => import('./crc32c.bench.js'),
  lz4: () => import('./lz4.bench.js'),
  codec: () => import('./record-batch-codec.bench.js'),
  index: () => import('./offset-index-lookup.bench.js'),
  storage: () => import('./storage.bench.js'),
  broker: () => import('./broker.bench.js'),
  pool: () => import('./pool.bench.js'),
  wire: () => import('./wire.bench.js'),
  tuning: () => import('./tuning.bench.js'),
  metrics: () => import('./metrics.bench.js'),
  recovery: () => import('./recovery.bench.js'),
  compaction: () => import('./compaction.bench.js'),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke') || process.env['BROOK_BENCH_SMOKE'] === '1';
  let names = args.filter((arg) => !arg.startsWith('--'));
  if (names.length === 0 || names.includes('all')) names = Object.keys(BENCHES);
  for (const name of names) {
    const load = BENCHES[name];
    if (load === undefined) {
      process.stderr.write(`unknown benchmark "${name}"; choose from: ${Object.keys(BENCHES).join(', ')}, all\n`);
      process.exitCode = 2;
      return;
    }
    const module = await load();
    await module.run({ smoke });
  }
}

await main();
