import { EngineError } from '../core/errors.js';
import { partitionForKey, toPositive } from './murmur2.js';

/**
 * Kafka's partition choice, in Kafka's order: an explicit partition wins; a key goes through
 * murmur2 (same key → same partition number as the Java client); a null key goes round-robin
 * (Kafka ≤ 2.3, so 7 keyless records on 3 partitions land on 0,1,2,0,1,2,0), or — with
 * `sticky` — stays on one partition until batch.size bytes went to it, then moves on (Kafka 3.3+).
 *
 * Keyed records use all partitions of the topic, available or not, as Kafka does.
 */
export type NullKeyStrategy = 'round-robin' | 'sticky';

interface StickyState {
  partition: number;
  bytes: number;
}

export class Partitioner {
  readonly #roundRobin = new Map<string, number>();
  readonly #sticky = new Map<string, StickyState>();

  constructor(
    private readonly strategy: NullKeyStrategy,
    private readonly batchBytes: number,
    private readonly random: () => number = Math.random,
  ) {}

  partition(topic: string, partitionCount: number, key: Uint8Array | null, explicit: number | undefined, recordBytes: number): number {
    if (explicit !== undefined) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit >= partitionCount) {
        throw new EngineError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `partition ${explicit} does not exist in topic "${topic}" (it has ${partitionCount}: 0..${partitionCount - 1})`,
        );
      }
      return explicit;
    }
    if (key !== null) return partitionForKey(key, partitionCount);
    return this.strategy === 'sticky'
      ? this.#stickyPartition(topic, partitionCount, recordBytes)
      : this.#nextRoundRobin(topic, partitionCount);
  }

  #nextRoundRobin(topic: string, partitionCount: number): number {
    const counter = this.#roundRobin.get(topic) ?? 0;
    this.#roundRobin.set(topic, (counter + 1) | 0);
    return toPositive(counter) % partitionCount;
  }

  #stickyPartition(topic: string, partitionCount: number, recordBytes: number): number {
    let state = this.#sticky.get(topic);
    if (state === undefined || state.partition >= partitionCount) {
      state = { partition: Math.floor(this.random() * partitionCount), bytes: 0 };
      this.#sticky.set(topic, state);
    } else if (state.bytes >= this.batchBytes) {
      // Move to another partition once a batch's worth went to this one.
      const offset = partitionCount > 1 ? 1 + Math.floor(this.random() * (partitionCount - 1)) : 0;
      state.partition = (state.partition + offset) % partitionCount;
      state.bytes = 0;
    }
    state.bytes += recordBytes;
    return state.partition;
  }
}
