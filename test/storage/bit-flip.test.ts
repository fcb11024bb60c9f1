import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CorruptRecordError } from '../../src/core/errors.js';
import { LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET } from '../../src/records/batch-layout.js';
import { readInt64 } from '../../src/records/int64.js';
import type { RecordInput } from '../../src/records/record.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { nodeFileIO, type FileIO } from '../../src/storage/file-io.js';
import { CLEAN_SHUTDOWN_FILE, LOG_SUFFIX } from '../../src/storage/file-names.js';
import { Log, type LogOptions, type RecoveryReport } from '../../src/storage/log.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * Bit flips in stored batches (reliability-plan.md §3.3 item 4, §7 row 6).
 *
 * A closed multi-segment log is the template. Each trial flips 1-8 distinct bits inside stored
 * batches of a copy: in the middle of old segments (below the recovery point), in the last
 * segment, in the header fields outside the CRC, or scattered over the whole log. The copy is
 * opened with and without the clean-shutdown marker, and every offset from the log start to the
 * log end is read in order. Invariants:
 *
 * - no corrupt batch is served: every batch a read returns is byte-identical to the template's
 *   batch that belongs there, and a read never skips a batch;
 * - every trial that flipped a protected byte is detected: a read fails with CORRUPT_SEGMENT, or
 *   the recovery report names the damage (truncations / corruptBelowRecoveryPoint);
 * - reads fail with nothing but CORRUPT_SEGMENT, and opening never fails.
 *
 * What protects which bytes (kafka-storage.md §1.3): the CRC-32C covers bytes 21..end (attributes
 * to the last record). baseOffset (0..7), batchLength (8..11) and magic (16) lie outside it and are
 * left to the length, magic and offset-order checks. The partitionLeaderEpoch (12..15) is
 * protected by nothing: Kafka restamps it in place, so it is outside the CRC, and no check can
 * tell a flipped epoch from a real one. Flips there are therefore NOT in the "must be detected"
 * set; a batch whose only damage is there may be served, with only those four bytes changed.
 *
 * Durability is not under test, so the logs use a FileIO whose syncs do nothing.
 */

const noSyncIO: FileIO = {
  ...nodeFileIO,
  datasync: () => Promise.resolve(),
  datasyncSync: () => undefined,
  syncDirectory: () => undefined,
};

const TRIALS = Math.max(1000, Number(process.env['BROOK_BITFLIP_TRIALS'] ?? 1000) || 1000);
const BASE_OFFSET_TRIALS = 200;
const SEED = 0xb17f_1195;
const T0_MS = 1_700_000_000_000;
const CONFIG = { 'segment.bytes': 4096, 'index.interval.bytes': 256 } as const;
const OPTIONS: LogOptions = { config: CONFIG, io: noSyncIO, scheduleTasks: false, clock: () => T0_MS };
const BATCH_COUNT = 48;
const BASE_OFFSET_END = 8;
const EPOCH_START = PARTITION_LEADER_EPOCH_OFFSET;
const EPOCH_END = PARTITION_LEADER_EPOCH_OFFSET + 4;
const MAGIC_BYTE = 16;
const BATCH_LENGTH_BYTES = [8, 9, 10, 11];

