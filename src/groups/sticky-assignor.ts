import { assert } from '../core/assert.js';
import { CorruptRecordError } from '../core/errors.js';
import {
  assertValidAssignment,
  checkAssignorInput,
  compareStrings,
  compareTopicPartitions,
  keyOf,
  partitionKey,
  sortedSubscribedTopics,
  toGroupAssignment,
  type AssignorMember,
  type GroupAssignment,
  type PartitionAssignor,
  type TopicPartition,
} from './assignor-model.js';
import type { TopicPartitions } from './consumer-protocol.js';
import { StructReader, StructWriter } from './kafka-struct.js';

/**
 * Kafka's sticky assignors (AbstractStickyAssignor): `sticky` (eager) and `cooperative-sticky`
 * (KIP-429). Both aim for the same two guarantees, balance first and stickiness second:
 *
 * - Balance: no partition can move from a member A to a member B subscribed to its topic when A
 *   has two or more partitions more than B. When all members subscribe to the same topics this
 *   means every member holds ⌊P/C⌋ or ⌈P/C⌉ partitions.
 * - Stickiness: a member keeps the partitions it owned in the previous generation, as far as
 *   balance allows.
 *
 * Where ownership comes from (memberData in Kafka):
 * - `sticky`: only the StickyAssignor userData (previous assignment + generation, no version
 *   prefix; V1 with a generation, V0 without). The eager protocol revokes everything before
 *   rejoining, so the subscription's ownedPartitions are empty. No or unreadable userData means
 *   the member owns nothing.
 * - `cooperative-sticky`: the subscription's ownedPartitions; the generation from the
 *   subscription (v2+) when it is ≥ 0, otherwise from a 4-byte userData (Kafka's
 *   CooperativeStickyAssignor user data), otherwise -1.
 *
 * Claims are checked as in Kafka: an owned partition of a topic no longer in metadata (or beyond
 * the topic's partition count) is ignored; when two members claim one partition, the one with
 * the higher generation keeps it; with equal generations neither does, and the partition counts
 * as moving whoever gets it.
 *
 * Two algorithms, as in Kafka. When every member subscribes to the same topics ("constrained"),
 * this is Kafka's ConstrainedAssignmentBuilder step for step: each member keeps up to its quota of
 * owned partitions (sorted by partition, then topic), then the rest are dealt round robin to
 * members below quota, in member-id order. (Kafka visits members in HashMap order where Brook
 * uses member-id order, so when more members own ⌈P/C⌉ partitions than there are ⌈P/C⌉ slots,
 * which of them keep the extra one can differ.) Otherwise ("general") Brook uses its own simpler
 * algorithm with the same guarantees rather than Kafka's GeneralAssignmentBuilder: keep every
 * valid owned partition; give each free partition (fewest eligible members first) to the
 * eligible member with the fewest partitions; then, while some member has two or more partitions
 * more than an eligible member, move one of its partitions there, preferring partitions it did
 * not own before. Each move lowers the sum of squared assignment sizes, so the loop ends. The
 * result satisfies the balance guarantee above but is not always the assignment Kafka would pick.
 *
 * Cooperative rebalancing: `cooperative-sticky` then withholds every partition that changes
 * owner (Kafka's adjustAssignment). The previous owner is not assigned it and revokes it; the new
 * owner gets it only in the follow-up rebalance, which the revoking member triggers by rejoining
 * (client-side behaviour, not part of the assignor). So no partition is ever assigned to a member
 * while another member still claims it, unless the receiving member claims it too.
 *
 * Not implemented: rack-aware assignment; Kafka's exact general-case choices.
 */

export type StickyMode = 'eager' | 'cooperative';

export interface StickyAssignResult {
  /** The assignment handed to members (withheld partitions removed in cooperative mode). */
  readonly assignment: GroupAssignment;
  /** The balanced sticky assignment before any partition was withheld. */
  readonly balancedAssignment: GroupAssignment;
  /** Partitions changing owner, with the member that will get them after revocation. */
  readonly transferring: ReadonlyMap<string, TopicPartition & { readonly memberId: string }>;
  readonly algorithm: 'constrained' | 'general';
}

export const stickyAssignor: PartitionAssignor = {
  name: 'sticky',
  assign: (members, partitionsPerTopic) =>
    stickyAssign(members, partitionsPerTopic, 'eager').assignment,
};

export const cooperativeStickyAssignor: PartitionAssignor = {
  name: 'cooperative-sticky',
  assign: (members, partitionsPerTopic) =>
    stickyAssign(members, partitionsPerTopic, 'cooperative').assignment,
};

