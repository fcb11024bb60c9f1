import { describe, expect, test } from 'vitest';
import { type LogConfig, type LogConfigInput, resolveLogConfig } from '../../src/storage/config.js';
import {
  decideRetention,
  type RetentionDecision,
  type RetentionInput,
  type RetentionReason,
  type SegmentSummary,
} from '../../src/storage/retention.js';
import { Prng } from '../helpers/prng.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function segment(baseOffset: number, sizeBytes: number, largestTimestampMs = NOW): SegmentSummary {
  return { baseOffset, sizeBytes, largestTimestampMs };
}

/** Four 100-byte segments [0,10) [10,20) [20,30) [30,40), all fully below the high watermark. */
function fourSegments(timestamps: ReadonlyArray<number> = [NOW, NOW, NOW, NOW]): SegmentSummary[] {
  return [0, 10, 20, 30].map((base, index) => segment(base, 100, timestamps[index] ?? NOW));
}

function decide(
  segments: ReadonlyArray<SegmentSummary>,
  config: LogConfigInput,
  offsets: { logStartOffset?: number; logEndOffset?: number; highWatermark?: number; nowMs?: number } = {},
): RetentionDecision {
  const last = segments[segments.length - 1];
  const logEndOffset = offsets.logEndOffset ?? (last === undefined ? 0 : last.baseOffset + 10);
  return decideRetention({
    segments,
    config: resolveLogConfig(config),
    nowMs: offsets.nowMs ?? NOW,
    logStartOffset: offsets.logStartOffset ?? segments[0]?.baseOffset ?? 0,
    logEndOffset,
    highWatermark: offsets.highWatermark ?? logEndOffset,
  });
}

const NO_TIME = { 'retention.ms': -1 } as const;