interface TemplateBatch {
  readonly index: number;
  readonly file: string;
  readonly segment: number;
  readonly position: number;
  readonly bytes: Buffer;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

interface Flip {
  readonly batch: number;
  /** Byte within the batch. */
  readonly byte: number;
  readonly bit: number;
}

type Target = 'old segment' | 'last segment' | 'length or magic' | 'scattered' | 'base offset';

const isEpochByte = (byte: number): boolean => byte >= EPOCH_START && byte < EPOCH_END;

interface Outcome {
  readonly detectedOnRead: number;
  /** Reads refused with a CorruptRecordError rather than a CorruptSegmentError (bug B below). */
  readonly wrongErrorType: number;
  readonly corruptServed: string[];
  readonly unexpectedErrors: string[];
  readonly logEndOffsetInflated: boolean;
}

interface Totals {
  trials: number;
  opens: number;
  flips: number;
  mustDetect: number;
  detected: number;
  detectedOnRead: number;
  detectedByReport: number;
  epochOnly: number;
  undetected: number;
  corruptServed: number;
  unexpectedErrors: number;
  truncatedAtOpen: number;
  corruptBelowRecoveryPoint: number;
  logEndOffsetInflated: number;
  wrongErrorType: number;
}

const newTotals = (): Totals => ({
  trials: 0,
  opens: 0,
  flips: 0,
  mustDetect: 0,
  detected: 0,
  detectedOnRead: 0,
  detectedByReport: 0,
  epochOnly: 0,
  undetected: 0,
  corruptServed: 0,
  unexpectedErrors: 0,
  truncatedAtOpen: 0,
  corruptBelowRecoveryPoint: 0,
  logEndOffsetInflated: 0,
  wrongErrorType: 0,
});

function describeTotals(name: string, totals: Totals): string {
  return (
    `${name}: ${totals.trials} trials x 2 opens (marker kept / removed) = ${totals.opens} opens, ` +
    `${totals.flips} bits flipped; must-detect ${totals.mustDetect}, detected ${totals.detected} ` +
    `(on read ${totals.detectedOnRead}, in the recovery report ${totals.detectedByReport}; an open can be both), ` +
    `undetected ${totals.undetected}; leader-epoch-only (unprotected, not required) ${totals.epochOnly}; ` +
    `corrupt batches served ${totals.corruptServed}; unexpected errors ${totals.unexpectedErrors}; ` +
    `refused with CorruptRecordError instead of CorruptSegmentError ${totals.wrongErrorType}; ` +
    `opens that truncated (fsynced) data ${totals.truncatedAtOpen}, that reported corruption below the recovery ` +
    `point ${totals.corruptBelowRecoveryPoint}; log end offset past the template's ${totals.logEndOffsetInflated}`
  );
}

describe('Log reads after bit flips in stored batches', () => {
  const prng = new Prng(SEED);
  const summaries: string[] = [];
  let scratch: TempDir;
  let templateDirectory: string;
  let templateFiles: Map<string, Buffer>;
  let logFiles: string[];
  let batches: TemplateBatch[];
  let logEndOffset: number;

  beforeAll(async () => {
    scratch = makeTempDir('brook-bitflip-');
    templateDirectory = join(scratch.path, 'template-0');
    const log = await Log.open(templateDirectory, OPTIONS);
    let nextOffset = 0;
    for (let index = 0; index < BATCH_COUNT; index++) {
      const count = 1 + prng.nextInt(6);
      const records: RecordInput[] = [];
      for (let record = 0; record < count; record++) {
        const valueBytes = prng.nextInt(200);
        records.push({
          key: `key-${nextOffset + record}`,
          value: prng.nextInt(2) === 0 ? prng.bytes(valueBytes) : prng.compressibleBytes(valueBytes),
          timestamp: T0_MS + (nextOffset + record) * 10,
        });
      }
      const compression = prng.nextInt(2) === 0 ? 'none' : 'lz4';
      const result = await log.append(encodeRecordBatch(records, { compression }));
      nextOffset = result.lastOffset + 1;
    }
    await log.close();
    const names = readdirSync(templateDirectory);
    templateFiles = new Map(names.map((name) => [name, readFileSync(join(templateDirectory, name))] as const));
    logFiles = names.filter((name) => name.endsWith(LOG_SUFFIX)).sort();
    batches = [];
    logFiles.forEach((file, segment) => {
      const bytes = templateFiles.get(file)!;
      let position = 0;
      while (position < bytes.length) {
        const end = position + bytes.readInt32BE(position + 8) + 12;
        const baseOffset = readInt64(bytes, position);
        batches.push({
          index: batches.length,
          file,
          segment,
          position,
          bytes: Buffer.from(bytes.subarray(position, end)),
          baseOffset,
          lastOffset: baseOffset + bytes.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
        });
        position = end;
      }
    });
    logEndOffset = nextOffset;
    expect(logFiles.length).toBeGreaterThanOrEqual(4);
    expect(batches).toHaveLength(BATCH_COUNT);
  });

  afterAll(() => {
    scratch.remove();
    if (summaries.length > 0) console.log(summaries.join('\n'));
  });

  /** The template batch holding `offset`. */
  function batchHolding(offset: number): TemplateBatch | undefined {
    let low = 0;
    let high = batches.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (batches[middle]!.lastOffset < offset) low = middle + 1;
      else high = middle;
    }
    const batch = batches[low];
    return batch !== undefined && batch.baseOffset <= offset && offset <= batch.lastOffset ? batch : undefined;
  }

  /** 1 to `countMax` distinct bits in the region `target` names. */
  function pickFlips(target: Target, countMax: number): Flip[] {
    const count = 1 + prng.nextInt(countMax);
    const lastSegment = logFiles.length - 1;
    const pool =
      target === 'old segment'
        ? batches.filter((batch) => batch.segment < lastSegment)
        : target === 'last segment'
          ? batches.filter((batch) => batch.segment === lastSegment)
          : batches;
    // One batch per trial, except for scattered flips, which may land in any batch of any segment.
    const chosen = target === 'scattered' ? null : pool[prng.nextInt(pool.length)]!;
    const flips: Flip[] = [];
    const seen = new Set<string>();
    while (flips.length < count) {
      const batch = chosen ?? pool[prng.nextInt(pool.length)]!;
      let byte: number;
      if (target === 'base offset') byte = prng.nextInt(BASE_OFFSET_END);
      else if (target === 'length or magic') byte = [...BATCH_LENGTH_BYTES, MAGIC_BYTE][prng.nextInt(5)]!;
      else byte = BASE_OFFSET_END + prng.nextInt(batch.bytes.length - BASE_OFFSET_END);
      const bit = prng.nextInt(8);
      // Distinct bits only: two flips of one bit would cancel out.
      const key = `${batch.index}:${byte}:${bit}`;
      if (seen.has(key)) continue;
      seen.add(key);
      flips.push({ batch: batch.index, byte, bit });
    }
    return flips;
  }

  /**
   * Make `directory` the template with `flips` applied, with or without the marker: what a fresh
   * fs.cpSync of the template would give, without creating, unlinking or rewriting files that
   * already hold the right bytes.
   */
  function writeDamagedCopy(directory: string, flips: ReadonlyArray<Flip>, keepMarker: boolean): void {
    for (const name of readdirSync(directory)) {
      if (!templateFiles.has(name) || (name === CLEAN_SHUTDOWN_FILE && !keepMarker)) rmSync(join(directory, name));
    }
    const damaged = new Map<string, Buffer>();
    for (const flip of flips) {
      const batch = batches[flip.batch]!;
      let bytes = damaged.get(batch.file);
      if (bytes === undefined) {
        bytes = Buffer.from(templateFiles.get(batch.file)!);
        damaged.set(batch.file, bytes);
      }
      bytes[batch.position + flip.byte]! ^= 1 << flip.bit;
    }
    const present = new Set(readdirSync(directory));
    for (const [name, bytes] of templateFiles) {
      if (name === CLEAN_SHUTDOWN_FILE && !keepMarker) continue;
      const path = join(directory, name);
      const wanted = damaged.get(name) ?? bytes;
      // Files the last open left as they were are not rewritten (reading them is much cheaper).
      if (present.has(name) && readFileSync(path).equals(wanted)) continue;
      writeFileSync(path, wanted);
    }
  }

  /** Whether `served` is the template batch `want`, allowing a flipped (unprotected) leader epoch. */
  function isIntact(served: Buffer, want: TemplateBatch, epochFlipped: ReadonlySet<number>): boolean {
    if (served.equals(want.bytes)) return true;
    return (
      epochFlipped.has(want.index) &&
      served.length === want.bytes.length &&
      served.subarray(0, EPOCH_START).equals(want.bytes.subarray(0, EPOCH_START)) &&
      served.subarray(EPOCH_END).equals(want.bytes.subarray(EPOCH_END))
    );
  }

  /**
   * Read every offset from the log start to the log end, in order, and compare each served batch
   * with the template batch that belongs at that point. A CORRUPT_SEGMENT error counts as a
   * detection; the walk then resumes at the next template batch.
   */
  function readEverything(log: Log, flips: ReadonlyArray<Flip>, maxBytes: number): Outcome {
    const corruptServed: string[] = [];
    const unexpectedErrors: string[] = [];
    let detectedOnRead = 0;
    let wrongErrorType = 0;
    const epochFlipped = new Set(flips.filter((flip) => isEpochByte(flip.byte)).map((flip) => flip.batch));
    let offset = log.logStartOffset;
    let steps = 0;
    while (offset < log.logEndOffset && steps++ < 4 * batches.length) {
      const expected = batchHolding(offset);
      // Past the template's end, a read may only fail (the end offset itself is checked apart).
      const skipTo = expected === undefined ? Infinity : expected.lastOffset + 1;
      let records: Buffer;
      let nextOffset: number;
      try {
        ({ records, nextOffset } = log.read(offset, maxBytes));
      } catch (error) {
        if ((error as { code?: unknown }).code === 'CORRUPT_SEGMENT') {
          detectedOnRead++;
        } else if (error instanceof CorruptRecordError) {
          // Refused, so not served; the wrong error type is bug B, asserted in its own test.
          detectedOnRead++;
          wrongErrorType++;
        } else {
          unexpectedErrors.push(`read(${offset}) threw ${String(error)}`);
        }
        offset = skipTo;
        continue;
      }
      if (expected === undefined) {
        corruptServed.push(`read(${offset}) served ${records.length} bytes past the template's end`);
        break;
      }
      if (records.length === 0) {
        corruptServed.push(`read(${offset}) returned nothing below the log end offset ${log.logEndOffset}`);
        offset = skipTo;
        continue;
      }
      let position = 0;
      let index = expected.index;
      while (position < records.length) {
        const want = batches[index];
        const size = records.length - position >= 12 ? records.readInt32BE(position + 8) + 12 : -1;
        if (want === undefined || size < 12 || position + size > records.length) {
          corruptServed.push(`read(${offset}) served ${records.length - position} bytes that are no template batch`);
          break;
        }
        if (!isIntact(records.subarray(position, position + size), want, epochFlipped)) {
          corruptServed.push(
            `read(${offset}) served a batch that differs from template batch ${want.index} ` +
              `(offsets ${want.baseOffset}..${want.lastOffset})`,
          );
          break;
        }
        position += size;
        index++;
      }
      if (position < records.length) {
        offset = skipTo;
        continue;
      }
      const lastServed = batches[index - 1]!;
      if (nextOffset !== lastServed.lastOffset + 1) {
        corruptServed.push(`read(${offset}).nextOffset = ${nextOffset}, expected ${lastServed.lastOffset + 1}`);
      }
      offset = lastServed.lastOffset + 1;
    }
    return {
      detectedOnRead,
      wrongErrorType,
      corruptServed,
      unexpectedErrors,
      logEndOffsetInflated: log.logEndOffset > logEndOffset,
    };
  }

  function reportDetects(report: RecoveryReport): boolean {
    return report.truncations.length > 0 || report.corruptBelowRecoveryPoint.length > 0 || report.segmentsDeleted.length > 0;
  }

  /** Run `trials` trials with flips from `pick`; returns the failures (at most a few per open). */
  async function runTrials(workName: string, trials: number, totals: Totals, pick: (trial: number) => [Target, Flip[]]): Promise<string[]> {
    const work = join(scratch.path, workName);
    mkdirSync(work);
    const failures: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const [target, flips] = pick(trial);
      const mustDetect = flips.some((flip) => !isEpochByte(flip.byte));
      const maxBytes = [1, 300, 4096, 1024 * 1024][prng.nextInt(4)]!;
      totals.trials++;
      totals.flips += flips.length;
      for (const keepMarker of [true, false]) {
        totals.opens++;
        writeDamagedCopy(work, flips, keepMarker);
        const context =
          `trial ${trial} (${target}, marker ${keepMarker ? 'kept' : 'removed'}, maxBytes ${maxBytes}, ` +
          `flips ${JSON.stringify(flips)})`;
        let log: Log;
        try {
          log = await Log.open(work, OPTIONS);
        } catch (error) {
          totals.unexpectedErrors++;
          failures.push(`${context}: open threw ${String(error)}`);
          continue;
        }
        const report = log.recoveryReport;
        const outcome = readEverything(log, flips, maxBytes);
        await log.close();
        const byReport = reportDetects(report);
        if (report.truncations.length > 0) totals.truncatedAtOpen++;
        if (report.corruptBelowRecoveryPoint.length > 0) totals.corruptBelowRecoveryPoint++;
        if (outcome.logEndOffsetInflated) totals.logEndOffsetInflated++;
        totals.wrongErrorType += outcome.wrongErrorType;
        totals.corruptServed += outcome.corruptServed.length;
        totals.unexpectedErrors += outcome.unexpectedErrors.length;
        failures.push(...[...outcome.corruptServed, ...outcome.unexpectedErrors].slice(0, 2).map((problem) => `${context}: ${problem}`));
        if (!mustDetect) {
          totals.epochOnly++;
          continue;
        }
        totals.mustDetect++;
        if (outcome.detectedOnRead > 0) totals.detectedOnRead++;
        if (byReport) totals.detectedByReport++;
        if (outcome.detectedOnRead > 0 || byReport) {
          totals.detected++;
        } else {
          totals.undetected++;
          failures.push(`${context}: not detected (report ${JSON.stringify(report)})`);
        }
      }
    }
    rmSync(work, { recursive: true, force: true });
    return failures;
  }

