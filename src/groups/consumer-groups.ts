import type { Broker } from '../broker/broker.js';
import { Consumer, partitionKey, type ConsumerOptions, type FetchedBatch, type TopicPartition } from '../broker/consumer.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { EngineError } from '../core/errors.js';
import type { TopicPartitions } from './consumer-protocol.js';
import { GroupCoordinator } from './coordinator.js';
import type { GroupCoordinatorConfigInput } from './group-config.js';
import { GroupMember } from './group-member.js';
import { TopicOffsetStore, type TopicOffsetStoreOptions } from './topic-offset-store.js';

/**
 * Consumer groups for an embedded broker: one group coordinator (the same state machine network
 * clients will reach through JoinGroup/SyncGroup/Heartbeat/LeaveGroup) with committed offsets in
 * `__consumer_offsets`, and group consumers that join it.
 *
 * group.initial.rebalance.delay.ms defaults to 0 here (Kafka's broker default is 3000) so that an
 * embedded group forms at once; pass it in `coordinator` to get Kafka's behaviour.
 */
export interface ConsumerGroupsOptions {
  readonly clock?: Clock;
  readonly coordinator?: GroupCoordinatorConfigInput;
  readonly offsets?: TopicOffsetStoreOptions;
  /**
   * Kafka's offsets.retention.check.interval.ms (600000): how often offsets of groups that have no
   * members and no commit within offsets.retention.minutes are deleted. 0 turns the check off.
   */
  readonly 'offsets.retention.check.interval.ms'?: number;
}

/** The groups of each broker that server and embedded users share (see ConsumerGroups.shared). */
const SHARED = new WeakMap<Broker, Promise<ConsumerGroups>>();

export class ConsumerGroups {
  readonly coordinator: GroupCoordinator;
  readonly offsets: TopicOffsetStore;
  readonly #broker: Broker;
  readonly #clock: Clock;
  readonly #retentionCheckMs: number;
  #retentionTimer: TimerHandle | null = null;
  #closed = false;
  #onClose: () => void = () => undefined;

  private constructor(broker: Broker, coordinator: GroupCoordinator, offsets: TopicOffsetStore, clock: Clock, retentionCheckMs: number) {
    this.#broker = broker;
    this.coordinator = coordinator;
    this.offsets = offsets;
    this.#clock = clock;
    this.#retentionCheckMs = retentionCheckMs;
    this.#scheduleRetentionCheck();
  }

  #scheduleRetentionCheck(): void {
    if (this.#closed || this.#retentionCheckMs === 0) return;
    this.#retentionTimer = this.#clock.setTimer(this.#retentionCheckMs, () => {
      void this.expireOffsets()
        .catch(() => undefined)
        .finally(() => this.#scheduleRetentionCheck());
    });
  }

  /**
   * offsets.retention.minutes: delete the committed offsets of every group that has no members
   * (Empty or gone) and whose last commit is older than the retention. Returns how many went.
   */
  expireOffsets(nowMs = this.#clock.nowMs()): Promise<number> {
    return this.offsets.expire((groupId) => {
      const state = this.coordinator.describeGroup(groupId).groupState;
      return state === 'Empty' || state === 'Dead';
    }, nowMs);
  }

  static async open(broker: Broker, options: ConsumerGroupsOptions = {}): Promise<ConsumerGroups> {
    const clock = options.clock ?? systemClock;
    const offsets = await TopicOffsetStore.open(broker, { clock: () => clock.nowMs(), ...options.offsets });
    const coordinator = new GroupCoordinator({
      clock,
      offsetStore: offsets,
      config: { 'group.initial.rebalance.delay.ms': 0, ...options.coordinator },
      partitionExists: (topic, partition) => broker.hasTopic(topic) && partition < broker.partitionCount(topic),
    });
    const retentionCheckMs = options['offsets.retention.check.interval.ms'] ?? 600_000;
    if (!Number.isSafeInteger(retentionCheckMs) || retentionCheckMs < 0) {
      throw new EngineError('CONFIG_INVALID', `offsets.retention.check.interval.ms=${retentionCheckMs} is invalid: it must be an integer ≥ 0`);
    }
    return new ConsumerGroups(broker, coordinator, offsets, clock, retentionCheckMs);
  }

  /**
   * The broker's one set of consumer groups: the wire server and embedded group consumers must
   * meet in the same coordinator. Opened on first use with `options`; later calls get the same
   * instance (their options are ignored). A closed instance is replaced on the next call.
   */
  static shared(broker: Broker, options: ConsumerGroupsOptions = {}): Promise<ConsumerGroups> {
    const existing = SHARED.get(broker);
    if (existing !== undefined) return existing;
    const opened = ConsumerGroups.open(broker, options);
    SHARED.set(broker, opened);
    opened.then(
      (groups) => {
        groups.#onClose = () => {
          if (SHARED.get(broker) === opened) SHARED.delete(broker);
        };
      },
      () => SHARED.delete(broker),
    );
    return opened;
  }

  consumer(options: GroupConsumerOptions): GroupConsumer {
    return new GroupConsumer(this.#broker, this.coordinator, this.#clock, options);
  }

  close(): void {
    this.#closed = true;
    this.#onClose();
    this.#retentionTimer?.cancel();
    this.coordinator.close();
  }
}

