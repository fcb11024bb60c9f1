import type { Clock, TimerHandle } from '../core/clock.js';
import { EngineError } from '../core/errors.js';
import type { AssignorMember } from './assignor-model.js';
import { assignorFor } from './assignors.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.js';
import type { GroupCoordinator } from './coordinator.js';

/**
 * The client half of Kafka's classic group protocol for an embedded consumer: JoinGroup (with the
 * MEMBER_ID_REQUIRED round trip), the leader's assignment with a Kafka assignor, SyncGroup, then
 * heartbeats every heartbeat.interval.ms. A heartbeat answered REBALANCE_IN_PROGRESS (or a stale
 * generation) starts a rejoin.
 *
 * Two rebalance protocols, as Kafka's consumer has them (KIP-429):
 * - eager (range, roundrobin, sticky): everything owned is revoked (committed, dropped) before
 *   rejoining, and the new assignment is taken whole after SyncGroup;
 * - cooperative (when every configured assignor is cooperative-sticky): the member keeps reading
 *   what it owns while the group rebalances, and after SyncGroup revokes only the partitions that
 *   are no longer its own; if it revoked any, it joins again at once, so the leader can hand them
 *   to their new owners (the assignor withholds a partition until its old owner has let it go).
 *
 * It builds exactly the request objects a network client's requests decode to, and calls the
 * coordinator's public methods: there is no private path.
 */
export interface GroupMemberOptions {
  readonly coordinator: GroupCoordinator;
  readonly clock: Clock;
  readonly groupId: string;
  readonly clientId: string;
  readonly topics: readonly string[];
  readonly partitionCount: (topic: string) => number;
  /** Kafka's partition.assignment.strategy, in preference order. */
  readonly assignors?: readonly string[];
  readonly sessionTimeoutMs?: number;
  /** max.poll.interval.ms, sent as the rebalance timeout. */
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Called before partitions are given up (commit their offsets here). */
  readonly onRevoke: (partitions: TopicPartitions[]) => Promise<void>;
  readonly onAssign: (partitions: TopicPartitions[], generationId: number) => void;
}

const SUBSCRIPTION_VERSION = 1;
const ASSIGNMENT_VERSION = 1;
const REJOINS_MAX = 50;
/** Assignors that support the cooperative protocol (Kafka: RebalanceProtocol.COOPERATIVE). */
const COOPERATIVE_ASSIGNORS = new Set(['cooperative-sticky']);

export class GroupMember {
  readonly #options: GroupMemberOptions;
  readonly #assignors: readonly string[];
  readonly #cooperative: boolean;
  #memberId = '';
  #generationId = -1;
  #owned: TopicPartitions[] = [];
  #heartbeat: TimerHandle | null = null;
  #rejoining: Promise<void> | null = null;
  #stopped = false;

  constructor(options: GroupMemberOptions) {
    this.#options = options;
    this.#assignors = options.assignors ?? ['range'];
    this.#cooperative = this.#assignors.length > 0 && this.#assignors.every((name) => COOPERATIVE_ASSIGNORS.has(name));
    for (const name of this.#assignors) {
      if (assignorFor(name) === undefined) {
        throw new EngineError('CONFIG_INVALID', `partition.assignment.strategy "${name}" is unknown: use range, roundrobin, sticky or cooperative-sticky`);
      }
    }
  }

  get memberId(): string {
    return this.#memberId;
  }

  get generationId(): number {
    return this.#generationId;
  }

  /** True when this member rebalances cooperatively (it keeps its partitions while the group rebalances). */
  get cooperative(): boolean {
    return this.#cooperative;
  }

