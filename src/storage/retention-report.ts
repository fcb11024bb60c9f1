import { hasPolicy, type LogConfig } from './config.js';
import { decideRetention, type RetentionInput, type RetentionReason, type SegmentSummary } from './retention.js';

/**
 * Retention explained, pure: for each segment of one partition, whether the next retention check
 * deletes it and, if not, why not; then when the partition's next deletion is due. It applies
 * decideRetention itself (three times, with a pass switched off each time, to learn which pass
 * takes which segment), so the explanation cannot drift from the rules that delete.
 *
 * Where users trip, and what this says about it:
 * - retention is per partition: retention.bytes bounds each partition, not the topic;
 * - whole segments only, oldest first: one young segment keeps every later one;
 * - the active segment is judged like the others, but records appended to it keep its largest
 *   timestamp fresh; it rolls only on an append (segment.bytes or segment.ms);
 * - a record timestamped in the future holds its segment (and all later ones) until that time
 *   plus retention.ms;
 * - deletion happens at the next check (log.retention.check.interval.ms), only while a broker
 *   has the data directory open.
 */
export interface SegmentFacts extends SegmentSummary {
  /** One past the last offset stored in the segment; baseOffset when empty. */
  readonly nextOffset: number;
  /** Where largestTimestampMs comes from: a record, or the file's mtime when no record has one. */
  readonly largestTimestampSource: 'record' | 'file-mtime';
  /** Max timestamp of the segment's first batch (the segment.ms baseline), or -1. */
  readonly firstBatchTimestampMs: number;
  /** When this process created or opened the segment (the segment.ms baseline without timestamps). */
  readonly createdAtMs: number;
  /** segment.jitter.ms drawn for this segment, subtracted from segment.ms. */
  readonly rollJitterMs: number;
}

export interface RetentionReportInput extends RetentionInput {
  readonly segments: ReadonlyArray<SegmentFacts>;
}

export type KeptReason =
  | 'empty-active-segment'
  | 'above-high-watermark'
  | 'compact-only'
  | 'older-segment-kept'
  | 'future-timestamp'
  | 'within-retention.ms'
  | 'within-retention.bytes'
  | 'retention-disabled';

export interface SegmentRetention {
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly sizeBytes: number;
  readonly largestTimestampMs: number;
  readonly active: boolean;
  readonly status: 'eligible' | 'kept';
  readonly reason: RetentionReason | KeptReason;
  /** A sentence: the rule that deletes the segment, or why it stays. */
  readonly explanation: string;
  /** When retention.ms alone makes this segment deletable (largest timestamp + retention.ms); null: never. */
  readonly expiresAfterMs: number | null;
}

export interface NextDeletion {
  /** The next deletion happens at the first retention check after this time; null: none foreseeable. */
  readonly dueAfterMs: number | null;
  readonly explanation: string;
}

export interface PartitionRetention {
  readonly segments: ReadonlyArray<SegmentRetention>;
  readonly eligibleCount: number;
  readonly eligibleBytes: number;
  readonly totalBytes: number;
  readonly checkIntervalMs: number;
  readonly nextDeletion: NextDeletion;
}

/** Segments [0, logStart) go below the log start offset, [logStart, bytes) by size, [bytes, time) by age. */
interface PassBounds {
  readonly logStart: number;
  readonly bytes: number;
  readonly time: number;
}

function passBounds(input: RetentionReportInput): PassBounds {
  const config = input.config;
  const logStart = decideRetention({ ...input, config: { ...config, 'cleanup.policy': ['compact'] } }).count;
  const bytes = hasPolicy(config, 'delete') ? decideRetention({ ...input, config: { ...config, 'retention.ms': -1 } }).count : logStart;
  const time = decideRetention(input).count;
  return { logStart, bytes, time };
}

export function explainRetention(input: RetentionReportInput): PartitionRetention {
  const bounds = passBounds(input);
  const segments = input.segments.map((_segment, index) =>
    index < bounds.time ? eligibleSegment(input, bounds, index) : keptSegment(input, bounds, index),
  );
  const eligible = segments.slice(0, bounds.time);
  return {
    segments,
    eligibleCount: eligible.length,
    eligibleBytes: sum(eligible.map((segment) => segment.sizeBytes)),
    totalBytes: sum(input.segments.map((segment) => segment.sizeBytes)),
    checkIntervalMs: input.config['log.retention.check.interval.ms'],
    nextDeletion: nextDeletion(input, bounds, segments),
  };
}

function expiresAfter(config: LogConfig, segment: SegmentFacts): number | null {
  const retentionMs = config['retention.ms'];
  if (!hasPolicy(config, 'delete') || retentionMs < 0 || !Number.isFinite(retentionMs)) return null;
  return segment.largestTimestampMs + retentionMs;
}

