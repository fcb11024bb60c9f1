import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/core/units.js';
import { resolveLogConfig, type LogConfigInput } from '../../src/storage/config.js';
import { decideRetention } from '../../src/storage/retention.js';
import { explainRetention, type RetentionReportInput, type SegmentFacts } from '../../src/storage/retention-report.js';
import { Prng } from '../helpers/prng.js';

const NOW_MS = Date.UTC(2024, 5, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Segments back to back: each [base, next) with a size and a largest timestamp. */
function segments(...specs: ReadonlyArray<readonly [records: number, sizeBytes: number, largestTimestampMs: number]>): SegmentFacts[] {
  let base = 0;
  return specs.map(([records, sizeBytes, largestTimestampMs]) => {
    const segment: SegmentFacts = {
      baseOffset: base,
      nextOffset: base + records,
      sizeBytes,
      largestTimestampMs,
      largestTimestampSource: 'record',
      firstBatchTimestampMs: records > 0 ? largestTimestampMs - MINUTE_MS : -1,
      createdAtMs: NOW_MS - HOUR_MS,
      rollJitterMs: 0,
    };
    base += records;
    return segment;
  });
}

function input(list: SegmentFacts[], config: LogConfigInput, overrides: Partial<RetentionReportInput> = {}): RetentionReportInput {
  const logEndOffset = list.length === 0 ? 0 : list[list.length - 1]!.nextOffset;
  return {
    segments: list,
    config: resolveLogConfig(config),
    nowMs: NOW_MS,
    logStartOffset: list[0]?.baseOffset ?? 0,
    logEndOffset,
    highWatermark: logEndOffset,
    ...overrides,
  };
}

describe('explainRetention', () => {
  it('reports segments older than retention.ms as eligible and keeps the fresh active segment, saying when it expires', () => {
    const report = explainRetention(
      input(segments([10, 500, NOW_MS - 3 * DAY_MS], [10, 500, NOW_MS - 2 * DAY_MS], [5, 200, NOW_MS - HOUR_MS]), { 'retention.ms': DAY_MS }),
    );
    expect(report.segments.map((segment) => [segment.status, segment.reason])).toEqual([
      ['eligible', 'retention.ms'],
      ['eligible', 'retention.ms'],
      ['kept', 'within-retention.ms'],
    ]);
    expect(report.eligibleCount).toBe(2);
    expect(report.eligibleBytes).toBe(1000);
    expect(report.totalBytes).toBe(1200);
    const active = report.segments[2]!;
    expect(active.active).toBe(true);
    expect(active.expiresAfterMs).toBe(NOW_MS - HOUR_MS + DAY_MS);
    expect(active.explanation).toContain(`eligible after ${iso(NOW_MS - HOUR_MS + DAY_MS)}`);
    expect(active.explanation).toContain('active segment');
    expect(active.explanation).toContain('segment.bytes=1073741824 (holds 200)');
    expect(report.segments[0]!.explanation).toContain(`expired after ${iso(NOW_MS - 2 * DAY_MS)}`);
    expect(report.nextDeletion.dueAfterMs).toBe(NOW_MS);
    expect(report.nextDeletion.explanation).toContain('2 segments (1000 bytes) eligible');
    expect(report.nextDeletion.explanation).toContain('every 300000 ms (5 min)');
  });

  it('keeps an expired segment behind a younger older one: whole segments go oldest first', () => {
    const report = explainRetention(input(segments([10, 500, NOW_MS - HOUR_MS], [10, 500, NOW_MS - 3 * DAY_MS], [5, 200, NOW_MS]), { 'retention.ms': DAY_MS }));
    expect(report.eligibleCount).toBe(0);
    expect(report.segments[0]!.reason).toBe('within-retention.ms');
    const blocked = report.segments[1]!;
    expect(blocked.status).toBe('kept');
    expect(blocked.reason).toBe('older-segment-kept');
    expect(blocked.explanation).toContain('older segment at base offset 0 is kept');
    expect(blocked.explanation).toContain('past retention.ms');
    expect(report.nextDeletion.dueAfterMs).toBe(NOW_MS - HOUR_MS + DAY_MS);
    expect(report.nextDeletion.explanation).toContain('segment at base offset 0');
  });

  it('holds a segment with a future timestamp, and every later one, until that timestamp plus retention.ms', () => {
    const future = NOW_MS + 10 * DAY_MS;
    const report = explainRetention(input(segments([10, 500, future], [10, 500, NOW_MS - 3 * DAY_MS], [5, 200, NOW_MS]), { 'retention.ms': DAY_MS }));
    const first = report.segments[0]!;
    expect(first.reason).toBe('future-timestamp');
    expect(first.explanation).toContain(`in the future (${iso(future)})`);
    expect(first.explanation).toContain(`not eligible until ${iso(future + DAY_MS)}`);
    expect(report.segments[1]!.reason).toBe('older-segment-kept');
    expect(report.nextDeletion.dueAfterMs).toBe(future + DAY_MS);
  });

  it('deletes by retention.bytes per partition only while the rest still holds that much', () => {
    const list = segments([10, 100, NOW_MS], [10, 100, NOW_MS], [10, 100, NOW_MS]);
    const report = explainRetention(input(list, { 'retention.bytes': 150, 'retention.ms': -1 }));
    expect(report.segments.map((segment) => segment.reason)).toEqual(['retention.bytes', 'within-retention.bytes', 'older-segment-kept']);
    expect(report.segments[0]!.explanation).toContain('holds 300 bytes, over retention.bytes=150');
    expect(report.segments[1]!.explanation).toContain("50 bytes over retention.bytes=150, less than this segment's 100");
    const under = explainRetention(input(list, { 'retention.bytes': 1000, 'retention.ms': -1 }));
    expect(under.segments[0]!.explanation).toContain('retention.bytes not exceeded (partition holds 300 of 1000 bytes)');
    expect(under.nextDeletion.dueAfterMs).toBeNull();
    expect(under.nextDeletion.explanation).toContain('grows past retention.bytes=1000');
  });

  it('deletes a non-empty active segment past retention.ms after rolling a new one', () => {
    const report = explainRetention(input(segments([10, 500, NOW_MS - 3 * DAY_MS]), { 'retention.ms': DAY_MS }));
    expect(report.segments[0]!.status).toBe('eligible');
    expect(report.segments[0]!.explanation).toContain('a new one is rolled first');
  });

  it('never deletes an empty active segment', () => {
    const list = segments([0, 0, NOW_MS - 30 * DAY_MS]);
    const report = explainRetention(input(list, { 'retention.ms': DAY_MS }));
    expect(report.segments[0]!.reason).toBe('empty-active-segment');
    expect(report.nextDeletion).toEqual({ dueAfterMs: null, explanation: 'nothing to delete: the partition is empty' });
  });

  it('says a compacted topic is not deleted by time or size', () => {
    const report = explainRetention(input(segments([10, 500, NOW_MS - 30 * DAY_MS], [5, 10, NOW_MS]), { 'cleanup.policy': 'compact', 'retention.ms': DAY_MS }));
    expect(report.segments.map((segment) => segment.reason)).toEqual(['compact-only', 'compact-only']);
    expect(report.segments[0]!.explanation).toContain('cleanup.policy=compact');
    expect(report.nextDeletion.dueAfterMs).toBeNull();
  });

  it('keeps everything forever when retention.ms and retention.bytes are -1', () => {
    const report = explainRetention(input(segments([10, 500, NOW_MS - 30 * DAY_MS], [5, 10, NOW_MS]), { 'retention.ms': -1 }));
    expect(report.segments[0]!.reason).toBe('retention-disabled');
    expect(report.segments[0]!.expiresAfterMs).toBeNull();
    expect(report.nextDeletion.explanation).toContain('never');
  });

  it('reports segments below the log start offset as eligible for that reason first', () => {
    const list = segments([10, 100, NOW_MS], [10, 100, NOW_MS], [10, 100, NOW_MS]);
    const report = explainRetention(input(list, {}, { logStartOffset: 20 }));
    expect(report.segments.map((segment) => segment.reason)).toEqual(['log-start-offset', 'log-start-offset', 'within-retention.ms']);
    expect(report.segments[0]!.explanation).toContain('below the log start offset 20');
  });

  it('keeps a segment holding offsets not yet acknowledged (above the high watermark)', () => {
    const report = explainRetention(input(segments([10, 100, NOW_MS - 30 * DAY_MS]), { 'retention.ms': DAY_MS }, { highWatermark: 5 }));
    expect(report.segments[0]!.reason).toBe('above-high-watermark');
  });

  it('says when a largest timestamp is only the file mtime', () => {
    const list = segments([10, 100, NOW_MS - HOUR_MS], [1, 10, NOW_MS]).map((segment, index) =>
      index === 0 ? { ...segment, largestTimestampSource: 'file-mtime' as const } : segment,
    );
    expect(explainRetention(input(list, {})).segments[0]!.explanation).toContain("the file's mtime");
  });

  it('agrees with decideRetention on how many segments go, whatever the settings', () => {
    const random = new Prng(7);
    for (let round = 0; round < 500; round++) {
      const count = random.nextInt(6);
      const specs = Array.from({ length: count }, (_, index) => {
        const records = index === count - 1 ? random.nextInt(3) : 1 + random.nextInt(5);
        return [records, records === 0 ? 0 : 1 + random.nextInt(200), NOW_MS + (random.nextInt(5) - 3) * DAY_MS] as const;
      });
      const list = segments(...specs);
      const config: LogConfigInput = {
        'retention.ms': [-1, DAY_MS, 2 * DAY_MS][random.nextInt(3)]!,
        'retention.bytes': [-1, 100, 300][random.nextInt(3)]!,
        'cleanup.policy': ['delete', 'compact', 'compact,delete'][random.nextInt(3)]!,
      };
      const logEnd = list.length === 0 ? 0 : list[list.length - 1]!.nextOffset;
      const facts = input(list, config, { logStartOffset: random.nextInt(logEnd + 1), highWatermark: logEnd - random.nextInt(2) });
      const report = explainRetention(facts);
      expect(report.eligibleCount, `round ${round}`).toBe(decideRetention(facts).count);
      for (const [index, segment] of report.segments.entries()) {
        expect(segment.status, `round ${round} segment ${index}`).toBe(index < report.eligibleCount ? 'eligible' : 'kept');
        expect(segment.explanation.length).toBeGreaterThan(0);
        // Each reason checked against the segment's own facts, independently of decideRetention.
        const own = list[index]!;
        const settings = facts.config;
        const deletes = settings['cleanup.policy'].includes('delete');
        const ageMs = NOW_MS - own.largestTimestampMs;
        const why = `round ${round} segment ${index}: ${segment.reason}`;
        switch (segment.reason) {
          case 'retention.ms':
            expect(deletes && settings['retention.ms'] >= 0 && ageMs > settings['retention.ms'], why).toBe(true);
            break;
          case 'retention.bytes':
            expect(deletes && settings['retention.bytes'] >= 0, why).toBe(true);
            break;
          case 'log-start-offset':
            expect(own.nextOffset <= facts.logStartOffset, why).toBe(true);
            break;
          case 'within-retention.ms':
            expect(ageMs >= 0 && ageMs <= settings['retention.ms'], why).toBe(true);
            break;
          case 'future-timestamp':
            expect(own.largestTimestampMs > NOW_MS, why).toBe(true);
            break;
          case 'empty-active-segment':
            expect(index === list.length - 1 && own.sizeBytes === 0, why).toBe(true);
            break;
          case 'above-high-watermark':
            expect((list[index + 1]?.baseOffset ?? logEnd) > facts.highWatermark, why).toBe(true);
            break;
          case 'compact-only':
            expect(deletes, why).toBe(false);
            break;
          case 'retention-disabled':
            expect(settings['retention.ms'] < 0, why).toBe(true);
            break;
          default:
            break;
        }
      }
    }
  });
});
