import { randomUUID } from 'node:crypto';
import { AssertionError, assert, unreachable } from '../core/assert.js';
import type { Clock } from '../core/clock.js';
import {
  NEW_MEMBER_JOIN_TIMEOUT_MS,
  resolveGroupCoordinatorConfig,
  type GroupCoordinatorConfig,
  type GroupCoordinatorConfigInput,
} from './group-config.js';
import { outcome, type GroupErrorCode, type GroupResultCode } from './group-errors.js';
import type {
  DeletableGroupResult,
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DescribedGroup,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupProtocol,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupMember,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  SyncGroupAssignment,
  SyncGroupRequest,
  SyncGroupResponse,
} from './group-messages.js';
import { absentGroup, describedGroup, joinError, joinSuccess, syncError, syncSuccess } from './group-responses.js';
import { EMPTY_BYTES, Group, GroupMember, type JoinWaiter, type SyncWaiter } from './group-state.js';
import { commitToStore, fetchFromStore, refuseFetch, type OffsetCommitLimits } from './offset-requests.js';
import type { OffsetStore } from './offset-store.js';


/** Timers that complete a request someone awaits (a held JoinGroup or SyncGroup) keep the process alive. */
const KEEP_ALIVE = { keepAlive: true } as const;
/**
 * The classic (pre-KIP-848) consumer-group coordinator: one state machine per group, after
 * Kafka's GroupCoordinator.scala, driven by the embedded consumer and by the Kafka wire protocol
 * through the same request/response shapes (group-messages.ts). There is no other entry point.
 *
 * - JoinGroup and SyncGroup may be held: their promises resolve when the rebalance step they wait
 *   for completes. Everything else answers at once (OffsetCommit waits only for the store).
 * - Time comes only from the injected Clock: session timeouts, rebalance timeouts, the initial
 *   rebalance delay and the SyncGroup deadline are Clock timers, so tests drive them by hand.
 * - Held requests are bounded: at most one JoinGroup and one SyncGroup per member (a newer one
 *   answers the older with REBALANCE_IN_PROGRESS), members per group bounded by group.max.size,
 *   and close() answers every held request with COORDINATOR_NOT_AVAILABLE.
 * - max.poll.interval.ms is not enforced here: as in Kafka, the client leaves the group when
 *   poll() is late, and it sends the value as the JoinGroup rebalance timeout, which is how long
 *   the coordinator waits for each member to rejoin.
 * - Group membership is held in memory only; committed offsets go to the OffsetStore. After a
 *   restart, members get UNKNOWN_MEMBER_ID and rejoin, as after a coordinator move in Kafka.
 * - An Empty group with no committed offsets is dropped at once (Kafka drops it at its next
 *   offsets-retention check), which bounds the number of groups held.
 *
 * Single-threaded and not re-entrant: every method runs to completion on the event loop.
 */