function base(input: RetentionReportInput, index: number): Omit<SegmentRetention, 'status' | 'reason' | 'explanation'> {
  const segment = input.segments[index]!;
  return {
    baseOffset: segment.baseOffset,
    nextOffset: segment.nextOffset,
    sizeBytes: segment.sizeBytes,
    largestTimestampMs: segment.largestTimestampMs,
    active: index === input.segments.length - 1,
    expiresAfterMs: expiresAfter(input.config, segment),
  };
}

function eligibleSegment(input: RetentionReportInput, bounds: PassBounds, index: number): SegmentRetention {
  const segment = input.segments[index]!;
  const config = input.config;
  const rolled = index === input.segments.length - 1 ? ' (the active segment: a new one is rolled first)' : '';
  if (index < bounds.logStart) {
    return {
      ...base(input, index),
      status: 'eligible',
      reason: 'log-start-offset',
      explanation: `every offset in it is below the log start offset ${input.logStartOffset}${rolled}`,
    };
  }
  if (index < bounds.bytes) {
    const total = sum(input.segments.slice(bounds.logStart).map((entry) => entry.sizeBytes));
    return {
      ...base(input, index),
      status: 'eligible',
      reason: 'retention.bytes',
      explanation: `the partition holds ${total} bytes, over retention.bytes=${config['retention.bytes']}: oldest segments go while the rest still holds at least that much${rolled}`,
    };
  }
  return {
    ...base(input, index),
    status: 'eligible',
    reason: 'retention.ms',
    explanation: `largest timestamp ${timestampText(segment)} is older than retention.ms=${durationText(config['retention.ms'])}: expired after ${isoTime(segment.largestTimestampMs + config['retention.ms'])}${rolled}`,
  };
}

function keptSegment(input: RetentionReportInput, bounds: PassBounds, index: number): SegmentRetention {
  const { segments, config } = input;
  const segment = segments[index]!;
  const next = segments[index + 1];
  const active = next === undefined;
  const kept = (reason: KeptReason, explanation: string): SegmentRetention => ({ ...base(input, index), status: 'kept', reason, explanation });
  if (active && segment.sizeBytes === 0) {
    return kept('empty-active-segment', 'empty active segment: an empty last segment is never deleted; new records go here');
  }
  const upperBoundOffset = next === undefined ? input.logEndOffset : next.baseOffset;
  if (upperBoundOffset > input.highWatermark) {
    return kept('above-high-watermark', `holds offsets up to ${upperBoundOffset - 1}, at or above the high watermark ${input.highWatermark}: not all acknowledged yet`);
  }
  if (!hasPolicy(config, 'delete')) {
    return kept('compact-only', 'cleanup.policy=compact: compacted, never deleted by time or size (only below the log start offset)');
  }
  const own = ownRules(input, bounds, index);
  const roll = active ? `; ${rollText(input, segment)}` : '';
  if (index > bounds.time) {
    const blocker = segments[bounds.time]!;
    const itself = own.reason === null ? `its own largest timestamp ${timestampText(segment)} is past retention.ms` : own.text;
    return kept('older-segment-kept', `the older segment at base offset ${blocker.baseOffset} is kept, and segments go whole and oldest first (${itself})${roll}`);
  }
  return kept(own.reason ?? 'within-retention.ms', `${own.text}${roll}`);
}

/** Why this segment's own age and size keep it; reason null when its age alone would delete it. */
function ownRules(input: RetentionReportInput, bounds: PassBounds, index: number): { reason: KeptReason | null; text: string } {
  const { config, nowMs } = input;
  const segment = input.segments[index]!;
  const retentionMs = config['retention.ms'];
  const retentionBytes = config['retention.bytes'];
  const clauses: string[] = [];
  let reason: KeptReason | null;
  const expiry = expiresAfter(config, segment);
  if (expiry === null) {
    reason = retentionBytes >= 0 ? 'within-retention.bytes' : 'retention-disabled';
    clauses.push(`retention.ms=${retentionMs < 0 ? '-1' : 'never'}: never deleted by age`);
  } else if (segment.largestTimestampMs > nowMs) {
    reason = 'future-timestamp';
    clauses.push(`largest timestamp is in the future (${timestampText(segment)}): not eligible until ${isoTime(expiry)} (that timestamp + retention.ms=${durationText(retentionMs)})`);
  } else if (nowMs - segment.largestTimestampMs <= retentionMs) {
    reason = 'within-retention.ms';
    clauses.push(`within retention.ms=${durationText(retentionMs)}: eligible after ${isoTime(expiry)} (largest timestamp ${timestampText(segment)} + retention.ms)`);
  } else {
    reason = null;
  }
  if (retentionBytes >= 0) {
    const total = sum(input.segments.slice(bounds.logStart).map((entry) => entry.sizeBytes));
    const deletedBytes = sum(input.segments.slice(bounds.logStart, bounds.bytes).map((entry) => entry.sizeBytes));
    const excess = total - retentionBytes - deletedBytes;
    clauses.push(
      total <= retentionBytes
        ? `retention.bytes not exceeded (partition holds ${total} of ${retentionBytes} bytes)`
        : `the partition is ${excess} bytes over retention.bytes=${retentionBytes}, less than this segment's ${segment.sizeBytes} (whole segments only)`,
    );
  } else if (expiry === null) {
    clauses.push('retention.bytes=-1: kept forever');
  }
  return { reason, text: clauses.join('; ') };
}

