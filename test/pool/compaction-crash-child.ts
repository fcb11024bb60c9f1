import { writeSync } from 'node:fs';
import { WorkPool } from '../../src/pool/pool.js';
import { OFFLOAD_ALWAYS } from '../../src/pool/thresholds.js';
import { nodeFileIO, type FileIO } from '../../src/storage/file-io.js';
import { Log } from '../../src/storage/log.js';
import { isEntryPoint } from '../helpers/entry-point.js';

/**
 * The process half of the compaction-on-the-pool SIGKILL test (test/pool/compaction.test.ts).
 * Run as
 *
 *   node dist/test/pool/compaction-crash-child.js <partition dir> <when>
 *
 * on a directory the parent prepared (a compacted-topic log, closed cleanly). It opens the log
 * with a 1-worker WorkPool (OFFLOAD_ALWAYS) as its compactionRunner, prints `ready`, starts
 * `compact({ force: true, nowMs: COMPACTION_CRASH_NOW_MS })` and SIGKILLs itself at `<when>`:
 *
 * - `delay:<ms>`: after a timer of that many milliseconds (the pass runs on the worker meanwhile;
 *   if it resolves first, `resolved …` is printed before the kill).
 * - `after`: once the pass resolves (`resolved …` first), without closing the log.
 * - `rename:<k>:before|after`: just before or just after the k-th rename the log makes once the
 *   pass has started (the cleaner checkpoint, then per segment `.cleaned` → `.swap` and `.swap` →
 *   `.log`): the swap happens synchronously on the log's thread, where no timer can interrupt
 *   it. `rename <k> <from> <to>` is printed first. The FileIO is node:fs with `rename` wrapped,
 *   so the log still hands the pass to the pool (its reads are node:fs reads).
 *
 * `resolved <tasks offloaded> <ms from compact() to resolution> <CompactionResult JSON>` reports a
 * pass that finished. It never exits by itself; anything unexpected goes to stderr with exit code 1.
 */

export const COMPACTION_CRASH_CONFIG = {
  'cleanup.policy': 'compact',
  'segment.bytes': 192 * 1024,
  'index.interval.bytes': 4096,
  'delete.retention.ms': 60_000,
} as const;

/** Record timestamps start here; the pass runs at COMPACTION_CRASH_NOW_MS. */
export const COMPACTION_CRASH_T0_MS = 1_700_000_000_000;
export const COMPACTION_CRASH_NOW_MS = COMPACTION_CRASH_T0_MS + 10_000_000;

function say(line: string): void {
  // Synchronous, so the line is out before a SIGKILL that follows it.
  writeSync(1, `${line}\n`);
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered at once; never run on past it.
  for (;;) {
    // wait for the signal
  }
}

async function main(directory: string, when: string): Promise<void> {
  const pool = WorkPool.create({ workers: 1, thresholds: OFFLOAD_ALWAYS });
  // Have the worker thread up and its modules loaded before the pass, so delays measure the pass.
  await pool.echo(Buffer.alloc(16));
  let renames = 0;
  let renameKill: { readonly at: number; readonly after: boolean } | null = null;
  const io: FileIO = {
    ...nodeFileIO,
    rename(from, to) {
      if (renameKill === null) return nodeFileIO.rename(from, to);
      renames++;
      if (renames !== renameKill.at) return nodeFileIO.rename(from, to);
      say(`rename ${renames} ${from} ${to}`);
      if (!renameKill.after) die();
      nodeFileIO.rename(from, to);
      die();
    },
  };
  const log = await Log.open(directory, {
    config: COMPACTION_CRASH_CONFIG,
    scheduleTasks: false,
    io,
    compactionRunner: pool,
  });
  say(`ready ${log.segmentCount}`);
  const match = /^rename:(\d+):(before|after)$/.exec(when);
  if (match !== null) renameKill = { at: Number(match[1]), after: match[2] === 'after' };
  const offloadedBefore = pool.stats.offloadedTasks;
  const startedAt = performance.now();
  const pass = log.compact({ force: true, nowMs: COMPACTION_CRASH_NOW_MS });
  const report = (result: unknown): void =>
    say(`resolved ${pool.stats.offloadedTasks - offloadedBefore} ${Math.round(performance.now() - startedAt)} ${JSON.stringify(result)}`);
  if (when === 'after') {
    report(await pass);
    die();
  }
  const delay = /^delay:(\d+)$/.exec(when);
  if (delay !== null) {
    setTimeout(die, Number(delay[1]));
    report(await pass);
    return;
  }
  if (match === null) throw new Error(`unknown <when>: ${when}`);
  report(await pass);
  throw new Error(`the pass resolved after ${renames} renames, before rename ${renameKill!.at}`);
}

if (isEntryPoint(import.meta.url)) {
  const [directory, when] = process.argv.slice(2);
  if (directory === undefined || when === undefined) {
    process.stderr.write('usage: compaction-crash-child.js <partition dir> <delay:<ms> | after | rename:<k>:before|after>\n');
    process.exit(2);
  }
  main(directory, when).catch((error: unknown) => {
    process.stderr.write(`compaction-crash-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