describe('decideRetention', () => {
  test('with default settings (7 days, unlimited bytes) fresh segments are kept', () => {
    expect(decide(fourSegments(), {})).toEqual({ count: 0, reasons: [], rollFirst: false });
  });

  test('an empty log deletes nothing', () => {
    const decision = decide([], { 'retention.bytes': 0, 'retention.ms': 0 });
    expect(decision).toEqual({ count: 0, reasons: [], rollFirst: false });
  });

  describe('size breach (retention.bytes)', () => {
    test('deletes the oldest whole segments while the excess allows, leaving the log slightly above the limit', () => {
      // 400 bytes against 250: the excess of 150 covers one 100-byte segment but not two.
      const decision = decide(fourSegments(), { ...NO_TIME, 'retention.bytes': 250 });
      expect(decision).toEqual({ count: 1, reasons: ['retention.bytes'], rollFirst: false });
    });

    test('an excess that exactly covers segments deletes them all', () => {
      expect(decide(fourSegments(), { ...NO_TIME, 'retention.bytes': 200 }).count).toBe(2);
    });

    test('a log below retention.bytes, or exactly at it, deletes nothing', () => {
      expect(decide(fourSegments(), { ...NO_TIME, 'retention.bytes': 401 }).count).toBe(0);
      expect(decide(fourSegments(), { ...NO_TIME, 'retention.bytes': 400 }).count).toBe(0);
    });

    test('a leading empty segment goes even when the log is exactly at retention.bytes', () => {
      const segments = [segment(0, 0), segment(10, 100), segment(20, 100)];
      expect(decide(segments, { ...NO_TIME, 'retention.bytes': 200 }).count).toBe(1);
    });

    test('the pass stops at the first segment larger than the remaining excess, even if later ones are smaller', () => {
      const segments = [segment(0, 50), segment(10, 500), segment(20, 10), segment(30, 10)];
      // Total 570, limit 400, excess 170: 50 fits, 500 does not, and the pass stops there.
      expect(decide(segments, { ...NO_TIME, 'retention.bytes': 400 }).count).toBe(1);
    });

    test('retention.bytes = 0 deletes every non-empty segment and asks for a roll first', () => {
      expect(decide(fourSegments(), { ...NO_TIME, 'retention.bytes': 0 })).toEqual({
        count: 4,
        reasons: ['retention.bytes'],
        rollFirst: true,
      });
    });

    test('retention.bytes = -1 disables the size pass', () => {
      const huge = [segment(0, 1e12), segment(10, 1e12), segment(20, 1e12)];
      expect(decide(huge, { ...NO_TIME, 'retention.bytes': -1 }).count).toBe(0);
    });
  });

  describe('time breach (retention.ms)', () => {
    test('deletes segments whose largest timestamp is older than now − retention.ms', () => {
      const old = NOW - 2 * HOUR;
      const decision = decide(fourSegments([old, old, NOW, NOW]), { 'retention.ms': HOUR });
      expect(decision).toEqual({ count: 2, reasons: ['retention.ms'], rollFirst: false });
    });

    test('a segment exactly retention.ms old is kept (the breach is strictly greater)', () => {
      expect(decide(fourSegments([NOW - HOUR, NOW, NOW, NOW]), { 'retention.ms': HOUR }).count).toBe(0);
      expect(decide(fourSegments([NOW - HOUR - 1, NOW, NOW, NOW]), { 'retention.ms': HOUR }).count).toBe(1);
    });

    test('the pass stops at the first segment that is too new, keeping older segments after it', () => {
      const old = NOW - 2 * HOUR;
      expect(decide(fourSegments([old, NOW, old, old]), { 'retention.ms': HOUR }).count).toBe(1);
    });

    test('a future timestamp pins its segment and every segment after it', () => {
      const old = NOW - 30 * 24 * HOUR;
      const future = NOW + 365 * 24 * HOUR;
      expect(decide(fourSegments([old, future, old, old]), { 'retention.ms': HOUR }).count).toBe(1);
      expect(decide(fourSegments([future, old, old, old]), { 'retention.ms': HOUR }).count).toBe(0);
    });

    test('retention.ms = -1 disables the time pass', () => {
      expect(decide(fourSegments([0, 0, 0, 0]), { 'retention.ms': -1 }).count).toBe(0);
    });

    test('retention.ms = 0 deletes every segment whose largest timestamp is in the past', () => {
      const decision = decide(fourSegments([NOW - 1, NOW - 1, NOW - 1, NOW - 1]), { 'retention.ms': 0 });
      expect(decision).toEqual({ count: 4, reasons: ['retention.ms'], rollFirst: true });
    });
  });

  describe('log start offset breach', () => {
    test('deletes segments whose next segment starts at or below the log start offset', () => {
      const config = { ...NO_TIME };
      expect(decide(fourSegments(), config, { logStartOffset: 19 })).toEqual({
        count: 1,
        reasons: ['log-start-offset'],
        rollFirst: false,
      });
      expect(decide(fourSegments(), config, { logStartOffset: 20 }).count).toBe(2);
      expect(decide(fourSegments(), config, { logStartOffset: 25 }).count).toBe(2);
    });

    test('never deletes the last segment, whatever the log start offset', () => {
      expect(decide(fourSegments(), { ...NO_TIME }, { logStartOffset: 40 }).count).toBe(3);
    });

    test('with cleanup.policy=compact alone only this pass runs', () => {
      const ancient = fourSegments([0, 0, 0, 0]);
      const compactOnly = { 'cleanup.policy': 'compact', 'retention.ms': 0, 'retention.bytes': 0 } as const;
      expect(decide(ancient, compactOnly)).toEqual({ count: 0, reasons: [], rollFirst: false });
      expect(decide(ancient, compactOnly, { logStartOffset: 15 })).toEqual({
        count: 1,
        reasons: ['log-start-offset'],
        rollFirst: false,
      });
    });

    test('with cleanup.policy=delete,compact every pass runs', () => {
      const ancient = fourSegments([0, 0, 0, 0]);
      expect(decide(ancient, { 'cleanup.policy': 'delete,compact', 'retention.ms': HOUR }).count).toBe(4);
    });
  });

  describe('guards', () => {
    test('nothing at or above the high watermark is deleted', () => {
      const ancient = fourSegments([0, 0, 0, 0]);
      const config = { 'retention.ms': HOUR };
      expect(decide(ancient, config, { highWatermark: 25 }).count).toBe(2);
      expect(decide(ancient, config, { highWatermark: 20 }).count).toBe(2);
      expect(decide(ancient, config, { highWatermark: 19 }).count).toBe(1);
      expect(decide(ancient, config, { highWatermark: 0 }).count).toBe(0);
    });

    test('the high watermark guard applies to the size pass too', () => {
      expect(decide(fourSegments(), { ...NO_TIME, 'retention.bytes': 0 }, { highWatermark: 15 }).count).toBe(1);
    });

    test('the last segment counts up to the log end offset, so it stays while the high watermark is below it', () => {
      const ancient = fourSegments([0, 0, 0, 0]);
      const decision = decide(ancient, { 'retention.ms': HOUR }, { logEndOffset: 40, highWatermark: 39 });
      expect(decision).toEqual({ count: 3, reasons: ['retention.ms'], rollFirst: false });
    });

    test('a non-empty last segment is deleted when it breaches, and then the log must roll first', () => {
      const ancient = fourSegments([0, 0, 0, 0]);
      expect(decide(ancient, { 'retention.ms': HOUR }, { logEndOffset: 40, highWatermark: 40 })).toEqual({
        count: 4,
        reasons: ['retention.ms'],
        rollFirst: true,
      });
    });

    test('an empty last segment is never deleted, so no roll is needed', () => {
      const segments = [segment(0, 100, 0), segment(10, 100, 0), segment(20, 0, 0)];
      expect(decide(segments, { 'retention.ms': HOUR }, { logEndOffset: 20 })).toEqual({
        count: 2,
        reasons: ['retention.ms'],
        rollFirst: false,
      });
      expect(decide(segments, { ...NO_TIME, 'retention.bytes': 0 }, { logEndOffset: 20 }).count).toBe(2);
    });
  });

  describe('pass order', () => {
    test('passes run log start offset, then size, then time, each on what the last left, naming reasons', () => {
      const old = NOW - 2 * HOUR;
      const segments = [0, 10, 20, 30, 40].map((base, index) => segment(base, 100, index === 3 ? NOW : old));
      // Log start offset 10 removes [0,10). The size pass then sees 400 bytes against 300 and removes
      // [10,20). The time pass removes [20,30) and stops at [30,40), which is fresh.
      const decision = decide(segments, { 'retention.ms': HOUR, 'retention.bytes': 300 }, { logStartOffset: 10 });
      expect(decision).toEqual({
        count: 3,
        reasons: ['log-start-offset', 'retention.bytes', 'retention.ms'],
        rollFirst: false,
      });
    });

    test('the size pass measures only the segments the log start offset pass left', () => {
      // Whole log 500 bytes against 300 would allow two deletions; after the first pass it is 400, allowing one.
      const segments = [0, 10, 20, 30, 40].map((base) => segment(base, 100));
      const decision = decide(segments, { ...NO_TIME, 'retention.bytes': 300 }, { logStartOffset: 10 });
      expect(decision).toEqual({ count: 2, reasons: ['log-start-offset', 'retention.bytes'], rollFirst: false });
    });

    test('a reason is listed only for a pass that deleted something', () => {
      const old = NOW - 2 * HOUR;
      const decision = decide(fourSegments([old, old, NOW, NOW]), { 'retention.ms': HOUR, 'retention.bytes': 1000 });
      expect(decision.reasons).toEqual(['retention.ms']);
    });
  });

  /**
   * A reference model written straight from the design notes (§3.2, Kafka's deleteOldSegments):
   * each pass really removes its segments before the next pass runs.
   */
  function referenceRetention(input: RetentionInput): { count: number; reasons: RetentionReason[]; sizeCount: number } {
    const { config, highWatermark, logEndOffset, logStartOffset, nowMs } = input;
    let remaining = [...input.segments];
    const reasons: RetentionReason[] = [];
    let count = 0;
    const pass = (reason: RetentionReason, predicate: (index: number) => boolean): void => {
      let deleted = 0;
      while (deleted < remaining.length) {
        const current = remaining[deleted]!;
        const next = remaining[deleted + 1];
        const upperBound = next?.baseOffset ?? logEndOffset;
        if (upperBound > highWatermark) break;
        if (next === undefined && current.sizeBytes === 0) break;
        if (!predicate(deleted)) break;
        deleted++;
      }
      remaining = remaining.slice(deleted);
      count += deleted;
      if (deleted > 0) reasons.push(reason);
    };
    pass('log-start-offset', (index) => {
      const next = remaining[index + 1];
      return next !== undefined && next.baseOffset <= logStartOffset;
    });
    let sizeCount = count;
    if (config['cleanup.policy'].includes('delete')) {
      const limit = config['retention.bytes'];
      const total = remaining.reduce((sum, entry) => sum + entry.sizeBytes, 0);
      if (limit >= 0 && total >= limit) {
        let freed = 0;
        pass('retention.bytes', (index) => {
          const size = remaining[index]!.sizeBytes;
          if (freed + size > total - limit) return false;
          freed += size;
          return true;
        });
      }
      sizeCount = count;
      const maxAge = config['retention.ms'];
      if (maxAge >= 0) pass('retention.ms', (index) => nowMs - remaining[index]!.largestTimestampMs > maxAge);
    }
    return { count, reasons, sizeCount };
  }

  function randomInput(prng: Prng): RetentionInput {
    const segmentCount = prng.nextInt(8);
    const segments: SegmentSummary[] = [];
    let base = prng.nextInt(1000);
    for (let index = 0; index < segmentCount; index++) {
      const size = prng.nextInt(5) === 0 ? 0 : 1 + prng.nextInt(1000);
      const age = prng.nextInt(6) === 0 ? -prng.nextInt(10 * HOUR) : prng.nextInt(48 * HOUR);
      segments.push(segment(base, size, NOW - age));
      base += size === 0 && index === segmentCount - 1 ? 0 : 1 + prng.nextInt(100);
    }
    const last = segments[segments.length - 1];
    const firstBase = segments[0]?.baseOffset ?? 0;
    const logEndOffset = last === undefined ? 0 : last.sizeBytes === 0 ? last.baseOffset : base;
    const highWatermark = firstBase + prng.nextInt(logEndOffset - firstBase + 1);
    const logStartOffset = firstBase + prng.nextInt(highWatermark - firstBase + 1);
    const policies = ['delete', 'compact', 'delete,compact'] as const;
    const config: LogConfig = resolveLogConfig({
      'cleanup.policy': policies[prng.nextInt(3)]!,
      'retention.bytes': randomRetentionBytes(prng, segments),
      'retention.ms': randomRetentionMs(prng, segments),
    });
    return { segments, config, nowMs: NOW, logStartOffset, logEndOffset, highWatermark };
  }

  /** -1, a random limit, or one exactly at a segment boundary (an excess the prefix covers exactly). */
  function randomRetentionBytes(prng: Prng, segments: ReadonlyArray<SegmentSummary>): number {
    const total = bytesFrom(segments, 0);
    const choice = prng.nextInt(4);
    if (choice === 0) return -1;
    if (choice === 1) return bytesFrom(segments, prng.nextInt(segments.length + 1));
    return prng.nextInt(total + 200);
  }

  /** -1, a random age, or exactly the age of one segment (the strict-inequality boundary). */
  function randomRetentionMs(prng: Prng, segments: ReadonlyArray<SegmentSummary>): number {
    const choice = prng.nextInt(4);
    if (choice === 0) return -1;
    const boundary = segments[prng.nextInt(segments.length)];
    if (choice === 1 && boundary !== undefined && boundary.largestTimestampMs <= NOW) {
      return NOW - boundary.largestTimestampMs;
    }
    return prng.nextInt(24 * HOUR);
  }

  const PASS_ORDER: ReadonlyArray<RetentionReason> = ['log-start-offset', 'retention.bytes', 'retention.ms'];

  function bytesFrom(segments: ReadonlyArray<SegmentSummary>, from: number): number {
    return segments.slice(from).reduce((sum, entry) => sum + entry.sizeBytes, 0);
  }

  /** Invariants of any decision, independent of the reference model. Returns what is violated. */
  function decisionViolations(input: RetentionInput, decision: RetentionDecision): string[] {
    const { segments, highWatermark, logEndOffset, logStartOffset, config } = input;
    const { count, reasons, rollFirst } = decision;
    const violations: string[] = [];
    // The decision is a count, so the deleted segments are always the prefix segments[0, count).
    if (count < 0 || count > segments.length) violations.push('count out of range');
    if (rollFirst !== (count > 0 && count === segments.length)) violations.push('rollFirst ≠ (all deleted)');
    if ((reasons.length > 0) !== (count > 0)) violations.push('reasons listed without deletions, or the reverse');
    const positions = reasons.map((reason) => PASS_ORDER.indexOf(reason));
    if (positions.some((at, index) => index > 0 && at <= positions[index - 1]!)) {
      violations.push('reasons out of pass order');
    }
    for (let index = 0; index < count; index++) {
      const next = segments[index + 1];
      if ((next?.baseOffset ?? logEndOffset) > highWatermark) violations.push(`segment ${index} passes the HW`);
      if (next === undefined && segments[index]!.sizeBytes === 0) violations.push('deleted an empty last segment');
      const beforeStart = next !== undefined && next.baseOffset <= logStartOffset;
      if (!hasDelete(config) && !beforeStart) violations.push(`compact-only deleted segment ${index}`);
    }
    return violations;
  }

  function hasDelete(config: LogConfig): boolean {
    return config['cleanup.policy'].includes('delete');
  }

  /**
   * The size invariant, on the size pass alone (retention.ms disabled). With L = retention.bytes,
   * B = the bytes left by the log start offset pass and R = the bytes left after the size pass:
   *   - if B < L the size pass deletes nothing;
   *   - otherwise R ≥ L: the pass never takes the log below its limit (so "slightly above" is at
   *     most the size of the first kept segment), and
   *   - if the pass stopped at a segment no guard protected (HW, empty last segment), then
   *     R − size(that segment) < L: deleting one more would have gone below L.
   */
  function sizeViolations(input: RetentionInput, referenceSizeCount: number): string[] {
    const { segments, highWatermark, logEndOffset, config } = input;
    const limit = config['retention.bytes'];
    if (limit < 0 || !hasDelete(config)) return [];
    const sizeOnly = decideRetention({ ...input, config: resolveLogConfig({ 'retention.ms': -1 }, config) });
    const startOnly = decideRetention({ ...input, config: resolveLogConfig({ 'cleanup.policy': 'compact' }, config) });
    const violations: string[] = [];
    if (sizeOnly.count !== referenceSizeCount) violations.push(`size-only count ≠ reference ${referenceSizeCount}`);
    const before = bytesFrom(segments, startOnly.count);
    const left = bytesFrom(segments, sizeOnly.count);
    if (before < limit) {
      if (sizeOnly.count !== startOnly.count) violations.push('size pass ran on a log below retention.bytes');
      return violations;
    }
    if (left < limit) violations.push(`size pass left ${left} bytes, below retention.bytes ${limit}`);
    const stop = segments[sizeOnly.count];
    const next = segments[sizeOnly.count + 1];
    const guarded =
      stop === undefined ||
      (next?.baseOffset ?? logEndOffset) > highWatermark ||
      (next === undefined && stop.sizeBytes === 0);
    if (!guarded && left - stop.sizeBytes >= limit) violations.push(`size pass stopped early at ${sizeOnly.count}`);
    return violations;
  }

  function outcomes(decision: RetentionDecision, segmentCount: number): string[] {
    const seen: string[] = [...decision.reasons];
    if (decision.rollFirst) seen.push('rollFirst');
    if (decision.count > 0 && decision.count < segmentCount) seen.push('partial');
    if (decision.count === 0) seen.push('nothing');
    return seen;
  }

  test('random logs: decisions match the reference model and keep every invariant (seeded)', () => {
    const seed = 0x2e7e_2710;
    const prng = new Prng(seed);
    const failures: string[] = [];
    const seen = new Set<string>();
    for (let run = 0; run < 5000 && failures.length < 5; run++) {
      const input = randomInput(prng);
      const decision = decideRetention(input);
      const expected = referenceRetention(input);
      const violations = [...decisionViolations(input, decision), ...sizeViolations(input, expected.sizeCount)];
      if (decision.count !== expected.count) violations.push(`count ≠ reference ${expected.count}`);
      if (JSON.stringify(decision.reasons) !== JSON.stringify(expected.reasons)) {
        violations.push(`reasons ≠ reference ${JSON.stringify(expected.reasons)}`);
      }
      if (violations.length > 0) {
        const detail = `input ${JSON.stringify(input)}\n  decision ${JSON.stringify(decision)}`;
        failures.push(`seed ${seed} run ${run}: ${violations.join('; ')}\n  ${detail}`);
      }
      for (const outcome of outcomes(decision, input.segments.length)) seen.add(outcome);
    }
    expect(failures).toEqual([]);
    // The generator reaches every outcome, so the property is not vacuous.
    expect([...seen].sort()).toEqual([
      'log-start-offset',
      'nothing',
      'partial',
      'retention.bytes',
      'retention.ms',
      'rollFirst',
    ]);
  });
});