const DEFAULT_GENERATION = -1;

export function stickyAssign(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
  mode: StickyMode,
): StickyAssignResult {
  checkAssignorInput(members, partitionsPerTopic);
  const sorted = [...members].sort((left, right) => compareStrings(left.memberId, right.memberId));
  const topics = sortedSubscribedTopics(members, partitionsPerTopic);
  const context: StickyContext = {
    members: sorted,
    topics,
    partitionsPerTopic,
    allPartitions: allPartitionsOf(topics, partitionsPerTopic),
    memberData: new Map(sorted.map((member) => [member.memberId, memberData(member, mode)])),
  };
  const claims = resolveClaims(context);
  const constrained = allSubscriptionsEqual(sorted);
  const built = constrained ? constrainedAssign(context, claims) : generalAssign(context, claims);
  const transferring =
    built.transferring ?? partitionsTransferringOwnership(context, built.partitionsByMember);

  const balancedAssignment = toGroupAssignment(sorted, built.partitionsByMember);
  assertValidAssignment(sorted, partitionsPerTopic, balancedAssignment, true);
  if (mode === 'eager') {
    const assignment = balancedAssignment;
    return { assignment, balancedAssignment, transferring: new Map(), algorithm: built.algorithm };
  }
  const withheld = new Map<string, TopicPartition[]>();
  for (const [memberId, partitions] of built.partitionsByMember) {
    withheld.set(
      memberId,
      partitions.filter((entry) => !transferring.has(keyOf(entry))),
    );
  }
  const assignment = toGroupAssignment(sorted, withheld);
  assertValidAssignment(sorted, partitionsPerTopic, assignment, false);
  return { assignment, balancedAssignment, transferring, algorithm: built.algorithm };
}

// ---- StickyAssignor user data (eager `sticky`): no version prefix. ----

const STICKY_USER_DATA = 'StickyAssignorUserData';

export interface StickyAssignorUserData {
  readonly partitions: readonly TopicPartitions[];
  /** null when the bytes are the V0 layout, which has no generation. */
  readonly generation: number | null;
}

/** V1 layout: previous_assignment [] { topic string, partitions []int32 }, generation int32. */
export function encodeStickyAssignorUserData(
  partitions: readonly TopicPartitions[],
  generation: number,
): Buffer {
  const writer = new StructWriter(STICKY_USER_DATA, 64);
  writer.arrayLength(partitions.length, 'previousAssignment');
  for (const { topic, partitions: numbers } of partitions) {
    writer.string(topic, 'previousAssignment[].topic');
    writer.arrayLength(numbers.length, 'previousAssignment[].partitions');
    for (const partition of numbers) writer.int32(partition, 'previousAssignment[].partitions[]');
  }
  writer.int32(generation, 'generation');
  return writer.finish();
}

/** Reads V1, falling back to V0 as Kafka does; null when neither layout parses. */
export function decodeStickyAssignorUserData(bytes: Buffer): StickyAssignorUserData | null {
  for (const withGeneration of [true, false]) {
    try {
      const reader = new StructReader(bytes, STICKY_USER_DATA);
      const count = reader.arrayLength('previousAssignment', 6);
      const partitions: TopicPartitions[] = [];
      for (let index = 0; index < count; index++) {
        const topic = reader.string('previousAssignment[].topic');
        const numberCount = reader.arrayLength('previousAssignment[].partitions', 4);
        const numbers: number[] = [];
        for (let slot = 0; slot < numberCount; slot++) numbers.push(reader.int32('partitions[]'));
        partitions.push({ topic, partitions: numbers });
      }
      const generation = withGeneration ? reader.int32('generation') : null;
      return { partitions, generation };
    } catch (error) {
      // Try the older layout, then give up: Kafka ignores unreadable user data.
      if (!(error instanceof CorruptRecordError)) throw error;
    }
  }
  return null;
}

// ---- Shared preparation. ----

interface MemberData {
  readonly partitions: readonly TopicPartition[];
  readonly generation: number;
}

interface StickyContext {
  readonly members: readonly AssignorMember[];
  readonly topics: readonly string[];
  readonly partitionsPerTopic: ReadonlyMap<string, number>;
  /** Every partition of every subscribed topic, topic then partition ascending. */
  readonly allPartitions: readonly TopicPartition[];
  readonly memberData: ReadonlyMap<string, MemberData>;
}

interface Claims {
  /** Each member's valid owned partitions after claim conflicts are settled. */
  readonly owned: Map<string, TopicPartition[]>;
  /** Partitions claimed by two members of the same generation. */
  readonly contested: Set<string>;
}