export interface GroupCoordinatorOptions {
  readonly clock: Clock;
  readonly offsetStore: OffsetStore;
  readonly config?: GroupCoordinatorConfigInput;
  /** OffsetCommit answers UNKNOWN_TOPIC_OR_PARTITION where this says false (default: all exist). */
  readonly partitionExists?: (topic: string, partition: number) => boolean;
  /** Member ids, given the client id (or group.instance.id); default `${prefix}-${randomUUID()}`. */
  readonly generateMemberId?: (prefix: string) => string;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly #clock: Clock;
  readonly #store: OffsetStore;
  readonly #generateMemberId: (prefix: string) => string;
  readonly #commitLimits: OffsetCommitLimits;
  readonly #groups = new Map<string, Group>();
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    this.#clock = options.clock;
    this.#store = options.offsetStore;
    this.#commitLimits = {
      metadataBytesMax: this.config['offset.metadata.max.bytes'],
      partitionExists: options.partitionExists ?? (() => true),
    };
    this.#generateMemberId = options.generateMemberId ?? ((prefix) => `${prefix}-${randomUUID()}`);
  }

  // ---------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResponse> {
    return new Promise((respond) => this.#joinGroup(request, respond));
  }

  #joinGroup(request: JoinGroupRequest, respond: JoinWaiter): void {
    const refusal = this.#checkJoinRequest(request);
    if (refusal !== null) return respond(joinError(request.memberId, refusal));
    const isNewMember = request.memberId === '';
    let group = this.#groups.get(request.groupId);
    if (group === undefined) {
      if (!isNewMember) return respond(joinError(request.memberId, 'UNKNOWN_MEMBER_ID'));
      group = this.#createGroup(request.groupId);
    }
    if (!this.#acceptJoiningMember(group, request.memberId)) {
      const member = group.members.get(request.memberId);
      if (member !== undefined) this.#removeMemberAndUpdateGroup(group, member);
      respond(joinError('', 'GROUP_MAX_SIZE_REACHED'));
    } else if (isNewMember) {
      this.#joinNewMember(group, request, respond);
    } else {
      this.#joinCurrentMember(group, request, respond);
    }
    this.#tryCompleteJoin(group);
    this.#maybeDropGroup(group);
  }

  #checkJoinRequest(request: JoinGroupRequest): GroupErrorCode | null {
    if (this.#closed) return 'COORDINATOR_NOT_AVAILABLE';
    if (request.groupId === '') return 'INVALID_GROUP_ID';
    const sessionTimeoutMs = request.sessionTimeoutMs;
    const minMs = this.config['group.min.session.timeout.ms'];
    const maxMs = this.config['group.max.session.timeout.ms'];
    if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < minMs || sessionTimeoutMs > maxMs) {
      return 'INVALID_SESSION_TIMEOUT';
    }
    return null;
  }

  /** Kafka's acceptJoiningMember: counting awaiting members lets the last rejoiners be cut off. */
  #acceptJoiningMember(group: Group, memberId: string): boolean {
    const sizeMax = this.config['group.max.size'];
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return group.members.get(memberId)?.isAwaitingJoin === true || group.awaitingJoinCount() < sizeMax;
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.members.size < sizeMax;
      default:
        return unreachable(group.state);
    }
  }

  #joinNewMember(group: Group, request: JoinGroupRequest, respond: JoinWaiter): void {
    if (!group.supportsProtocols(request.protocolType, request.protocols, '')) {
      return respond(joinError('', 'INCONSISTENT_GROUP_PROTOCOL'));
    }
    const instanceId = request.groupInstanceId;
    const memberId = this.#generateMemberId(instanceId ?? request.clientId);
    assert(!group.members.has(memberId) && !group.pendingMembers.has(memberId), `member id ${memberId} reused`);
    if (instanceId !== null) return this.#joinStaticMember(group, instanceId, memberId, request, respond);
    if (!request.requireKnownMemberId) return this.#addMemberAndRebalance(group, memberId, request, respond);
    // KIP-394: hand out the id and wait (one session timeout) for the member to rejoin with it.
    if (group.pendingMembers.size >= this.config['group.max.size']) {
      return respond(joinError('', 'GROUP_MAX_SIZE_REACHED'));
    }
    const timer = this.#clock.setTimer(request.sessionTimeoutMs, () => this.#onPendingMemberExpired(group, memberId));
    group.pendingMembers.set(memberId, timer);
    respond(joinError(memberId, 'MEMBER_ID_REQUIRED'));
  }

  #joinCurrentMember(group: Group, request: JoinGroupRequest, respond: JoinWaiter): void {
    const memberId = request.memberId;
    if (!group.supportsProtocols(request.protocolType, request.protocols, memberId)) {
      return respond(joinError(memberId, 'INCONSISTENT_GROUP_PROTOCOL'));
    }
    const pendingTimer = request.groupInstanceId === null ? group.pendingMembers.get(memberId) : undefined;
    if (pendingTimer !== undefined) {
      pendingTimer.cancel();
      group.pendingMembers.delete(memberId);
      return this.#addMemberAndRebalance(group, memberId, request, respond);
    }
    const invalid = group.validateMember(memberId, request.groupInstanceId);
    if (invalid !== null) return respond(joinError(memberId, invalid));
    const member = group.members.get(memberId);
    assert(member !== undefined, `validated member ${memberId} has no record`);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, request, respond);
      case 'CompletingRebalance':
        // Same metadata: the member probably lost the JoinGroup response; answer it again.
        if (!member.matches(request.protocols)) return this.#updateMemberAndRebalance(group, member, request, respond);
        return respond(joinSuccess(group, memberId, group.isLeader(memberId) ? group.currentMemberMetadata() : []));
      case 'Stable':
        // A leader's JoinGroup always rebalances: it is how a leader reacts to metadata changes.
        if (group.isLeader(memberId) || !member.matches(request.protocols)) {
          return this.#updateMemberAndRebalance(group, member, request, respond);
        }
        return respond(joinSuccess(group, memberId, []));
      case 'Empty':
      case 'Dead':
        return respond(joinError(memberId, 'UNKNOWN_MEMBER_ID'));
      default:
        return unreachable(group.state);
    }
  }

  /**
   * KIP-345. A new instance id joins like a dynamic member (without MEMBER_ID_REQUIRED). A known
   * one is a restart: the new member id takes over the old record, the old id is fenced, and a
   * Stable group whose protocol would not change hands the member its old assignment with no
   * rebalance. Its JoinGroup then names the previous leader, so a restarted leader does not run
   * an assignment the Stable group would ignore (Kafka's pre-v9 behaviour; SkipAssignment unused).
   */
  #joinStaticMember(group: Group, instanceId: string, memberId: string, request: JoinGroupRequest, respond: JoinWaiter): void {
    const oldMemberId = group.staticMembers.get(instanceId);
    if (oldMemberId === undefined) return this.#addMemberAndRebalance(group, memberId, request, respond);
    const previousLeaderId = group.leaderId;
    const existing = group.members.get(oldMemberId);
    assert(existing !== undefined, `static member ${instanceId} has no record`);
    this.#answerHeldRequests(existing, 'FENCED_INSTANCE_ID');
    const member = group.replaceStaticMember(instanceId, oldMemberId, memberId);
    this.#updateMember(member, request);
    this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    member.joinWaiter = respond;
    switch (group.state) {
      case 'Stable':
        if (group.selectProtocol() !== group.protocolName) return this.#prepareRebalance(group);
        member.joinWaiter = null;
        return respond(joinSuccess(group, memberId, [], previousLeaderId));
      case 'CompletingRebalance':
        // The leader may be assigning to the old id: start over so the new id gets an assignment.
        return this.#prepareRebalance(group);
      case 'PreparingRebalance':
        return;
      default:
        // Empty and Dead groups have no members, so no static member to replace.
        throw new AssertionError(`group ${group.groupId} is ${group.state} but has static member ${instanceId}`);
    }
  }

  #addMemberAndRebalance(group: Group, memberId: string, request: JoinGroupRequest, respond: JoinWaiter): void {
    const member = new GroupMember({
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMsOf(request),
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: copyProtocols(request.protocols),
    });
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    member.joinWaiter = respond;
    // A new member cannot heartbeat until it has joined, so its held JoinGroup has its own limit.
    this.#scheduleSessionExpiry(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.#maybePrepareRebalance(group);
  }

  #updateMemberAndRebalance(group: Group, member: GroupMember, request: JoinGroupRequest, respond: JoinWaiter): void {
    this.#updateMember(member, request);
    member.joinWaiter?.(joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
    member.joinWaiter = respond;
    this.#maybePrepareRebalance(group);
  }

  #updateMember(member: GroupMember, request: JoinGroupRequest): void {
    member.protocols = copyProtocols(request.protocols);
    member.rebalanceTimeoutMs = rebalanceTimeoutMsOf(request);
    member.sessionTimeoutMs = request.sessionTimeoutMs;
  }

  // ---------------------------------------------------------------------------------------------
  // Rebalance: PreparingRebalance -> CompletingRebalance (or Empty)

  #maybePrepareRebalance(group: Group): void {
    if (group.canRebalance()) this.#prepareRebalance(group);
  }

  #prepareRebalance(group: Group): void {
    assert(group.canRebalance(), `group ${group.groupId} cannot rebalance from ${group.state}`);
    if (group.is('CompletingRebalance')) this.#resetAndPropagateAssignmentError(group, 'REBALANCE_IN_PROGRESS');
    this.#cancelSyncExpiry(group);
    const fromEmpty = group.is('Empty');
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    group.transitionTo('PreparingRebalance', this.#clock.nowMs());
    group.rebalanceTimer?.cancel();
    const initialDelayMs = this.config['group.initial.rebalance.delay.ms'];
    if (fromEmpty && initialDelayMs > 0) {
      group.newMemberAdded = false;
      this.#scheduleInitialDelay(group, initialDelayMs, Math.max(rebalanceTimeoutMs - initialDelayMs, 0));
      return;
    }
    group.rebalanceDelayIsInitial = false;
    group.rebalanceTimer = this.#clock.setTimer(rebalanceTimeoutMs, () => this.#onRebalanceTimeout(group), KEEP_ALIVE);
    this.#tryCompleteJoin(group);
  }

  /**
   * Kafka's InitialDelayedJoin: the first rebalance of an empty group waits the initial delay and,
   * while new members keep arriving (generation 0 only), up to one more delay at a time, never
   * past the rebalance timeout. Only the timer ends it, even if everyone has joined.
   */
  #scheduleInitialDelay(group: Group, delayMs: number, remainingMs: number): void {
    group.rebalanceDelayIsInitial = true;
    group.rebalanceTimer = this.#clock.setTimer(delayMs, () => {
      group.rebalanceTimer = null;
      if (!this.#isLive(group) || !group.is('PreparingRebalance')) return;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(this.config['group.initial.rebalance.delay.ms'], remainingMs);
        this.#scheduleInitialDelay(group, nextDelayMs, Math.max(remainingMs - delayMs, 0));
      } else {
        this.#completeJoin(group);
      }
    }, KEEP_ALIVE);
  }

  #onRebalanceTimeout(group: Group): void {
    group.rebalanceTimer = null;
    if (this.#isLive(group) && group.is('PreparingRebalance')) this.#completeJoin(group);
    if (this.#isLive(group)) this.#maybeDropGroup(group);
  }

  #tryCompleteJoin(group: Group): void {
    if (!this.#isLive(group) || !group.is('PreparingRebalance') || group.rebalanceDelayIsInitial) return;
    if (group.hasAllMembersJoined()) this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    assert(group.is('PreparingRebalance'), `group ${group.groupId} completes a join from ${group.state}`);
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
    group.rebalanceDelayIsInitial = false;
    // Dynamic members that did not rejoin in time leave; static ones keep their place.
    for (const member of group.notYetRejoinedMembers()) {
      if (member.groupInstanceId === null) this.#removeMember(group, member, 'UNKNOWN_MEMBER_ID');
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that did not rejoin remain: wait again (their sessions may expire).
      group.rebalanceTimer = this.#clock.setTimer(group.rebalanceTimeoutMs(), () => this.#onRebalanceTimeout(group), KEEP_ALIVE);
      return;
    }
    group.initNextGeneration(this.#clock.nowMs());
    if (group.is('Empty')) return this.#maybeDropGroup(group);
    const leaderMembers = group.currentMemberMetadata();
    for (const member of group.members.values()) {
      const waiter = member.joinWaiter;
      member.joinWaiter = null;
      waiter?.(joinSuccess(group, member.memberId, group.isLeader(member.memberId) ? leaderMembers : []));
      this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.#scheduleSyncExpiry(group);
  }

  // ---------------------------------------------------------------------------------------------
  // SyncGroup: CompletingRebalance -> Stable

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    return new Promise((respond) => this.#syncGroup(request, respond));
  }

  #syncGroup(request: SyncGroupRequest, respond: SyncWaiter): void {
    if (this.#closed) return respond(syncError('COORDINATOR_NOT_AVAILABLE'));
    if (request.groupId === '') return respond(syncError('INVALID_GROUP_ID'));
    const group = this.#groups.get(request.groupId);
    if (group === undefined) return respond(syncError('UNKNOWN_MEMBER_ID'));
    const invalid = group.validateMember(request.memberId, request.groupInstanceId) ?? this.#checkSyncProtocol(group, request);
    if (invalid !== null) return respond(syncError(invalid));
    const member = group.members.get(request.memberId);
    assert(member !== undefined, `validated member ${request.memberId} has no record`);
    switch (group.state) {
      case 'Empty':
        return respond(syncError('UNKNOWN_MEMBER_ID'));
      case 'Dead':
        return respond(syncError('COORDINATOR_NOT_AVAILABLE'));
      case 'PreparingRebalance':
        return respond(syncError('REBALANCE_IN_PROGRESS'));
      case 'CompletingRebalance':
        member.syncWaiter?.(syncError('REBALANCE_IN_PROGRESS'));
        member.syncWaiter = respond;
        this.#removePendingSyncMember(group, member.memberId);
        if (group.isLeader(member.memberId)) this.#completeSync(group, request.assignments);
        return;
      case 'Stable':
        this.#removePendingSyncMember(group, member.memberId);
        respond(syncSuccess(group, member.assignment));
        return this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
      default:
        return unreachable(group.state);
    }
  }

  #checkSyncProtocol(group: Group, request: SyncGroupRequest): GroupErrorCode | null {
    if (request.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    if (request.protocolType !== null && request.protocolType !== group.protocolType) return 'INCONSISTENT_GROUP_PROTOCOL';
    if (request.protocolName !== null && request.protocolName !== group.protocolName) return 'INCONSISTENT_GROUP_PROTOCOL';
    return null;
  }

  /** The leader's assignments go to every member (missing ones get empty bytes); Stable. */
  #completeSync(group: Group, assignments: ReadonlyArray<SyncGroupAssignment>): void {
    const byMember = new Map(assignments.map((entry) => [entry.memberId, entry.assignment]));
    for (const member of group.members.values()) {
      const assignment = byMember.get(member.memberId);
      member.assignment = assignment === undefined ? EMPTY_BYTES : Buffer.from(assignment);
    }
    group.transitionTo('Stable', this.#clock.nowMs());
    for (const member of group.members.values()) {
      const waiter = member.syncWaiter;
      if (waiter === null) continue;
      member.syncWaiter = null;
      waiter(syncSuccess(group, member.assignment));
      this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    }
  }

  #resetAndPropagateAssignmentError(group: Group, code: GroupErrorCode): void {
    assert(group.is('CompletingRebalance'), `group ${group.groupId} resets assignments in ${group.state}`);
    for (const member of group.members.values()) {
      member.assignment = EMPTY_BYTES;
      const waiter = member.syncWaiter;
      if (waiter === null) continue;
      member.syncWaiter = null;
      waiter(syncError(code));
      this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
    }
  }

  /** Members of a new generation that never send SyncGroup are dropped after the rebalance timeout. */
  #scheduleSyncExpiry(group: Group): void {
    this.#cancelSyncExpiry(group);
    const generationId = group.generationId;
    group.syncTimer = this.#clock.setTimer(group.rebalanceTimeoutMs(), () => {
      group.syncTimer = null;
      if (!this.#isLive(group) || group.generationId !== generationId || group.pendingSyncMembers.size === 0) return;
      if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
      for (const memberId of [...group.pendingSyncMembers]) {
        const member = group.members.get(memberId);
        if (member !== undefined) this.#removeMember(group, member, 'UNKNOWN_MEMBER_ID');
      }
      this.#prepareRebalance(group);
      this.#maybeDropGroup(group);
    }, KEEP_ALIVE);
  }

  #removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.#cancelSyncExpiry(group);
  }

  #cancelSyncExpiry(group: Group): void {
    group.syncTimer?.cancel();
    group.syncTimer = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeat, LeaveGroup and session expiry

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    if (this.#closed) return outcome('COORDINATOR_NOT_AVAILABLE');
    if (request.groupId === '') return outcome('INVALID_GROUP_ID');
    const group = this.#groups.get(request.groupId);
    if (group === undefined) return outcome('UNKNOWN_MEMBER_ID');
    const invalid = group.validateMember(request.memberId, request.groupInstanceId);
    if (invalid !== null) return outcome(invalid);
    if (request.generationId !== group.generationId) return outcome('ILLEGAL_GENERATION');
    const member = group.members.get(request.memberId);
    assert(member !== undefined, `validated member ${request.memberId} has no record`);
    switch (group.state) {
      case 'Empty':
        return outcome('UNKNOWN_MEMBER_ID');
      case 'Dead':
        return outcome('COORDINATOR_NOT_AVAILABLE');
      case 'CompletingRebalance':
      case 'Stable':
        this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
        return outcome('NONE');
      case 'PreparingRebalance':
        this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
        return outcome('REBALANCE_IN_PROGRESS');
      default:
        return unreachable(group.state);
    }
  }

  /** LeaveGroup v3+ (a batch); v0-2 are a batch of one. Each member gets its own outcome. */
  leaveGroup(request: LeaveGroupRequest): LeaveGroupResponse {
    if (this.#closed) return { ...outcome('COORDINATOR_NOT_AVAILABLE'), members: [] };
    if (request.groupId === '') return { ...outcome('INVALID_GROUP_ID'), members: [] };
    const group = this.#groups.get(request.groupId);
    const members = request.members.map((identity) => ({
      memberId: identity.memberId,
      groupInstanceId: identity.groupInstanceId,
      ...outcome(group === undefined ? 'UNKNOWN_MEMBER_ID' : this.#leave(group, identity)),
    }));
    if (group !== undefined) this.#maybeDropGroup(group);
    return { ...outcome('NONE'), members };
  }

  #leave(group: Group, identity: LeaveGroupMember): GroupResultCode {
    const { memberId, groupInstanceId } = identity;
    if (memberId === '') {
      // Administrative removal of a static member by its instance id alone.
      const currentId = groupInstanceId === null ? undefined : group.staticMembers.get(groupInstanceId);
      const member = currentId === undefined ? undefined : group.members.get(currentId);
      if (member === undefined) return 'UNKNOWN_MEMBER_ID';
      this.#removeMemberAndUpdateGroup(group, member);
      return 'NONE';
    }
    const pendingTimer = groupInstanceId === null ? group.pendingMembers.get(memberId) : undefined;
    if (pendingTimer !== undefined) {
      pendingTimer.cancel();
      group.pendingMembers.delete(memberId);
      this.#tryCompleteJoin(group);
      return 'NONE';
    }
    const invalid = group.validateMember(memberId, groupInstanceId);
    if (invalid !== null) return invalid;
    const member = group.members.get(memberId);
    assert(member !== undefined, `validated member ${memberId} has no record`);
    this.#removeMemberAndUpdateGroup(group, member);
    return 'NONE';
  }

  #scheduleSessionExpiry(group: Group, member: GroupMember, timeoutMs: number): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = this.#clock.setTimer(timeoutMs, () => {
      member.sessionTimer = null;
      this.#onSessionExpired(group, member);
    });
  }

  /**
   * A member whose JoinGroup or SyncGroup is held is answered by the rebalance (which re-arms its
   * session), so only an idle member, or a new one whose JoinGroup waited too long, is removed.
   */
  #onSessionExpired(group: Group, member: GroupMember): void {
    if (!this.#isLive(group) || group.members.get(member.memberId) !== member) return;
    const heldByRebalance = !member.isNew && (member.isAwaitingJoin || member.isAwaitingSync);
    if (heldByRebalance) return;
    this.#removeMemberAndUpdateGroup(group, member);
    this.#maybeDropGroup(group);
  }

  #onPendingMemberExpired(group: Group, memberId: string): void {
    if (!this.#isLive(group) || !group.pendingMembers.delete(memberId)) return;
    this.#tryCompleteJoin(group);
    this.#maybeDropGroup(group);
  }

  #removeMemberAndUpdateGroup(group: Group, member: GroupMember): void {
    this.#removeMember(group, member, 'UNKNOWN_MEMBER_ID');
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.#prepareRebalance(group);
      case 'PreparingRebalance':
        return this.#tryCompleteJoin(group);
      case 'Empty':
      case 'Dead':
        return;
      default:
        return unreachable(group.state);
    }
  }

  /** Drops the member's record and timer and answers its held requests with `code`. */
  #removeMember(group: Group, member: GroupMember, code: GroupErrorCode): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = null;
    group.remove(member.memberId);
    this.#answerHeldRequests(member, code);
  }

  #answerHeldRequests(member: GroupMember, code: GroupErrorCode): void {
    const joinWaiter = member.joinWaiter;
    const syncWaiter = member.syncWaiter;
    member.joinWaiter = null;
    member.syncWaiter = null;
    // UNKNOWN_MEMBER_ID tells the client to forget its id; other codes leave the id with it.
    joinWaiter?.(joinError(code === 'UNKNOWN_MEMBER_ID' ? '' : member.memberId, code));
    syncWaiter?.(syncError(code));
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets

  /**
   * OffsetCommit. A member commits with its member id and current generation; a "simple" commit
   * (generation -1, member id '', no instance id) is accepted only while the group has no members,
   * and creates the group if needed. Refusals apply to every partition; then each partition is
   * checked on its own (unknown partition, metadata too long) and the rest go to the store.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    const refusal = this.#checkCommit(request);
    const response = await commitToStore(this.#store, request, refusal, this.#commitLimits, this.#clock.nowMs());
    const group = this.#groups.get(request.groupId);
    if (group !== undefined) this.#maybeDropGroup(group);
    return response;
  }

  #checkCommit(request: OffsetCommitRequest): GroupErrorCode | null {
    if (this.#closed) return 'COORDINATOR_NOT_AVAILABLE';
    let group = this.#groups.get(request.groupId);
    if (group === undefined) {
      // No group: only a commit that does not claim a generation may create one.
      if (request.generationId >= 0) return 'ILLEGAL_GENERATION';
      group = this.#createGroup(request.groupId);
    }
    const claimsMembership = request.generationId >= 0 || request.memberId !== '' || request.groupInstanceId !== null;
    if (claimsMembership) {
      const invalid = group.validateMember(request.memberId, request.groupInstanceId);
      if (invalid !== null) return invalid;
      if (request.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    } else if (!group.is('Empty')) {
      return 'UNKNOWN_MEMBER_ID';
    }
    switch (group.state) {
      case 'Empty':
        return null;
      case 'Stable':
      case 'PreparingRebalance': {
        // Allowed while preparing: the heartbeat tells the member about the rebalance.
        const member = group.members.get(request.memberId);
        assert(member !== undefined, `validated member ${request.memberId} has no record`);
        this.#scheduleSessionExpiry(group, member, member.sessionTimeoutMs);
        return null;
      }
      case 'CompletingRebalance':
        return 'REBALANCE_IN_PROGRESS';
      case 'Dead':
        return 'COORDINATOR_NOT_AVAILABLE';
      default:
        return unreachable(group.state);
    }
  }

  /** OffsetFetch answers from the store whatever the group's state (see offset-requests.ts). */
  fetchOffsets(request: OffsetFetchRequest): OffsetFetchResponse {
    return this.#closed ? refuseFetch(request, 'COORDINATOR_NOT_AVAILABLE') : fetchFromStore(this.#store, request);
  }

  // ---------------------------------------------------------------------------------------------
  // Administration: DescribeGroups, ListGroups, DeleteGroups

  describeGroups(request: DescribeGroupsRequest): DescribeGroupsResponse {
    return { groups: request.groups.map((groupId) => this.describeGroup(groupId)) };
  }

  /** An unknown group is Dead (Kafka's answer), or Empty if the store holds offsets for it. */
  describeGroup(groupId: string): DescribedGroup {
    if (this.#closed) return absentGroup(groupId, 'Dead', 'COORDINATOR_NOT_AVAILABLE');
    const group = this.#groups.get(groupId);
    if (group !== undefined) return describedGroup(group);
    return absentGroup(groupId, this.#store.fetch(groupId).length > 0 ? 'Empty' : 'Dead');
  }

  /**
   * `statesFilter` (ListGroups v4+) matches state names case-insensitively; empty keeps all.
   * Groups known only by committed offsets (e.g. after a restart) are listed as Empty, as Kafka does.
   */
  listGroups(request: ListGroupsRequest = { statesFilter: [] }): ListGroupsResponse {
    if (this.#closed) return { ...outcome('COORDINATOR_NOT_AVAILABLE'), groups: [] };
    const states = new Set(request.statesFilter.map((state) => state.toLowerCase()));
    const live = [...this.#groups.values()].map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state }));
    const stored = (this.#store.groups?.() ?? [])
      .filter((groupId) => !this.#groups.has(groupId) && this.#store.fetch(groupId).length > 0)
      .map((groupId) => ({ groupId, protocolType: '', groupState: 'Empty' as const }));
    const groups = [...live, ...stored]
      .filter((group) => states.size === 0 || states.has(group.groupState.toLowerCase()))
      .map((group) => ({ ...group, groupType: 'classic' as const }));
    return { ...outcome('NONE'), groups };
  }

  /** DeleteGroups: only a group without members can go; its offsets are deleted from the store. */
  async deleteGroups(request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    const results: DeletableGroupResult[] = [];
    for (const groupId of request.groupsNames) results.push({ groupId, ...outcome(await this.#deleteGroup(groupId)) });
    return { results };
  }

  async #deleteGroup(groupId: string): Promise<GroupResultCode> {
    if (this.#closed) return 'COORDINATOR_NOT_AVAILABLE';
    const group = this.#groups.get(groupId);
    if (group === undefined) {
      if (this.#store.fetch(groupId).length === 0) return 'GROUP_ID_NOT_FOUND';
    } else if (!group.is('Empty')) {
      return 'NON_EMPTY_GROUP';
    } else {
      this.#dropGroup(group);
    }
    try {
      await this.#store.deleteGroup?.(groupId);
    } catch {
      return 'COORDINATOR_NOT_AVAILABLE';
    }
    return 'NONE';
  }

  /** Stops every timer and answers every held JoinGroup and SyncGroup with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const group of this.#groups.values()) {
      for (const member of group.members.values()) {
        member.sessionTimer?.cancel();
        member.sessionTimer = null;
        this.#answerHeldRequests(member, 'COORDINATOR_NOT_AVAILABLE');
      }
      this.#stopGroupTimers(group);
      group.transitionTo('Dead', this.#clock.nowMs());
    }
    this.#groups.clear();
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---------------------------------------------------------------------------------------------
  // Group records

  #createGroup(groupId: string): Group {
    assert(!this.#groups.has(groupId), `group ${groupId} exists`);
    const group = new Group(groupId, this.#clock.nowMs());
    this.#groups.set(groupId, group);
    return group;
  }

  #isLive(group: Group): boolean {
    return !this.#closed && this.#groups.get(group.groupId) === group;
  }

  /** An Empty group with no members, no pending ids and no committed offsets is forgotten. */
  #maybeDropGroup(group: Group): void {
    if (!this.#isLive(group) || !group.is('Empty')) return;
    if (group.members.size > 0 || group.pendingMembers.size > 0) return;
    if (this.#store.fetch(group.groupId).length > 0) return;
    this.#dropGroup(group);
  }

  #dropGroup(group: Group): void {
    assert(group.is('Empty') && group.members.size === 0, `group ${group.groupId} dropped with members`);
    this.#stopGroupTimers(group);
    group.transitionTo('Dead', this.#clock.nowMs());
    this.#groups.delete(group.groupId);
  }

  #stopGroupTimers(group: Group): void {
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
    this.#cancelSyncExpiry(group);
    for (const timer of group.pendingMembers.values()) timer.cancel();
    group.pendingMembers.clear();
  }
}

/** JoinGroup v0 has no rebalance timeout (-1): the session timeout stands in, as in Kafka. */
function rebalanceTimeoutMsOf(request: JoinGroupRequest): number {
  return request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs;
}

/** Metadata is copied: a wire decoder may hand out views of a buffer it reuses. */
function copyProtocols(protocols: ReadonlyArray<JoinGroupProtocol>): JoinGroupProtocol[] {
  return protocols.map((protocol) => ({ name: protocol.name, metadata: Buffer.from(protocol.metadata) }));
}
