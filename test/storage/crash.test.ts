import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeRecordBatch } from '../../src/records/record-batch.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/file-names.js';
import { Log, type RecoveryReport } from '../../src/storage/log.js';
import { CRASH_CHILD_SEGMENT_BYTES, parseCrashRecordValue } from '../helpers/crash-child.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * SIGKILL harness (reliability-plan.md §3.3 item 1, §7 row 1): a child process appends to a log in
 * 'fsync' mode with several appends in flight; the parent collects its acknowledgements, kills it
 * with SIGKILL after a seeded number of them, opens the log itself, and checks:
 *
 * - every acknowledged record is at its acknowledged offset with its exact value (lost = 0);
 * - no (seed, sequence) appears twice (dup = 0), and each child's records form a gap-free prefix
 *   of its sequence numbers, in offset order (no holes: unacknowledged tails only);
 * - offsets are contiguous from 0 up to the log end offset;
 * - the recovery report is consistent: unclean, truncated bytes ≥ 0 and equal to the sum of its
 *   truncations, nothing corrupt below the recovery point, no segment deleted.
 *
 * The directory is reused across iterations, so each child also recovers what the previous ones
 * left. The parent closes the log after each check; on every other iteration it removes the
 * clean-shutdown marker again, so children alternately start from a clean and an unclean directory.
 *
 * A process crash keeps the page cache, so this proves process-crash safety only (not power loss).
 * No wall-clock sleeps: kills are triggered by counting acknowledgements.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_SCRIPT = join(REPO_ROOT, 'dist', 'test', 'helpers', 'crash-child.js');
const ITERATIONS = Math.max(20, Number(process.env['BROOK_CRASH_ITERATIONS'] ?? 30) || 30);
const SEED = 0xc4a5_0001;
const ACKS_BEFORE_KILL_MIN = 5;
const ACKS_BEFORE_KILL_MAX = 200;

interface Ack {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly firstSequence: number;
  readonly count: number;
}

interface ChildRun {
  readonly acks: Ack[];
  readonly signal: NodeJS.Signals | null;
  readonly exitCode: number | null;
  readonly stderr: string;
}

/** Start the child, SIGKILL it once `killAfterAcks` acks have arrived, and collect every ack line. */
function runChildUntilKilled(directory: string, seed: number, killAfterAcks: number): Promise<ChildRun> {
  return new Promise<ChildRun>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_SCRIPT, directory, String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let pendingText = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      pendingText += text;
      let newline = pendingText.indexOf('\n');
      while (newline >= 0) {
        const line = pendingText.slice(0, newline);
        pendingText = pendingText.slice(newline + 1);
        const match = /^ack (\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (match === null) {
          stderr += `unexpected stdout line: ${JSON.stringify(line)}\n`;
        } else {
          acks.push({
            baseOffset: Number(match[1]),
            lastOffset: Number(match[2]),
            firstSequence: Number(match[3]),
            count: Number(match[4]),
          });
        }
        newline = pendingText.indexOf('\n');
      }
      if (!killed && acks.length >= killAfterAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    // 'close' comes after both pipes have ended, so every line the child wrote has been seen.
    child.on('close', (exitCode, signal) => resolve({ acks, signal, exitCode, stderr }));
  });
}

