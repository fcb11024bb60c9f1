import { assert } from '../core/assert.js';
import type { TimerHandle } from '../core/clock.js';
import type { JoinGroupProtocol, JoinGroupResponse, JoinGroupResponseMember, SyncGroupResponse } from './group-messages.js';

/**
 * The records of one classic consumer group and its members, and the pure rules over them
 * (state transitions, protocol vote, leader choice), after Kafka's GroupMetadata and
 * MemberMetadata. The GroupCoordinator owns every Group and is the only writer; nothing here
 * touches time or I/O (timer handles are only stored, never created).
 *
 * States and their only legal predecessors (Kafka's GroupState.validPreviousStates):
 *
 *   Empty                <- PreparingRebalance   no members; may still have committed offsets
 *   PreparingRebalance   <- Empty, CompletingRebalance, Stable
 *                           JoinGroups are held until every known member rejoined (or timeout)
 *   CompletingRebalance  <- PreparingRebalance   a generation formed; waiting for the leader's SyncGroup
 *   Stable               <- CompletingRebalance  assignments handed out; heartbeats keep members
 *   Dead                 <- any                  deleted or dropped; the record is no longer served
 *
 * Invariants:
 * - `leaderId` is a key of `members`, or null exactly when `members` is empty.
 * - `staticMembers` maps each group.instance.id to the member id currently holding it.
 * - Pending members (KIP-394 ids handed out with MEMBER_ID_REQUIRED) are not members.
 */

export const GROUP_STATES = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'] as const;
export type GroupStateName = (typeof GROUP_STATES)[number];

const VALID_PREVIOUS_STATES: Readonly<Record<GroupStateName, ReadonlyArray<GroupStateName>>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export type JoinWaiter = (response: JoinGroupResponse) => void;
export type SyncWaiter = (response: SyncGroupResponse) => void;

export interface GroupMemberInit {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: ReadonlyArray<JoinGroupProtocol>;
}

export class GroupMember {
  /** Changes only when a static member is replaced by a restarted instance. */
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: ReadonlyArray<JoinGroupProtocol>;
  assignment: Buffer = EMPTY_BYTES;
  /** Joined but not yet part of a generation: its JoinGroup has its own expiry. */
  isNew = false;
  /** The held JoinGroup of this member, if any. */
  joinWaiter: JoinWaiter | null = null;
  /** The held SyncGroup of this member, if any. */
  syncWaiter: SyncWaiter | null = null;
  sessionTimer: TimerHandle | null = null;

  constructor(init: GroupMemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.protocolType = init.protocolType;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocols = init.protocols;
  }

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiter !== null;
  }

  supports(protocolName: string): boolean {
    return this.protocols.some((protocol) => protocol.name === protocolName);
  }

  metadataFor(protocolName: string): Buffer {
    const protocol = this.protocols.find((candidate) => candidate.name === protocolName);
    assert(protocol !== undefined, `member ${this.memberId} does not support ${protocolName}`);
    return protocol.metadata;
  }

  /** Same protocols, same order, same metadata bytes: a rejoin that changes nothing. */
  matches(protocols: ReadonlyArray<JoinGroupProtocol>): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((protocol, index) => {
      const own = this.protocols[index];
      return own !== undefined && own.name === protocol.name && own.metadata.equals(protocol.metadata);
    });
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((protocol) => candidates.has(protocol.name));
    assert(choice !== undefined, `member ${this.memberId} has no candidate protocol`);
    return choice.name;
  }
}

export class Group {
  readonly groupId: string;
  #state: GroupStateName = 'Empty';
  stateChangedMs: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order (Map insertion order); the order of the leader's member list. */
  readonly members = new Map<string, GroupMember>();
  /** KIP-394 member ids handed out and not yet used, each with its expiry timer. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial delay: extend it once more (Kafka's InitialDelayedJoin). */
  newMemberAdded = false;
  /** The timer that ends PreparingRebalance (initial delay or rebalance timeout). */
  rebalanceTimer: TimerHandle | null = null;
  /** True while `rebalanceTimer` is an initial delay, which only its timer can complete. */
  rebalanceDelayIsInitial = false;
  /** The timer that drops members which never sent SyncGroup. */
  syncTimer: TimerHandle | null = null;

  constructor(groupId: string, nowMs: number) {
    this.groupId = groupId;
    this.stateChangedMs = nowMs;
  }

  get state(): GroupStateName {
    return this.#state;
  }

  is(state: GroupStateName): boolean {
    return this.#state === state;
  }

