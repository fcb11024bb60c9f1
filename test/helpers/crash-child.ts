import type { RecordInput } from '../../src/records/record.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { Log } from '../../src/storage/log.js';
import { Prng } from './prng.js';
import { isEntryPoint } from './entry-point.js';

/**
 * The writer half of the SIGKILL harness (test/storage/crash.test.ts; reliability-plan.md §3.3
 * item 1). Run as `node dist/test/helpers/crash-child.js <data dir> <seed>`; it never exits by
 * itself: the parent kills it with SIGKILL.
 *
 * It opens the log with durability 'fsync' and small segments (so that rolls happen), and keeps
 * CRASH_CHILD_APPENDS_IN_FLIGHT appends outstanding at all times, so that several appends share
 * one fdatasync (group commit). Each batch holds 1-20 records whose values encode (seed, sequence
 * number) and are checkable byte for byte (crashRecordValue). Only after an append's promise
 * resolves does it print one line
 *
 *   ack <baseOffset> <lastOffset> <firstSeq> <count>
 *
 * so a line the parent receives is an acknowledgement, and nothing else is. Any append error is
 * written to stderr and ends the process with exit code 1, which the parent reports as a failure.
 */

export const CRASH_CHILD_SEGMENT_BYTES = 64 * 1024;
export const CRASH_CHILD_APPENDS_IN_FLIGHT = 8;
export const CRASH_CHILD_RECORDS_PER_BATCH_MAX = 20;

/** The value of record `sequence` written by the child started with `seed`. */
export function crashRecordValue(seed: number, sequence: number): string {
  // A length that varies with the sequence (so batch sizes vary), with content fixed by both.
  const paddingLength = (sequence * 7919 + seed * 104_729) % 160;
  const filler = `${(seed * 31 + sequence) % 10}`.repeat(paddingLength);
  return `seed=${seed} seq=${sequence} ${filler}`;
}

/** (seed, sequence) from a value written by crashRecordValue, or null if it is not one. */
export function parseCrashRecordValue(value: string): { seed: number; sequence: number } | null {
  const match = /^seed=(\d+) seq=(\d+) /.exec(value);
  if (match === null) return null;
  return { seed: Number(match[1]), sequence: Number(match[2]) };
}

async function main(directory: string, seed: number): Promise<void> {
  const prng = new Prng(seed);
  const log = await Log.open(directory, {
    config: { 'segment.bytes': CRASH_CHILD_SEGMENT_BYTES, 'index.interval.bytes': 1024 },
    durability: 'fsync',
    scheduleTasks: false,
  });
  let nextSequence = 0;
  const appendForever = async (): Promise<never> => {
    for (;;) {
      const count = 1 + prng.nextInt(CRASH_CHILD_RECORDS_PER_BATCH_MAX);
      const firstSequence = nextSequence;
      nextSequence += count;
      const records: RecordInput[] = [];
      for (let index = 0; index < count; index++) {
        const sequence = firstSequence + index;
        records.push({ key: String(sequence), value: crashRecordValue(seed, sequence) });
      }
      const batch = encodeRecordBatch(records, { compression: prng.nextInt(4) === 0 ? 'lz4' : 'none' });
      // The sequence numbers are taken and the append is called in the same synchronous step, so
      // offsets follow sequence order even with several appends in flight.
      const result = await log.append(batch);
      process.stdout.write(`ack ${result.baseOffset} ${result.lastOffset} ${firstSequence} ${count}\n`);
    }
  };
  await Promise.all(Array.from({ length: CRASH_CHILD_APPENDS_IN_FLIGHT }, appendForever));
}

if (isEntryPoint(import.meta.url)) {
  const [directory, seedText] = process.argv.slice(2);
  const seed = Number(seedText);
  if (directory === undefined || !Number.isSafeInteger(seed) || seed < 0) {
    process.stderr.write('usage: crash-child.js <data dir> <seed (a non-negative integer)>\n');
    process.exit(2);
  }
  main(directory, seed).catch((error: unknown) => {
    process.stderr.write(`crash-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