interface BuiltAssignment {
  readonly partitionsByMember: Map<string, TopicPartition[]>;
  /** Tracked during the build (constrained); undefined means compute from ownership. */
  readonly transferring: Map<string, TopicPartition & { memberId: string }> | undefined;
  readonly algorithm: 'constrained' | 'general';
}

function memberData(member: AssignorMember, mode: StickyMode): MemberData {
  const subscription = member.subscription;
  if (mode === 'eager') {
    const userData = subscription.userData ?? null;
    const decoded = userData === null ? null : decodeStickyAssignorUserData(userData);
    if (decoded === null) return { partitions: [], generation: DEFAULT_GENERATION };
    const generation = decoded.generation ?? DEFAULT_GENERATION;
    return { partitions: flatten(decoded.partitions), generation };
  }
  const owned = flatten(subscription.ownedPartitions ?? []);
  const generationId = subscription.generationId ?? DEFAULT_GENERATION;
  if (generationId >= 0) return { partitions: owned, generation: generationId };
  const userData = subscription.userData ?? null;
  const readable = userData !== null && userData.length >= 4;
  const generation = readable ? userData.readInt32BE(0) : DEFAULT_GENERATION;
  return { partitions: owned, generation };
}

function flatten(entries: readonly TopicPartitions[]): TopicPartition[] {
  return entries.flatMap(({ topic, partitions }) =>
    partitions.map((partition) => ({ topic, partition })),
  );
}

function allPartitionsOf(
  topics: readonly string[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): TopicPartition[] {
  const partitions: TopicPartition[] = [];
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
  }
  return partitions;
}

function isValidPartition(context: StickyContext, { topic, partition }: TopicPartition): boolean {
  if (!context.topics.includes(topic)) return false;
  const count = context.partitionsPerTopic.get(topic) ?? 0;
  return Number.isInteger(partition) && partition >= 0 && partition < count;
}

/** Kafka's allSubscriptionsEqual claim handling, over members in member-id order. */
function resolveClaims(context: StickyContext): Claims {
  const owned = new Map<string, TopicPartition[]>();
  const contested = new Set<string>();
  const ownerOf = new Map<string, string>();
  for (const member of context.members) {
    const data = context.memberData.get(member.memberId)!;
    const mine: TopicPartition[] = [];
    owned.set(member.memberId, mine);
    const seen = new Set<string>();
    for (const claimed of data.partitions) {
      const key = partitionKey(claimed.topic, claimed.partition);
      if (!isValidPartition(context, claimed) || seen.has(key)) continue;
      seen.add(key);
      const other = ownerOf.get(key);
      if (other === undefined) {
        mine.push(claimed);
        ownerOf.set(key, member.memberId);
        continue;
      }
      const otherGeneration = context.memberData.get(other)!.generation;
      if (data.generation < otherGeneration) continue;
      if (data.generation === otherGeneration) contested.add(key);
      else mine.push(claimed);
      removePartition(owned.get(other)!, claimed);
      ownerOf.set(key, member.memberId);
    }
  }
  return { owned, contested };
}

/** Kafka sorts owned partitions this way before keeping a quota of them, to spread topics. */
function byPartitionThenTopic(left: TopicPartition, right: TopicPartition): number {
  return left.partition - right.partition || compareStrings(left.topic, right.topic);
}

function removePartition(list: TopicPartition[], target: TopicPartition): void {
  const index = list.findIndex(
    (entry) => entry.topic === target.topic && entry.partition === target.partition,
  );
  if (index >= 0) list.splice(index, 1);
}

/** True when every member lists exactly the same set of topics. */
function allSubscriptionsEqual(members: readonly AssignorMember[]): boolean {
  const first = members[0];
  if (first === undefined) return true;
  const topics = new Set(first.subscription.topics);
  return members.every((member) => {
    const other = new Set(member.subscription.topics);
    return other.size === topics.size && [...other].every((topic) => topics.has(topic));
  });
}

// ---- Constrained: all members subscribe to the same topics (Kafka's algorithm). ----

function constrainedAssign(context: StickyContext, claims: Claims): BuiltAssignment {
  const partitionsByMember = new Map<string, TopicPartition[]>(
    context.members.map((member) => [member.memberId, []]),
  );
  const transferring = new Map<string, TopicPartition & { memberId: string }>();
  const memberCount = context.members.length;
  if (memberCount === 0) return { partitionsByMember, transferring, algorithm: 'constrained' };

  const total = context.allPartitions.length;
  const quota: Quota = {
    min: Math.floor(total / memberCount),
    max: Math.ceil(total / memberCount),
    expectedOverMin: total % memberCount,
  };
  const kept = keepOwned(context, claims, quota, partitionsByMember);
  dealUnassigned(context, claims, quota, kept, partitionsByMember, transferring);
  for (const partitions of partitionsByMember.values()) {
    assert(
      partitions.length >= quota.min && partitions.length <= quota.max,
      `constrained sticky: ${partitions.length} partitions outside [${quota.min}, ${quota.max}]`,
    );
  }
  return { partitionsByMember, transferring, algorithm: 'constrained' };
}