/** How the active segment rolls: only on an append (Kafka's rules, segment.ts shouldRoll). */
function rollText(input: RetentionReportInput, segment: SegmentFacts): string {
  const config = input.config;
  const parts = [`active segment: appends move its largest timestamp on; it rolls on an append past segment.bytes=${config['segment.bytes']} (holds ${segment.sizeBytes})`];
  const segmentMs = config['segment.ms'];
  if (Number.isFinite(segmentMs)) {
    const baseline = segment.firstBatchTimestampMs >= 0 ? segment.firstBatchTimestampMs : segment.createdAtMs;
    const what = segment.firstBatchTimestampMs >= 0 ? 'a record timestamped' : 'an append';
    parts.push(`or on ${what} after ${isoTime(baseline + segmentMs - segment.rollJitterMs)} (segment.ms=${durationText(segmentMs)} after its first batch)`);
  }
  return parts.join(' ');
}

function nextDeletion(input: RetentionReportInput, bounds: PassBounds, report: ReadonlyArray<SegmentRetention>): NextDeletion {
  const { config, nowMs } = input;
  const every = `checks run every ${durationText(config['log.retention.check.interval.ms'])} (log.retention.check.interval.ms) while a broker has the data directory open`;
  if (bounds.time > 0) {
    const bytes = sum(report.slice(0, bounds.time).map((segment) => segment.sizeBytes));
    return {
      dueAfterMs: nowMs,
      explanation: `now: ${bounds.time} segment${bounds.time === 1 ? '' : 's'} (${bytes} bytes) eligible, deleted at the next retention check; ${every}`,
    };
  }
  const first = report[0];
  if (first === undefined || (first.active && first.sizeBytes === 0)) {
    return { dueAfterMs: null, explanation: 'nothing to delete: the partition is empty' };
  }
  switch (first.reason) {
    case 'compact-only':
    case 'above-high-watermark':
    case 'empty-active-segment':
      return { dueAfterMs: null, explanation: `none foreseen: ${first.explanation}` };
    default:
      break;
  }
  const retentionBytes = config['retention.bytes'];
  const bySize =
    retentionBytes >= 0
      ? `by size once the partition grows past retention.bytes=${retentionBytes} by the oldest segment's ${first.sizeBytes} bytes`
      : null;
  if (first.expiresAfterMs === null) {
    return bySize === null
      ? { dueAfterMs: null, explanation: 'never: retention.ms=-1 and retention.bytes=-1 keep everything' }
      : { dueAfterMs: null, explanation: `${bySize}; ${every}` };
  }
  const moving = first.active ? ', unless records appended to the active segment move that on' : '';
  const orSize = bySize === null ? '' : `, or sooner ${bySize}`;
  return {
    dueAfterMs: Math.max(nowMs, first.expiresAfterMs),
    explanation: `at the first retention check after ${isoTime(first.expiresAfterMs)}, when the segment at base offset ${first.baseOffset} passes retention.ms${moving}${orSize}; ${every}`,
  };
}

function sum(values: ReadonlyArray<number>): number {
  return values.reduce((total, value) => total + value, 0);
}

function timestampText(segment: SegmentFacts): string {
  const text = isoTime(segment.largestTimestampMs);
  return segment.largestTimestampSource === 'record' ? text : `${text}, the file's mtime: no record has a timestamp`;
}

/** Date's range is ±8.64e15 ms; beyond it (or "never") the number is printed. */
const DATE_MS_MAX = 8.64e15;

export function isoTime(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > DATE_MS_MAX) return Number.isFinite(ms) ? `${ms} ms since the epoch` : 'never';
  return new Date(ms).toISOString();
}

const UNITS: ReadonlyArray<readonly [number, string]> = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1000, 's'],
];

/** `604800000 ms (7 d)`: the value as configured, and in a unit when it divides evenly. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const unit = UNITS.find(([size]) => ms !== 0 && ms % size === 0);
  return unit === undefined ? `${ms} ms` : `${ms} ms (${ms / unit[0]} ${unit[1]})`;
}