  transitionTo(state: GroupStateName, nowMs: number): void {
    assert(VALID_PREVIOUS_STATES[state].includes(this.#state), `group ${this.groupId}: ${this.#state} -> ${state}`);
    this.#state = state;
    this.stateChangedMs = nowMs;
  }

  canRebalance(): boolean {
    return this.#state === 'Stable' || this.#state === 'CompletingRebalance' || this.#state === 'Empty';
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: GroupMember): void {
    assert(!this.members.has(member.memberId), `member ${member.memberId} joined twice`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, 'member protocol type differs from the group');
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  /** Drops the record only; the caller answers the member's held requests and cancels its timer. */
  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (member === undefined) return undefined;
    this.members.delete(memberId);
    const instanceId = member.groupInstanceId;
    if (instanceId !== null && this.staticMembers.get(instanceId) === memberId) this.staticMembers.delete(instanceId);
    this.pendingSyncMembers.delete(memberId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** A restarted static instance takes over the record (and leadership) of its old member id. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId);
    assert(member !== undefined, `static member ${groupInstanceId} has no record`);
    assert(member.groupInstanceId === groupInstanceId, 'static member record has another instance id');
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    return member;
  }

  /**
   * Kafka's validateCurrentMember: with an instance id, it must map to this member id (else the
   * caller is a fenced older instance); without one, the member id must be known.
   */
  validateMember(memberId: string, groupInstanceId: string | null): 'UNKNOWN_MEMBER_ID' | 'FENCED_INSTANCE_ID' | null {
    if (groupInstanceId !== null) {
      const currentId = this.staticMembers.get(groupInstanceId);
      if (currentId === undefined) return 'UNKNOWN_MEMBER_ID';
      return currentId === memberId ? null : 'FENCED_INSTANCE_ID';
    }
    return this.members.has(memberId) ? null : 'UNKNOWN_MEMBER_ID';
  }

  awaitingJoinCount(): number {
    let count = 0;
    for (const member of this.members.values()) if (member.isAwaitingJoin) count++;
    return count;
  }

  hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount() === this.members.size && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): GroupMember[] {
    return [...this.members.values()].filter((member) => !member.isAwaitingJoin);
  }

  /** The longest rebalance timeout any member asked for bounds PreparingRebalance. */
  rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  /**
   * Kafka's supportsProtocols: an empty group takes any non-empty protocol list; otherwise the
   * protocol type must match and one of the joiner's protocols must be supported by every other
   * member (the joiner's own previous protocols do not count).
   */
  supportsProtocols(protocolType: string, protocols: ReadonlyArray<JoinGroupProtocol>, joiningMemberId: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.is('Empty')) return true;
    if (this.protocolType !== protocolType) return false;
    const others = [...this.members.values()].filter((member) => member.memberId !== joiningMemberId);
    return protocols.some((protocol) => others.every((member) => member.supports(protocol.name)));
  }

  candidateProtocols(): Set<string> {
    const [first, ...rest] = this.members.values();
    assert(first !== undefined, 'no candidate protocols in an empty group');
    return new Set(first.protocols.map((protocol) => protocol.name).filter((name) => rest.every((member) => member.supports(name))));
  }

  /**
   * Kafka's vote: every member votes for its most preferred protocol that all members support;
   * the most votes wins. Kafka breaks ties arbitrarily; Brook takes the leader's preference.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert(candidates.size > 0, `group ${this.groupId} has no protocol in common`);
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    assert(leader !== undefined, `group ${this.groupId} has members but no leader`);
    let selected: string | null = null;
    let selectedVotes = -1;
    for (const protocol of leader.protocols) {
      const count = votes.get(protocol.name) ?? -1;
      if (count > selectedVotes) {
        selected = protocol.name;
        selectedVotes = count;
      }
    }
    assert(selected !== null && selectedVotes > 0, 'the vote chose nothing');
    return selected;
  }

  /** If the leader did not rejoin, any member that did becomes leader; false if none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin === true) return true;
    for (const member of this.members.values()) {
      if (member.isAwaitingJoin) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  /** Starts the next generation: CompletingRebalance with a chosen protocol, or Empty. */
  initNextGeneration(nowMs: number): void {
    assert(this.is('PreparingRebalance'), `group ${this.groupId} starts a generation from ${this.state}`);
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** The leader's member list: every member with its metadata for the chosen protocol. */
  currentMemberMetadata(): JoinGroupResponseMember[] {
    const protocolName = this.protocolName;
    assert(protocolName !== null, `group ${this.groupId} has no protocol`);
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadataFor(protocolName),
    }));
  }
}