interface Quota {
  readonly min: number;
  readonly max: number;
  /** How many members end with max (> min) partitions; 0 when min = max. */
  readonly expectedOverMin: number;
}

interface KeptOwned {
  readonly assigned: Set<string>;
  readonly revoked: Set<string>;
  /** Members still below the minimum quota, in member-id order. */
  readonly underMin: string[];
  /** Members at the minimum that may still take one more, in member-id order. */
  readonly exactlyMin: string[];
}

/** Step 1: each member keeps owned partitions up to its quota; the rest are revoked. */
function keepOwned(
  context: StickyContext,
  claims: Claims,
  quota: Quota,
  partitionsByMember: Map<string, TopicPartition[]>,
): KeptOwned {
  const assigned = new Set<string>();
  const revoked = new Set<string>();
  const underMin: string[] = [];
  let exactlyMin: string[] = [];
  let currentOverMin = 0;
  for (const member of context.members) {
    const owned = claims.owned
      .get(member.memberId)!
      .filter((entry) => !claims.contested.has(keyOf(entry)))
      .sort(byPartitionThenTopic);
    let keep: number;
    if (owned.length < quota.min) {
      keep = owned.length;
      underMin.push(member.memberId);
    } else if (owned.length >= quota.max && currentOverMin < quota.expectedOverMin) {
      keep = quota.max;
      currentOverMin++;
      if (currentOverMin === quota.expectedOverMin) exactlyMin = [];
    } else {
      keep = quota.min;
      if (currentOverMin < quota.expectedOverMin) exactlyMin.push(member.memberId);
    }
    const target = partitionsByMember.get(member.memberId)!;
    owned.forEach((entry, index) => {
      if (index < keep) {
        target.push(entry);
        assigned.add(keyOf(entry));
      } else {
        revoked.add(keyOf(entry));
      }
    });
  }
  underMin.sort(compareStrings);
  exactlyMin.sort(compareStrings);
  return { assigned, revoked, underMin, exactlyMin };
}

/**
 * Step 2: the unassigned partitions, in topic-partition order, go round robin to the members
 * below the minimum; once none is, one each to members at the minimum that may take one more.
 * A partition that was revoked from, or contested by, its previous owners is transferring.
 */
function dealUnassigned(
  context: StickyContext,
  claims: Claims,
  quota: Quota,
  kept: KeptOwned,
  partitionsByMember: Map<string, TopicPartition[]>,
  transferring: Map<string, TopicPartition & { memberId: string }>,
): void {
  const { underMin, exactlyMin } = kept;
  let cursor = 0;
  for (const entry of context.allPartitions) {
    const key = keyOf(entry);
    if (kept.assigned.has(key)) continue;
    let memberId: string;
    let fromUnderMin = true;
    if (cursor < underMin.length) {
      memberId = underMin[cursor]!;
    } else if (underMin.length === 0) {
      const polled = exactlyMin.shift();
      assert(polled !== undefined, 'constrained sticky: partitions remain, every member is full');
      memberId = polled;
      fromUnderMin = false;
    } else {
      cursor = 0;
      memberId = underMin[0]!;
    }
    const target = partitionsByMember.get(memberId)!;
    target.push(entry);
    if (kept.revoked.has(key) || claims.contested.has(key)) {
      transferring.set(key, { ...entry, memberId });
    }
    if (fromUnderMin && target.length === quota.min) {
      underMin.splice(cursor, 1);
      exactlyMin.push(memberId);
    } else if (fromUnderMin) {
      cursor++;
    }
  }
}

// ---- General: members subscribe to different topics (Brook's algorithm). ----

/** Working state of the general algorithm: who holds what, and who may hold what. */
class GeneralState {
  readonly partitionsByMember = new Map<string, TopicPartition[]>();
  /** topic → subscribed member ids, in member-id order. */
  readonly consumersOf = new Map<string, string[]>();
  /** partition key → the member that kept it from the previous generation. */
  readonly keptOwner = new Map<string, string>();

  sizeOf(memberId: string): number {
    return this.partitionsByMember.get(memberId)!.length;
  }