  test(`${TRIALS} trials of 1-8 bit flips outside baseOffset are detected, and no corrupt batch is served`, async () => {
    const totals = newTotals();
    const targets: ReadonlyArray<Target> = ['old segment', 'last segment', 'length or magic', 'scattered'];
    const failures = await runTrials('work-flips', TRIALS, totals, (trial) => {
      const target = targets[trial % targets.length]!;
      return [target, pickFlips(target, 8)];
    });
    summaries.push(describeTotals('bit flips outside baseOffset', totals));
    expect(failures.slice(0, 10)).toEqual([]);
    expect(totals.corruptServed).toBe(0);
    expect(totals.unexpectedErrors).toBe(0);
    expect(totals.undetected).toBe(0);
    expect(totals.detected).toBe(totals.mustDetect);
    expect(totals.mustDetect).toBeGreaterThan(0.9 * totals.opens);
  });

  test('a flip in the leader epoch alone is served with only those four bytes changed (the field is unprotected)', async () => {
    const victim = batches.find((batch) => batch.segment === 1)!;
    const work = join(scratch.path, 'work-epoch');
    cpSync(templateDirectory, work, { recursive: true });
    writeDamagedCopy(work, [{ batch: victim.index, byte: EPOCH_START + 1, bit: 3 }], true);
    const log = await Log.open(work, OPTIONS);
    try {
      expect(reportDetects(log.recoveryReport)).toBe(false);
      const served = log.read(victim.baseOffset, 1).records;
      expect(served.equals(victim.bytes)).toBe(false);
      expect(isIntact(served, victim, new Set([victim.index]))).toBe(true);
    } finally {
      await log.close();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test(`${BASE_OFFSET_TRIALS} trials of 1-3 bit flips in baseOffset are detected, and no batch is served at a wrong offset`, async () => {
    const totals = newTotals();
    const failures = await runTrials('work-base-offset', BASE_OFFSET_TRIALS, totals, () => ['base offset', pickFlips('base offset', 3)]);
    summaries.push(describeTotals('bit flips in baseOffset', totals));
    expect(failures.slice(0, 10)).toEqual([]);
    expect(totals.logEndOffsetInflated).toBe(0);
  });

  test('a stored int64 header field outside ±2^53 is refused with CORRUPT_SEGMENT', async () => {
    const victim = batches.find((batch) => batch.segment === 0 && batch.index > 0)!;
    const work = join(scratch.path, 'work-int64');
    cpSync(templateDirectory, work, { recursive: true });
    writeDamagedCopy(work, [{ batch: victim.index, byte: MAX_TIMESTAMP_OFFSET, bit: 6 }], true);
    const log = await Log.open(work, OPTIONS);
    try {
      expect(() => log.read(victim.baseOffset, 1)).toThrow(expect.objectContaining({ code: 'CORRUPT_SEGMENT' }));
    } finally {
      await log.close();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('a flipped lastOffsetDelta in the last batch does not move the log end offset after a clean shutdown', async () => {
    const last = batches[batches.length - 1]!;
    const work = join(scratch.path, 'work-last-delta');
    cpSync(templateDirectory, work, { recursive: true });
    writeDamagedCopy(work, [{ batch: last.index, byte: LAST_OFFSET_DELTA_OFFSET + 2, bit: 0 }], true);
    const log = await Log.open(work, OPTIONS);
    try {
      expect(log.logEndOffset).toBeLessThanOrEqual(logEndOffset);
      expect(reportDetects(log.recoveryReport)).toBe(true);
    } finally {
      await log.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
