import { EngineError } from '../core/errors.js';

/**
 * Where `brook groups reset-offsets` moves one partition's committed offset, pure, with the rules
 * of Kafka's kafka-consumer-groups tool: earliest and latest are the log start and end offsets;
 * a time is the first offset whose timestamp is at or after it (the log end offset when there is
 * none); a shift needs a committed offset to shift from. Every target is clamped to
 * [log start offset, log end offset], so a consumer never starts outside the log.
 */
export type ResetTo =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'datetime'; readonly timestampMs: number }
  | { readonly kind: 'shift-by'; readonly delta: number };

export interface PartitionResetInput {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset, or null when it has none. */
  readonly current: number | null;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** For 'datetime': the first offset with timestamp ≥ the time, or null when there is none. */
  readonly offsetForTime: number | null;
}

export interface PartitionReset {
  readonly topic: string;
  readonly partition: number;
  readonly current: number | null;
  readonly target: number;
  /** Set when the wanted offset was outside the log and moved to its nearest end. */
  readonly note: string | null;
}

function wanted(to: ResetTo, input: PartitionResetInput): number {
  switch (to.kind) {
    case 'earliest':
      return input.logStartOffset;
    case 'latest':
      return input.logEndOffset;
    case 'offset':
      return to.offset;
    case 'datetime':
      return input.offsetForTime ?? input.logEndOffset;
    case 'shift-by':
      if (input.current === null) {
        throw new EngineError(
          'CONFIG_INVALID',
          `${input.topic}-${input.partition} has no committed offset to shift: reset it with --to-earliest, --to-latest, --to-offset or --to-datetime`,
        );
      }
      return input.current + to.delta;
  }
}

export function planPartitionReset(to: ResetTo, input: PartitionResetInput): PartitionReset {
  const target = wanted(to, input);
  const base = { topic: input.topic, partition: input.partition, current: input.current };
  if (target < input.logStartOffset) {
    return { ...base, target: input.logStartOffset, note: `${target} is below the log start offset: clamped` };
  }
  if (target > input.logEndOffset) {
    return { ...base, target: input.logEndOffset, note: `${target} is past the log end offset: clamped` };
  }
  return { ...base, target, note: null };
}