  /** The eligible member (other than `exclude`) with the fewest partitions; ties by member id. */
  smallestFor(topic: string, exclude: string | null): string | undefined {
    let best: string | undefined;
    for (const candidate of this.consumersOf.get(topic)!) {
      if (candidate === exclude) continue;
      if (best === undefined || this.sizeOf(candidate) < this.sizeOf(best)) best = candidate;
    }
    return best;
  }

  keptBy(entry: TopicPartition, memberId: string): boolean {
    return this.keptOwner.get(partitionKey(entry.topic, entry.partition)) === memberId;
  }
}

function generalAssign(context: StickyContext, claims: Claims): BuiltAssignment {
  const state = new GeneralState();
  const subscribed = new Map<string, Set<string>>();
  for (const member of context.members) {
    subscribed.set(member.memberId, new Set(member.subscription.topics));
  }
  for (const topic of context.topics) {
    const consumers = context.members.filter((member) =>
      subscribed.get(member.memberId)!.has(topic),
    );
    state.consumersOf.set(topic, consumers.map((member) => member.memberId));
  }
  for (const member of context.members) {
    const topics = subscribed.get(member.memberId)!;
    const kept = claims.owned.get(member.memberId)!.filter(({ topic }) => topics.has(topic));
    for (const entry of kept) state.keptOwner.set(keyOf(entry), member.memberId);
    state.partitionsByMember.set(member.memberId, kept);
  }

  // Free partitions go to the least loaded eligible member, most constrained partitions first.
  const free = context.allPartitions.filter(
    ({ topic, partition }) => !state.keptOwner.has(partitionKey(topic, partition)),
  );
  const eligible = (entry: TopicPartition): number => state.consumersOf.get(entry.topic)!.length;
  free.sort(
    (left, right) => eligible(left) - eligible(right) || compareTopicPartitions(left, right),
  );
  for (const entry of free) {
    const target = state.smallestFor(entry.topic, null);
    assert(target !== undefined, `no member subscribes to ${entry.topic}`);
    state.partitionsByMember.get(target)!.push(entry);
  }

  balance(context, state);
  const partitionsByMember = state.partitionsByMember;
  return { partitionsByMember, transferring: undefined, algorithm: 'general' };
}

/**
 * Moves partitions from a member to an eligible member with two or more fewer partitions until no
 * such move exists. Every move lowers the sum of squared sizes by at least 2, and that sum starts
 * at most P², so the loop is bounded.
 */
function balance(context: StickyContext, state: GeneralState): void {
  const memberIds = context.members.map((member) => member.memberId);
  const movesMax = context.allPartitions.length ** 2;
  let moves = 0;
  for (let moved = true; moved; ) {
    moved = false;
    const largestFirst = [...memberIds].sort(
      (left, right) => state.sizeOf(right) - state.sizeOf(left) || compareStrings(left, right),
    );
    for (const source of largestFirst) {
      const list = state.partitionsByMember.get(source)!;
      // Partitions the source did not own before are moved first, to keep ownership sticky.
      const candidates = [...list].sort(
        (left, right) =>
          Number(state.keptBy(left, source)) - Number(state.keptBy(right, source)) ||
          compareTopicPartitions(left, right),
      );
      for (const entry of candidates) {
        const target = state.smallestFor(entry.topic, source);
        if (target === undefined || state.sizeOf(source) - state.sizeOf(target) < 2) continue;
        removePartition(list, entry);
        state.partitionsByMember.get(target)!.push(entry);
        moved = true;
        moves++;
        assert(moves <= movesMax, 'general sticky: balancing did not converge');
      }
    }
  }
}

/** Kafka's computePartitionsTransferringOwnership: newly added ∩ revoked from a claimant. */
function partitionsTransferringOwnership(
  context: StickyContext,
  partitionsByMember: ReadonlyMap<string, readonly TopicPartition[]>,
): Map<string, TopicPartition & { memberId: string }> {
  const added = new Map<string, TopicPartition & { memberId: string }>();
  const revoked = new Set<string>();
  for (const member of context.members) {
    const owned = new Set(context.memberData.get(member.memberId)!.partitions.map(keyOf));
    const assigned = partitionsByMember.get(member.memberId)!;
    const assignedKeys = new Set(assigned.map(keyOf));
    for (const entry of assigned) {
      const key = partitionKey(entry.topic, entry.partition);
      if (!owned.has(key)) added.set(key, { ...entry, memberId: member.memberId });
    }
    for (const key of owned) if (!assignedKeys.has(key)) revoked.add(key);
  }
  for (const key of [...added.keys()]) if (!revoked.has(key)) added.delete(key);
  return added;
}
