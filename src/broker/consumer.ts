import { systemClock, type Clock } from '../core/clock.js';
import { CorruptRecordError, CorruptSegmentError, EngineError, OffsetOutOfRangeError } from '../core/errors.js';
import { fetchChannel, publishFetch } from '../core/channels.js';
import type { Record } from '../records/record.js';
import type { Log } from '../storage/log.js';
import { CompletedFetch } from './completed-fetch.js';
import { waitForData, type FetchPosition } from './fetcher.js';

/**
 * The embedded consumer: assign partitions (or, with a group, have them assigned), then poll or
 * iterate with `for await`. Kafka's fetch settings under Kafka's names and defaults; positions
 * start from the committed offset when there is one, else from `auto.offset.reset`.
 *
 * Consumers read below each partition's high watermark, so they never see a record whose append
 * can still fail. A fetch that finds nothing waits (long poll) until an append brings at least
 * fetch.min.bytes or fetch.max.wait.ms passes.
 */
export type OffsetReset = 'earliest' | 'latest' | 'none';

export interface ConsumerOptions {
  readonly 'auto.offset.reset'?: OffsetReset;
  readonly 'fetch.min.bytes'?: number;
  readonly 'fetch.max.wait.ms'?: number;
  readonly 'fetch.max.bytes'?: number;
  readonly 'max.partition.fetch.bytes'?: number;
  /**
   * Kafka's max.poll.records (500): a poll returns at most this many records. What a fetch read
   * beyond them waits, undecoded, for the next polls (no second read of the log), which drain it
   * before the next partition's turn; partitions take turns at being first, so none starves.
   */
  readonly 'max.poll.records'?: number;
  readonly clock?: Clock;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface FetchedBatch extends TopicPartition {
  readonly records: ReadonlyArray<Record>;
  readonly highWatermark: number;
  /** Position after these records: the offset to commit once they are processed. */
  readonly nextOffset: number;
}

/** What the consumer needs from a broker: partition logs, and committed offsets when in a group. */
export interface ConsumeSource {
  log(topic: string, partition: number): Log;
  partitionCount(topic: string): number;
}

/** Where starting positions come from when a group has committed offsets. */
export interface CommittedOffsetSource {
  committed(partitions: ReadonlyArray<TopicPartition>): Map<string, number>;
}

interface Assignment {
  readonly topic: string;
  readonly partition: number;
  readonly log: Log;
  /** The next offset to hand to the application (what a commit records). */
  position: number | null;
  paused: boolean;
  /** Batches read from the log and not yet all handed out; dropped by a seek. */
  fetched: CompletedFetch | null;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Consumer {
  readonly #source: ConsumeSource;
  readonly #reset: OffsetReset;
  readonly #minBytes: number;
  readonly #maxWaitMs: number;
  readonly #maxBytes: number;
  readonly #partitionMaxBytes: number;
  readonly #maxPollRecords: number;
  #nextFirst = 0;
  readonly #clock: Clock;
  #assignments = new Map<string, Assignment>();
  #committed: CommittedOffsetSource | null = null;
  #closed = false;
  #wake: { aborted: boolean; onAbort?: () => void } | null = null;
  /**
   * An error met after a poll had taken records, with the partition it came from and that
   * partition's position then: thrown by the next poll if the partition is still assigned,
   * unpaused and where it was (a seek, pause or new assignment in between makes it moot).
   */
  #deferred: { readonly assignment: Assignment; readonly position: number | null; readonly error: unknown } | null = null;

  constructor(source: ConsumeSource, options: ConsumerOptions = {}) {
    this.#source = source;
    this.#reset = options['auto.offset.reset'] ?? 'latest';
    if (!['earliest', 'latest', 'none'].includes(this.#reset)) {
      throw new EngineError('CONFIG_INVALID', `auto.offset.reset=${this.#reset} is invalid: use earliest, latest or none`);
    }
    this.#minBytes = setting('fetch.min.bytes', options['fetch.min.bytes'] ?? 1);
    this.#maxWaitMs = setting('fetch.max.wait.ms', options['fetch.max.wait.ms'] ?? 500);
    this.#maxBytes = setting('fetch.max.bytes', options['fetch.max.bytes'] ?? 52_428_800);
    this.#partitionMaxBytes = setting('max.partition.fetch.bytes', options['max.partition.fetch.bytes'] ?? 1_048_576);
    this.#maxPollRecords = setting('max.poll.records', options['max.poll.records'] ?? 500);
    if (this.#maxPollRecords < 1) throw new EngineError('CONFIG_INVALID', 'max.poll.records=0 is invalid: it must be ≥ 1');
    this.#clock = options.clock ?? systemClock;
  }

  /** Use committed offsets (a group's) as starting positions. */
  useCommittedOffsets(source: CommittedOffsetSource | null): void {
    this.#committed = source;
  }

  /** Replace the assignment. Positions of partitions kept are kept. */
  assign(partitions: ReadonlyArray<TopicPartition>): void {
    this.#ensureOpen();
    const next = new Map<string, Assignment>();
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      next.set(key, this.#assignments.get(key) ?? { topic, partition, log: this.#source.log(topic, partition), position: null, paused: false, fetched: null });
    }
    this.#assignments = next;
    this.#interrupt();
  }

  assignment(): TopicPartition[] {
    return [...this.#assignments.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  seek(topic: string, partition: number, offset: number): void {
    const assignment = this.#assigned(topic, partition);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new EngineError('OFFSET_OUT_OF_RANGE', `cannot seek ${topic}-${partition} to ${offset}: offsets are integers ≥ 0`);
    }
    assignment.position = offset;
    assignment.fetched = null;
    this.#interrupt();
  }

  pause(partitions: ReadonlyArray<TopicPartition>): void {
    for (const { topic, partition } of partitions) this.#assigned(topic, partition).paused = true;
  }

  resume(partitions: ReadonlyArray<TopicPartition>): void {
    for (const { topic, partition } of partitions) this.#assigned(topic, partition).paused = false;
    this.#interrupt();
  }

  /**
   * The offset of the next record poll() will hand out for the partition (just past the last one
   * it handed out: what a commit records), or null before its first fetch.
   */
  position(topic: string, partition: number): number | null {
    return this.#assigned(topic, partition).position;
  }

  #assigned(topic: string, partition: number): Assignment {
    const assignment = this.#assignments.get(partitionKey(topic, partition));
    if (assignment === undefined) {
      throw new EngineError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition} is not assigned to this consumer`);
    }
    return assignment;
  }

  #ensureOpen(): void {
    if (this.#closed) throw new EngineError('LOG_CLOSED', 'consumer is closed');
  }

  #interrupt(): void {
    if (this.#wake !== null) {
      this.#wake.aborted = true;
      this.#wake.onAbort?.();
    }
  }

  #initialise(assignments: Assignment[]): void {
    const missing = assignments.filter((assignment) => assignment.position === null);
    if (missing.length === 0) return;
    const committed = this.#committed?.committed(missing) ?? new Map<string, number>();
    for (const assignment of missing) {
      const offset = committed.get(partitionKey(assignment.topic, assignment.partition));
      assignment.position = offset ?? this.#resetPosition(assignment);
    }
  }

  #resetPosition(assignment: Assignment): number {
    switch (this.#reset) {
      case 'earliest':
        return assignment.log.logStartOffset;
      case 'latest':
        return assignment.log.highWatermark;
      case 'none':
        throw new EngineError(
          'OFFSET_OUT_OF_RANGE',
          `${assignment.topic}-${assignment.partition} has no committed offset (or it is out of range) and ` +
            'auto.offset.reset=none: commit an offset, seek, or use earliest or latest',
        );
    }
  }

  /**
   * Up to max.poll.records records from the assigned, unpaused partitions: first what earlier
   * fetches left buffered, then new reads within the byte limits. Waits up to fetch.max.wait.ms
   * for fetch.min.bytes when nothing is there yet. An error met after records were taken is
   * thrown by the next poll, and those records are returned now.
   */
  async poll(): Promise<FetchedBatch[]> {
    this.#ensureOpen();
    const active = [...this.#assignments.values()].filter((assignment) => !assignment.paused);
    this.#initialise(active);
    let batches = this.#fetchOnce(active);
    if (batches.length === 0 && this.#maxWaitMs > 0 && active.length > 0) {
      // Nothing was buffered either (a buffered record would have been returned).
      const positions: FetchPosition[] = active.map((assignment) => ({ log: assignment.log, offset: assignment.position! }));
      this.#wake = { aborted: false };
      await waitForData(positions, this.#minBytes, this.#maxWaitMs, this.#clock, this.#wake);
      this.#wake = null;
      if (this.#closed) return [];
      batches = this.#fetchOnce([...this.#assignments.values()].filter((assignment) => !assignment.paused));
    }
    return batches;
  }

  #fetchOnce(active: Assignment[]): FetchedBatch[] {
    const deferred = this.#deferred;
    if (deferred !== null) {
      this.#deferred = null;
      const { assignment } = deferred;
      const current = this.#assignments.get(partitionKey(assignment.topic, assignment.partition));
      if (current === assignment && !assignment.paused && assignment.position === deferred.position) throw deferred.error;
    }
    this.#initialise(active);
    const batches: FetchedBatch[] = [];
    let budget = this.#maxBytes;
    let records = 0;
    // The partition first in line keeps that place until its fetch is used up (Kafka's
    // nextInLineFetch): polls drain one fetched buffer at a time, then the turn passes on.
    const first = active.length === 0 ? 0 : this.#nextFirst % active.length;
    for (let turn = 0; turn < active.length && records < this.#maxPollRecords; turn++) {
      const assignment = active[(first + turn) % active.length]!;
      const taken: Record[] = [];
      let count: number;
      try {
        // fetch.max.bytes bounds new reads (the first read of a poll is made whatever it says, as
        // in Kafka); buffered records are handed out whatever the budget.
        if (assignment.fetched === null) {
          if (budget <= 0 && records > 0) continue;
          budget -= this.#read(assignment, Math.max(1, Math.min(this.#partitionMaxBytes, budget)));
        }
        if (assignment.fetched === null) continue;
        count = assignment.fetched.take(taken, this.#maxPollRecords - records);
      } catch (caught) {
        const error = namedForPartition(caught, assignment);
        // Records already taken from other partitions are returned, their positions moved past
        // them; the error is this poll's next caller's (Kafka's consumer does the same).
        if (batches.length === 0) throw error;
        this.#deferred = { assignment, position: assignment.position, error };
        break;
      }
      const fetched = assignment.fetched;
      records += count;
      if (fetchChannel.hasSubscribers) publishFetch(this.#source, assignment.topic, assignment.partition, count, fetched.takeDecodedBytes());
      if (fetched.exhausted) {
        assignment.position = fetched.nextFetchOffset;
        assignment.fetched = null;
        // Nothing at or past the position in what was read (a compacted batch whose last records
        // are gone): read on from past it in this same poll. Positions only grow, so this ends.
        if (count === 0) turn--;
      } else {
        assignment.position = taken[count - 1]!.offset + 1;
      }
      if (count === 0) continue;
      batches.push({
        topic: assignment.topic,
        partition: assignment.partition,
        records: taken,
        highWatermark: assignment.log.highWatermark,
        nextOffset: assignment.position,
      });
    }
    if (active.length > 0 && active[first]!.fetched === null) this.#nextFirst = first + 1;
    return batches;
  }

  /** Read stored batches from the partition's position into `assignment.fetched`; returns the bytes read. */
  #read(assignment: Assignment, maxBytes: number): number {
    const log = assignment.log;
    let position = assignment.position!;
    let result;
    try {
      result = log.read(position, maxBytes, log.highWatermark);
    } catch (error) {
      if (!(error instanceof OffsetOutOfRangeError)) throw error;
      // Retention moved the log start past us, or we sought past the end: reset as Kafka does.
      assignment.position = position = this.#resetPosition(assignment);
      result = log.read(position, maxBytes, log.highWatermark);
    }
    if (result.records.length === 0) return 0;
    assignment.fetched = new CompletedFetch(result.records, position, result.nextOffset);
    return result.records.length;
  }

  /** Batches as they arrive, until the consumer is closed. */
  async *batches(): AsyncGenerator<FetchedBatch> {
    while (!this.#closed) {
      for (const batch of await this.poll()) yield batch;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#interrupt();
  }

  get closed(): boolean {
    return this.#closed;
  }
}

function setting(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EngineError('CONFIG_INVALID', `${key}=${value} is invalid: it must be an integer ≥ 0`);
  }
  return value;
}

/**
 * Stored bytes the consumer cannot read (a stored batch whose CRC no longer matches, a codec Brook
 * cannot decode) are named as Kafka's consumer names them: which partition, from which position,
 * and how to read on. Same class and code; the original is the cause.
 */
function namedForPartition(error: unknown, assignment: { readonly topic: string; readonly partition: number; readonly position: number | null }): unknown {
  const where = `${assignment.topic}-${assignment.partition} reading from offset ${assignment.position ?? 'unknown'}`;
  const message = (cause: Error): string => `${where}: ${cause.message}; seek past the batch to read on`;
  if (error instanceof CorruptRecordError) return new CorruptRecordError(error.code, message(error), { cause: error });
  if (error instanceof CorruptSegmentError) return new CorruptSegmentError(error.code, message(error), { cause: error });
  return error;
}
