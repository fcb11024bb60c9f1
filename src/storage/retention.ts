import type { LogConfig } from './config.js';
import { hasPolicy } from './config.js';

/**
 * Retention decisions, pure: which segments to delete, oldest first, whole segments only
 * (Kafka's UnifiedLog.deleteOldSegments). Three passes run in order on what the previous pass
 * left: log start offset breach, size breach (retention.bytes, per partition), time breach
 * (retention.ms against a segment's largest record timestamp). Each pass stops at the first
 * segment its predicate rejects. With cleanup.policy=compact alone, only the first pass runs.
 *
 * A segment is deletable only if everything in it is below the high watermark, and the last
 * segment only if it is not empty. When every segment goes, the log must roll first.
 */
export interface SegmentSummary {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Largest record timestamp (or file mtime when no record has one). */
  readonly largestTimestampMs: number;
}

export interface RetentionInput {
  readonly segments: ReadonlyArray<SegmentSummary>;
  readonly config: LogConfig;
  readonly nowMs: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

export type RetentionReason = 'log-start-offset' | 'retention.bytes' | 'retention.ms';

export interface RetentionDecision {
  /** Delete segments[0, count). */
  readonly count: number;
  readonly reasons: ReadonlyArray<RetentionReason>;
  /** Every segment is deleted: roll a fresh active segment first. */
  readonly rollFirst: boolean;
}

type Predicate = (segment: SegmentSummary, next: SegmentSummary | undefined) => boolean;

function deletableCount(input: RetentionInput, from: number, predicate: Predicate): number {
  const { segments, logEndOffset, highWatermark } = input;
  let index = from;
  while (index < segments.length) {
    const segment = segments[index]!;
    const next = segments[index + 1];
    const upperBoundOffset = next === undefined ? logEndOffset : next.baseOffset;
    const lastAndEmpty = next === undefined && segment.sizeBytes === 0;
    if (lastAndEmpty || upperBoundOffset > highWatermark || !predicate(segment, next)) break;
    index++;
  }
  return index - from;
}

export function decideRetention(input: RetentionInput): RetentionDecision {
  const { config, segments } = input;
  const reasons: RetentionReason[] = [];
  let count = deletableCount(input, 0, (_segment, next) => next !== undefined && next.baseOffset <= input.logStartOffset);
  if (count > 0) reasons.push('log-start-offset');
  if (hasPolicy(config, 'delete')) {
    const retentionBytes = config['retention.bytes'];
    const totalBytes = segments.slice(count).reduce((sum, segment) => sum + segment.sizeBytes, 0);
    if (retentionBytes >= 0 && totalBytes >= retentionBytes) {
      let excessBytes = totalBytes - retentionBytes;
      const bySize = deletableCount(input, count, (segment) => {
        if (excessBytes - segment.sizeBytes < 0) return false;
        excessBytes -= segment.sizeBytes;
        return true;
      });
      if (bySize > 0) reasons.push('retention.bytes');
      count += bySize;
    }
    const retentionMs = config['retention.ms'];
    if (retentionMs >= 0) {
      const byTime = deletableCount(input, count, (segment) => input.nowMs - segment.largestTimestampMs > retentionMs);
      if (byTime > 0) reasons.push('retention.ms');
      count += byTime;
    }
  }
  return { count, reasons, rollFirst: count > 0 && count === segments.length };
}