function percentile(sorted: ReadonlyArray<number>, fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

interface Figures {
  kills: number;
  ackedRecords: number;
  lost: number;
  duplicates: number;
  recoveryMs: number[];
  bytesTruncatedMax: number;
}

const figures: Figures = { kills: 0, ackedRecords: 0, lost: 0, duplicates: 0, recoveryMs: [], bytesTruncatedMax: 0 };

afterAll(() => {
  if (figures.kills === 0) return;
  const sorted = [...figures.recoveryMs].sort((a, b) => a - b);
  console.log(
    `crash (SIGKILL, fsync mode): ${figures.kills} kills, ${figures.ackedRecords} acked records, ` +
      `lost ${figures.lost}, dup ${figures.duplicates}; recovery p50/max = ` +
      `${percentile(sorted, 0.5).toFixed(1)}/${(sorted[sorted.length - 1] ?? 0).toFixed(1)} ms; ` +
      `max bytes truncated per recovery = ${figures.bytesTruncatedMax}`,
  );
});

/** What the log must hold at an offset: record `sequence` of the child started with `seed`. */
interface Expected {
  readonly seed: number;
  readonly sequence: number;
}

/** Walk the whole log and check it against the acknowledgements; returns problems found. */
function checkLog(
  log: Log,
  ackedByOffset: ReadonlyMap<number, Expected>,
  seedsInOrder: ReadonlyArray<number>,
): { problems: string[]; lost: number; duplicates: number } {
  const problems: string[] = [];
  const nextSequenceBySeed = new Map<number, number>();
  const found = new Map<number, Expected>();
  let duplicates = 0;
  let expectedOffset = 0;
  let seedIndex = 0;
  while (expectedOffset < log.logEndOffset && problems.length < 20) {
    const result = log.read(expectedOffset, 1024 * 1024);
    if (result.records.length === 0) {
      problems.push(`read at ${expectedOffset} returned nothing below the log end offset ${log.logEndOffset}`);
      break;
    }
    let position = 0;
    while (position < result.records.length) {
      const { header, records } = decodeRecordBatch(result.records, position);
      position += header.batchLength + 12;
      for (const record of records) {
        if (record.offset !== expectedOffset) {
          problems.push(`offset ${record.offset} where ${expectedOffset} was expected (offsets must be contiguous)`);
        }
        expectedOffset = record.offset + 1;
        const parsed = parseCrashRecordValue(record.value?.toString('utf8') ?? '');
        if (parsed === null || record.key?.toString('utf8') !== String(parsed.sequence)) {
          problems.push(`offset ${record.offset} holds a record the children never wrote`);
          continue;
        }
        found.set(record.offset, parsed);
        // Children run one after another, so their seeds appear in start order.
        while (seedIndex < seedsInOrder.length && seedsInOrder[seedIndex] !== parsed.seed) seedIndex++;
        if (seedIndex === seedsInOrder.length) {
          problems.push(`offset ${record.offset}: seed ${parsed.seed} out of order or unknown`);
          continue;
        }
        const next = nextSequenceBySeed.get(parsed.seed) ?? 0;
        if (parsed.sequence < next) {
          duplicates++;
          problems.push(`offset ${record.offset}: seed ${parsed.seed} sequence ${parsed.sequence} appears again`);
        } else if (parsed.sequence > next) {
          problems.push(`offset ${record.offset}: seed ${parsed.seed} jumps from sequence ${next - 1} to ${parsed.sequence} (a hole)`);
        }
        nextSequenceBySeed.set(parsed.seed, Math.max(next, parsed.sequence + 1));
      }
    }
    expect(result.nextOffset).toBe(expectedOffset);
  }
  let lost = 0;
  for (const [offset, expected] of ackedByOffset) {
    const actual = found.get(offset);
    if (actual === undefined || actual.seed !== expected.seed || actual.sequence !== expected.sequence) {
      lost++;
      if (problems.length < 20) {
        problems.push(
          `acked offset ${offset} (seed ${expected.seed} sequence ${expected.sequence}) ` +
            (actual === undefined ? 'is missing' : `holds seed ${actual.seed} sequence ${actual.sequence}`),
        );
      }
    }
  }
  return { problems, lost, duplicates };
}

function checkReport(report: RecoveryReport, log: Log): void {
  expect(report.cleanShutdown).toBe(false);
  expect(report.bytesTruncated).toBeGreaterThanOrEqual(0);
  expect(report.bytesTruncated).toBe(report.truncations.reduce((sum, damage) => sum + damage.bytes, 0));
  // A process crash tears at most the tail; it never corrupts flushed data or orphans a segment.
  expect(report.corruptBelowRecoveryPoint).toEqual([]);
  expect(report.segmentsDeleted).toEqual([]);
  expect(report.truncations.length).toBeLessThanOrEqual(1);
  expect(report.logStartOffset).toBe(0);
  expect(report.logEndOffset).toBe(log.logEndOffset);
  expect(report.recoveryPoint).toBeLessThanOrEqual(report.logEndOffset);
  expect(report.durationMs).toBeGreaterThanOrEqual(0);
}

describe('Log under SIGKILL', () => {
  test('every acknowledged record survives SIGKILL of a child appending in fsync mode', async () => {
    expect(existsSync(CHILD_SCRIPT), `${CHILD_SCRIPT} is missing: run \`npx tsc -p tsconfig.json\` first`).toBe(true);
    const prng = new Prng(SEED);
    const scratch = makeTempDir('brook-crash-');
    const directory = join(scratch.path, 'crash-0');
    const ackedByOffset = new Map<number, Expected>();
    const seedsInOrder: number[] = [];
    let segmentCount = 0;
    try {
      for (let iteration = 0; iteration < ITERATIONS; iteration++) {
        const seed = iteration + 1;
        seedsInOrder.push(seed);
        const killAfterAcks = ACKS_BEFORE_KILL_MIN + prng.nextInt(ACKS_BEFORE_KILL_MAX - ACKS_BEFORE_KILL_MIN + 1);
        const run = await runChildUntilKilled(directory, seed, killAfterAcks);
        const context = `iteration ${iteration} (seed ${seed}, kill after ${killAfterAcks} acks)`;
        expect(run.signal, `${context}: the child ended by itself (exit ${run.exitCode}):\n${run.stderr}`).toBe('SIGKILL');
        expect(run.stderr, context).toBe('');
        expect(run.acks.length).toBeGreaterThanOrEqual(killAfterAcks);
        figures.kills++;
        for (const ack of run.acks) {
          expect(ack.lastOffset - ack.baseOffset + 1, `${context}: ack ${JSON.stringify(ack)}`).toBe(ack.count);
          for (let index = 0; index < ack.count; index++) {
            const offset = ack.baseOffset + index;
            expect(ackedByOffset.has(offset), `${context}: offset ${offset} acknowledged twice`).toBe(false);
            ackedByOffset.set(offset, { seed, sequence: ack.firstSequence + index });
          }
          figures.ackedRecords += ack.count;
        }

        const log = await Log.open(directory, {
          durability: 'fsync',
          scheduleTasks: false,
          config: { 'segment.bytes': CRASH_CHILD_SEGMENT_BYTES, 'index.interval.bytes': 1024 },
        });
        try {
          const report = log.recoveryReport;
          figures.recoveryMs.push(report.durationMs);
          figures.bytesTruncatedMax = Math.max(figures.bytesTruncatedMax, report.bytesTruncated);
          checkReport(report, log);
          segmentCount = log.segmentCount;
          const { problems, lost, duplicates } = checkLog(log, ackedByOffset, seedsInOrder);
          figures.lost += lost;
          figures.duplicates += duplicates;
          expect(problems, `${context}: ${JSON.stringify(report)}`).toEqual([]);
        } finally {
          await log.close();
        }
        // Every other child starts from an unclean directory and has to recover it first.
        if (iteration % 2 === 1) rmSync(join(directory, CLEAN_SHUTDOWN_FILE), { force: true });
      }
      // The children rolled segments, so kills also landed around rolls.
      expect(segmentCount).toBeGreaterThan(1);
      expect(figures.lost).toBe(0);
      expect(figures.duplicates).toBe(0);
    } finally {
      scratch.remove();
    }
  });
});