  /** After leave(): join again as a new member. */
  rejoin(): Promise<void> {
    this.#stopped = false;
    this.#memberId = '';
    this.#generationId = -1;
    return this.join();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Join (or rejoin) the group; resolves once this member has its assignment. */
  join(): Promise<void> {
    this.#rejoining ??= this.#joinLoop().finally(() => {
      this.#rejoining = null;
    });
    return this.#rejoining;
  }

  async #joinLoop(): Promise<void> {
    this.#heartbeat?.cancel();
    if (this.#owned.length > 0 && !this.#cooperative) {
      // Eager protocol: give everything up before rejoining, committing first.
      const revoked = this.#owned;
      this.#owned = [];
      await this.#options.onRevoke(revoked);
    }
    const coordinator = this.#options.coordinator;
    for (let attempt = 0; attempt < REJOINS_MAX && !this.#stopped; attempt++) {
      const joined = await coordinator.joinGroup({
        groupId: this.#options.groupId,
        sessionTimeoutMs: this.#options.sessionTimeoutMs ?? 45_000,
        rebalanceTimeoutMs: this.#options.rebalanceTimeoutMs ?? 300_000,
        memberId: this.#memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: this.#assignors.map((name) => ({
          name,
          metadata: encodeSubscription({
            version: SUBSCRIPTION_VERSION,
            topics: this.#options.topics,
            ownedPartitions: this.#owned,
          }),
        })),
        requireKnownMemberId: true,
        clientId: this.#options.clientId,
        clientHost: 'embedded',
      });
      if (joined.errorCode === 'MEMBER_ID_REQUIRED') {
        this.#memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode === 'UNKNOWN_MEMBER_ID') {
        this.#memberId = '';
        continue;
      }
      if (joined.errorCode === 'REBALANCE_IN_PROGRESS') continue;
      if (joined.errorCode !== 'NONE') {
        throw new EngineError('COORDINATOR_NOT_AVAILABLE', `joining group ${this.#options.groupId} failed: ${joined.errorCode}`);
      }
      this.#memberId = joined.memberId;
      this.#generationId = joined.generationId;
      const assignments = joined.leader === joined.memberId ? this.#assign(joined.protocolName ?? '', joined.members) : [];
      const synced = await coordinator.syncGroup({
        groupId: this.#options.groupId,
        generationId: joined.generationId,
        memberId: joined.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: joined.protocolName,
        assignments,
      });
      if (synced.errorCode === 'UNKNOWN_MEMBER_ID') this.#memberId = '';
      if (synced.errorCode !== 'NONE') continue;
      const assignment = synced.assignment.length === 0 ? [] : decodeAssignment(synced.assignment).assignedPartitions;
      const assigned = assignment.map((entry) => ({ topic: entry.topic, partitions: [...entry.partitions] }));
      // Cooperative: what was owned and is not assigned any more goes now (eager revoked it all already).
      const revoked = minus(this.#owned, assigned);
      this.#owned = assigned;
      if (revoked.length > 0) await this.#options.onRevoke(revoked);
      this.#options.onAssign(this.#owned, this.#generationId);
      if (revoked.length > 0 && !this.#stopped) continue; // KIP-429: rejoin so the revoked partitions move
      this.#scheduleHeartbeat();
      return;
    }
    if (!this.#stopped) {
      throw new EngineError('COORDINATOR_NOT_AVAILABLE', `group ${this.#options.groupId}: no stable generation after ${REJOINS_MAX} attempts`);
    }
  }

  /** The leader's job: run the chosen assignor over every member's subscription. */
  #assign(protocolName: string, members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>) {
    const assignor = assignorFor(protocolName);
    if (assignor === undefined) throw new EngineError('INCONSISTENT_GROUP_PROTOCOL', `assignor "${protocolName}" is unknown`);
    const subscribers: AssignorMember[] = members.map((member) => {
      const subscription = decodeSubscription(member.metadata);
      return {
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        subscription: {
          topics: subscription.topics,
          ownedPartitions: subscription.ownedPartitions,
          generationId: subscription.generationId,
          userData: subscription.userData,
        },
      };
    });
    const topics = new Set(subscribers.flatMap((member) => member.subscription.topics));
    const partitions = new Map<string, number>();
    for (const topic of topics) {
      try {
        partitions.set(topic, this.#options.partitionCount(topic));
      } catch {
        // A subscribed topic that does not exist yet gets no partitions.
      }
    }
    const result = assignor.assign(subscribers, partitions);
    return subscribers.map((member) => ({
      memberId: member.memberId,
      assignment: encodeAssignment({ version: ASSIGNMENT_VERSION, assignedPartitions: result.get(member.memberId) ?? [] }),
    }));
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat?.cancel();
    if (this.#stopped) return;
    // Heartbeats keep the process alive while the member is in the group, as a running client does.
    this.#heartbeat = this.#options.clock.setTimer(this.#options.heartbeatIntervalMs ?? 3000, () => this.#beat(), { keepAlive: true });
  }

  #beat(): void {
    if (this.#stopped || this.#rejoining !== null) return;
    const response = this.#options.coordinator.heartbeat({
      groupId: this.#options.groupId,
      generationId: this.#generationId,
      memberId: this.#memberId,
      groupInstanceId: null,
    });
    if (response.errorCode === 'NONE') {
      this.#scheduleHeartbeat();
      return;
    }
    if (response.errorCode === 'UNKNOWN_MEMBER_ID' || response.errorCode === 'FENCED_INSTANCE_ID') this.#memberId = '';
    void this.join().catch(() => undefined);
  }

  /** Stop heartbeating without leaving: the coordinator notices after the session timeout. */
  abandon(): void {
    this.#stopped = true;
    this.#heartbeat?.cancel();
  }

  /**
   * Leave the group, so the others rebalance at once. `revoke: false` skips the revoke callback
   * (no commit): used when the application stopped polling and its positions cannot be trusted.
   */
  async leave(options: { revoke?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#heartbeat?.cancel();
    if (this.#owned.length > 0 && options.revoke !== false) await this.#options.onRevoke(this.#owned);
    this.#owned = [];
    if (this.#memberId !== '') {
      this.#options.coordinator.leaveGroup({
        groupId: this.#options.groupId,
        members: [{ memberId: this.#memberId, groupInstanceId: null }],
      });
    }
  }
}

/** Partitions in `owned` that are not in `assigned`, grouped by topic (empty topics left out). */
function minus(owned: ReadonlyArray<TopicPartitions>, assigned: ReadonlyArray<TopicPartitions>): TopicPartitions[] {
  const kept = new Map<string, Set<number>>();
  for (const entry of assigned) kept.set(entry.topic, new Set(entry.partitions));
  const revoked: TopicPartitions[] = [];
  for (const entry of owned) {
    const keep = kept.get(entry.topic);
    const gone = entry.partitions.filter((partition) => keep === undefined || !keep.has(partition));
    if (gone.length > 0) revoked.push({ topic: entry.topic, partitions: gone });
  }
  return revoked;
}