export interface GroupConsumerOptions extends ConsumerOptions {
  readonly groupId: string;
  readonly clientId?: string;
  readonly 'enable.auto.commit'?: boolean;
  readonly 'auto.commit.interval.ms'?: number;
  readonly 'session.timeout.ms'?: number;
  readonly 'heartbeat.interval.ms'?: number;
  readonly 'max.poll.interval.ms'?: number;
  readonly 'partition.assignment.strategy'?: readonly string[];
}

/**
 * A consumer in a group: subscribe, then poll or `for await`; partitions come and go with
 * rebalances. Positions start at the group's committed offsets. Offsets are committed
 * automatically every auto.commit.interval.ms (default on, as Kafka), before partitions are
 * revoked, and on close; `commit()` commits the current positions now.
 */
export class GroupConsumer {
  readonly #consumer: Consumer;
  readonly #coordinator: GroupCoordinator;
  readonly #clock: Clock;
  readonly #options: GroupConsumerOptions;
  readonly #broker: Broker;
  #member: GroupMember | null = null;
  #autoCommit: TimerHandle | null = null;
  #pollWatch: TimerHandle | null = null;
  #lastPollMs = 0;
  #leftForSlowPoll = false;
  #closed = false;

  constructor(broker: Broker, coordinator: GroupCoordinator, clock: Clock, options: GroupConsumerOptions) {
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
      throw new EngineError('INVALID_GROUP_ID', 'a group consumer needs a non-empty groupId');
    }
    this.#broker = broker;
    this.#coordinator = coordinator;
    this.#clock = clock;
    this.#options = options;
    this.#consumer = new Consumer(broker, { ...options, clock });
    this.#consumer.useCommittedOffsets({ committed: (partitions) => this.#committed(partitions) });
  }

  get memberId(): string {
    return this.#member?.memberId ?? '';
  }

  assignment(): TopicPartition[] {
    return this.#consumer.assignment();
  }

  /** Join the group for these topics; resolves once the first assignment arrived. */
  async subscribe(request: { topics: readonly string[] }): Promise<void> {
    if (this.#member !== null) throw new EngineError('CONFIG_INVALID', 'this consumer has already subscribed');
    this.#member = new GroupMember({
      coordinator: this.#coordinator,
      clock: this.#clock,
      groupId: this.#options.groupId,
      clientId: this.#options.clientId ?? 'brook-embedded',
      topics: request.topics,
      partitionCount: (topic) => this.#broker.partitionCount(topic),
      ...(this.#options['partition.assignment.strategy'] === undefined ? {} : { assignors: this.#options['partition.assignment.strategy'] }),
      sessionTimeoutMs: this.#options['session.timeout.ms'] ?? 45_000,
      rebalanceTimeoutMs: this.#options['max.poll.interval.ms'] ?? 300_000,
      heartbeatIntervalMs: this.#options['heartbeat.interval.ms'] ?? 3000,
      onRevoke: async (revoked) => {
        await this.commit();
        // Eager: everything; cooperative: only what moves to another member.
        const gone = new Set(flatten(revoked).map(({ topic, partition }) => `${topic}\u0000${partition}`));
        this.#consumer.assign(this.#consumer.assignment().filter(({ topic, partition }) => !gone.has(`${topic}\u0000${partition}`)));
      },
      onAssign: (partitions) => this.#consumer.assign(flatten(partitions)),
    });
    await this.#member.join();
    this.#lastPollMs = this.#clock.nowMs();
    this.#schedulePollWatch();
    if (this.#options['enable.auto.commit'] ?? true) this.#scheduleAutoCommit();
  }

  /**
   * max.poll.interval.ms (300000), enforced here as Kafka's client does: if the application does not
   * call poll() within it, the member leaves the group without committing (its positions cannot be
   * trusted), so the others take its partitions; the next poll() joins again.
   */
  #schedulePollWatch(): void {
    if (this.#closed) return;
    const intervalMs = this.#options['max.poll.interval.ms'] ?? 300_000;
    const dueMs = this.#lastPollMs + intervalMs - this.#clock.nowMs();
    this.#pollWatch = this.#clock.setTimer(Math.max(0, dueMs), () => {
      if (this.#closed || this.#member === null) return;
      if (this.#clock.nowMs() - this.#lastPollMs >= intervalMs) {
        this.#leftForSlowPoll = true;
        this.#consumer.assign([]);
        void this.#member.leave({ revoke: false });
        return;
      }
      this.#schedulePollWatch();
    });
  }

  #scheduleAutoCommit(): void {
    if (this.#closed) return;
    this.#autoCommit = this.#clock.setTimer(this.#options['auto.commit.interval.ms'] ?? 5000, () => {
      void this.commit()
        .catch(() => undefined)
        .finally(() => this.#scheduleAutoCommit());
    });
  }

  #committed(partitions: ReadonlyArray<TopicPartition>): Map<string, number> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const response = this.#coordinator.fetchOffsets({
      groupId: this.#options.groupId,
      topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    });
    const committed = new Map<string, number>();
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        if (partition.committedOffset >= 0) committed.set(partitionKey(topic.name, partition.partitionIndex), partition.committedOffset);
      }
    }
    return committed;
  }

  /** Commit the current positions of every assigned partition (just past the records poll() handed out). */
  async commit(): Promise<void> {
    const member = this.#member;
    if (member === null || member.memberId === '') return;
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: number }>>();
    for (const { topic, partition } of this.#consumer.assignment()) {
      const position = this.#consumer.position(topic, partition);
      if (position === null) continue;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex: partition, committedOffset: position }]);
    }
    if (byTopic.size === 0) return;
    const response = await this.#coordinator.commitOffsets({
      groupId: this.#options.groupId,
      generationId: member.generationId,
      memberId: member.memberId,
      groupInstanceId: null,
      topics: [...byTopic].map(([name, partitions]) => ({
        name,
        partitions: partitions.map((entry) => ({ ...entry, committedLeaderEpoch: -1, committedMetadata: null })),
      })),
    });
    const failed = response.topics.flatMap((topic) => topic.partitions.filter((partition) => partition.errorCode !== 'NONE'));
    if (failed.length > 0) {
      throw new EngineError('REBALANCE_IN_PROGRESS', `offset commit refused: ${failed.map((entry) => entry.errorCode).join(', ')}`, {
        retriable: true,
      });
    }
  }

  async poll(): Promise<FetchedBatch[]> {
    this.#lastPollMs = this.#clock.nowMs();
    if (this.#leftForSlowPoll && this.#member !== null) {
      this.#leftForSlowPoll = false;
      await this.#member.rejoin();
      this.#schedulePollWatch();
    }
    return this.#consumer.poll();
  }

  async *batches(): AsyncGenerator<FetchedBatch> {
    while (!this.#closed) {
      for (const batch of await this.poll()) yield batch;
    }
  }

  /** Stop without leaving the group (as a crashed process would): the session timeout evicts it. */
  abandon(): void {
    this.#closed = true;
    this.#autoCommit?.cancel();
    this.#pollWatch?.cancel();
    this.#member?.abandon();
    void this.#consumer.close();
  }

  /** Commit, leave the group (so the others rebalance at once), and stop. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#autoCommit?.cancel();
    this.#pollWatch?.cancel();
    await this.#member?.leave();
    await this.#consumer.close();
  }
}

function flatten(partitions: readonly TopicPartitions[]): TopicPartition[] {
  return partitions.flatMap((entry) => entry.partitions.map((partition) => ({ topic: entry.topic, partition })));
}
