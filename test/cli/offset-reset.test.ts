import { describe, expect, it } from 'vitest';
import { planPartitionReset, type PartitionResetInput } from '../../src/cli/offset-reset.js';

const partition: PartitionResetInput = { topic: 'orders', partition: 0, current: 5, logStartOffset: 2, logEndOffset: 10, offsetForTime: 7 };

describe('planPartitionReset', () => {
  it('moves to the log start or end offset for earliest and latest', () => {
    expect(planPartitionReset({ kind: 'earliest' }, partition)).toMatchObject({ current: 5, target: 2, note: null });
    expect(planPartitionReset({ kind: 'latest' }, partition)).toMatchObject({ target: 10, note: null });
  });

  it('moves to the first offset at or after a time, or to the log end offset when there is none', () => {
    expect(planPartitionReset({ kind: 'datetime', timestampMs: 0 }, partition).target).toBe(7);
    expect(planPartitionReset({ kind: 'datetime', timestampMs: 0 }, { ...partition, offsetForTime: null }).target).toBe(10);
  });

  it('clamps an offset or a shift to [log start, log end] and says so', () => {
    expect(planPartitionReset({ kind: 'offset', offset: 0 }, partition)).toMatchObject({ target: 2, note: '0 is below the log start offset: clamped' });
    expect(planPartitionReset({ kind: 'shift-by', delta: 100 }, partition)).toMatchObject({ target: 10, note: '105 is past the log end offset: clamped' });
    expect(planPartitionReset({ kind: 'shift-by', delta: -1 }, partition)).toMatchObject({ target: 4, note: null });
  });

  it('refuses to shift a partition with no committed offset', () => {
    expect(() => planPartitionReset({ kind: 'shift-by', delta: 1 }, { ...partition, current: null })).toThrow(/orders-0 has no committed offset to shift/);
  });
});
