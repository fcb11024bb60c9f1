import { EngineError } from '../core/errors.js';

/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager, without transactions):
 * for each producer id, its epoch and the metadata of its last 5 batches (first/last sequence,
 * first/last offset). A batch that repeats one of them (same epoch, same first and last sequence)
 * is a retry: it is not written again and is answered with the original offsets. Otherwise, within
 * an epoch, sequences must follow on (last + 1, wrapping after Int.MAX to 0); a new epoch starts at
 * sequence 0; an older epoch is fenced. A producer id with no state accepts any sequence.
 *
 * State is rebuilt at open by replaying batch headers (see Log), and entries expire
 * producer.id.expiration.ms (1 day) after the producer's last write.
 */
export const BATCHES_RETAINED = 5;
export const PRODUCER_ID_EXPIRATION_MS_DEFAULT = 86_400_000;
const INT32_MAX = 2_147_483_647;

export interface BatchIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
}

export interface BatchMetadata {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestampMs: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
  lastTimestampMs: number;
}

export type SequenceCheck =
  | { readonly kind: 'none' }
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly original: BatchMetadata };

export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  const last = baseSequence + lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function nextSequence(sequence: number): number {
  return sequence === INT32_MAX ? 0 : sequence + 1;
}

export class ProducerStateTable {
  readonly #entries = new Map<number, ProducerEntry>();

  get producerCount(): number {
    return this.#entries.size;
  }

  /** Decide what an incoming batch is; throws a typed error for a fenced epoch or a sequence gap. */
  check(batch: BatchIdentity): SequenceCheck {
    if (batch.producerId < 0) return { kind: 'none' };
    if (batch.baseSequence < 0) {
      throw new EngineError('INVALID_RECORD', `producer ${batch.producerId} sent a batch without a base sequence`);
    }
    const entry = this.#entries.get(batch.producerId);
    if (entry === undefined) return { kind: 'append' };
    const firstSequence = batch.baseSequence;
    const lastSequence = lastSequenceOf(batch.baseSequence, batch.lastOffsetDelta);
    if (batch.producerEpoch < entry.epoch) {
      throw new EngineError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${batch.producerId} epoch ${batch.producerEpoch} is fenced by epoch ${entry.epoch}`,
      );
    }
    if (batch.producerEpoch > entry.epoch) {
      if (firstSequence !== 0) {
        throw new EngineError(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `producer ${batch.producerId} began epoch ${batch.producerEpoch} at sequence ${firstSequence}; a new epoch starts at 0`,
        );
      }
      return { kind: 'append' };
    }
    const original = entry.batches.find((meta) => meta.firstSequence === firstSequence && meta.lastSequence === lastSequence);
    if (original !== undefined) return { kind: 'duplicate', original };
    const latest = entry.batches[entry.batches.length - 1];
    if (latest !== undefined && firstSequence !== nextSequence(latest.lastSequence)) {
      throw new EngineError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${batch.producerId} sent sequence ${firstSequence}; expected ${nextSequence(latest.lastSequence)}`,
      );
    }
    return { kind: 'append' };
  }

  /** Record an appended batch. */
  update(batch: BatchIdentity, firstOffset: number, timestampMs: number): void {
    if (batch.producerId < 0) return;
    let entry = this.#entries.get(batch.producerId);
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [], lastTimestampMs: timestampMs };
      this.#entries.set(batch.producerId, entry);
    }
    entry.batches.push({
      firstSequence: batch.baseSequence,
      lastSequence: lastSequenceOf(batch.baseSequence, batch.lastOffsetDelta),
      firstOffset,
      lastOffset: firstOffset + batch.lastOffsetDelta,
      timestampMs,
    });
    if (entry.batches.length > BATCHES_RETAINED) entry.batches.shift();
    entry.lastTimestampMs = Math.max(entry.lastTimestampMs, timestampMs);
  }

  /** Forget batches at or above `offset` (their appends were rolled back or truncated). */
  truncateFrom(offset: number): void {
    for (const [producerId, entry] of this.#entries) {
      entry.batches = entry.batches.filter((meta) => meta.firstOffset < offset);
      if (entry.batches.length === 0) this.#entries.delete(producerId);
    }
  }

  /** Drop producers whose last write is older than `expirationMs`. */
  expire(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [producerId, entry] of this.#entries) {
      if (nowMs - entry.lastTimestampMs > expirationMs) {
        this.#entries.delete(producerId);
        removed++;
      }
    }
    return removed;
  }
}
