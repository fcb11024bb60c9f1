import type { GroupOutcome } from './group-errors.js';
import type { GroupStateName } from './group-state.js';

/**
 * Request and response shapes of the group coordinator. They mirror Kafka's message schemas
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup v3+, OffsetCommit, OffsetFetch, DescribeGroups,
 * ListGroups, DeleteGroups) field for field, under the schemas' names in camelCase, so the wire
 * layer maps a decoded request onto them without logic and the embedded consumer builds the very
 * same objects. Fields a wire version lacks get Kafka's documented default from the wire layer
 * (e.g. JoinGroup v0 has no rebalance timeout: send -1 and the session timeout is used).
 *
 * Offsets are JavaScript numbers (safe integers); the wire layer converts int64s.
 * Every response carries a GroupOutcome: `errorCode` (Kafka's name) and `kafkaErrorCode` (int16).
 */

export interface JoinGroupProtocol {
  readonly name: string;
  /** Opaque to the coordinator (for "consumer": a ConsumerProtocolSubscription). */
  readonly metadata: Buffer;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means "same as sessionTimeoutMs", as in Kafka. */
  readonly rebalanceTimeoutMs: number;
  /** '' for a member joining for the first time. */
  readonly memberId: string;
  /** Static membership (KIP-345); null for a dynamic member. */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  /** In the member's order of preference. */
  readonly protocols: ReadonlyArray<JoinGroupProtocol>;
  /** JoinGroup v4+ (KIP-394): a new dynamic member first gets MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** From the request header; the generated member id starts with it. */
  readonly clientId: string;
  /** The peer address as the connection saw it (shown by DescribeGroups). */
  readonly clientHost: string;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

export interface JoinGroupResponse extends GroupOutcome {
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  /** JoinGroup v9; Brook always answers false (the pre-v9 static-leader behaviour). */
  readonly skipAssignment: boolean;
  readonly memberId: string;
  /** Every member with its metadata for the chosen protocol, for the leader only. */
  readonly members: ReadonlyArray<JoinGroupResponseMember>;
}

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly assignment: Buffer;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** SyncGroup v5: checked against the group when not null. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** From the leader; empty from followers. */
  readonly assignments: ReadonlyArray<SyncGroupAssignment>;
}

export interface SyncGroupResponse extends GroupOutcome {
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export type HeartbeatResponse = GroupOutcome;

export interface LeaveGroupMember {
  /** '' to remove a static member by its instance id alone (admin removal). */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** LeaveGroup v3+; v0-2 send one member with groupInstanceId null. */
export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly members: ReadonlyArray<LeaveGroupMember>;
}

export interface LeaveGroupMemberResponse extends GroupOutcome {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupResponse extends GroupOutcome {
  readonly members: ReadonlyArray<LeaveGroupMemberResponse>;
}

export interface OffsetCommitRequestPartition {
  readonly partitionIndex: number;
  readonly committedOffset: number;
  /** -1 when unknown (OffsetCommit before v6). */
  readonly committedLeaderEpoch: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  readonly name: string;
  readonly partitions: ReadonlyArray<OffsetCommitRequestPartition>;
}

export interface OffsetCommitRequest {
  readonly groupId: string;
  /** -1 with memberId '' is a "simple" commit, allowed only while the group has no members. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: ReadonlyArray<OffsetCommitRequestTopic>;
}

export interface OffsetCommitResponsePartition extends GroupOutcome {
  readonly partitionIndex: number;
}

export interface OffsetCommitResponseTopic {
  readonly name: string;
  readonly partitions: ReadonlyArray<OffsetCommitResponsePartition>;
}

export interface OffsetCommitResponse {
  readonly topics: ReadonlyArray<OffsetCommitResponseTopic>;
}

export interface OffsetFetchRequestTopic {
  readonly name: string;
  readonly partitionIndexes: ReadonlyArray<number>;
}

export interface OffsetFetchRequest {
  readonly groupId: string;
  /** null (OffsetFetch v2+) asks for every committed offset of the group. */
  readonly topics: ReadonlyArray<OffsetFetchRequestTopic> | null;
}

export interface OffsetFetchResponsePartition extends GroupOutcome {
  readonly partitionIndex: number;
  /** -1 when nothing was committed. */
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  /** '' when nothing was committed (some clients cannot take null). */
  readonly metadata: string | null;
}

export interface OffsetFetchResponseTopic {
  readonly name: string;
  readonly partitions: ReadonlyArray<OffsetFetchResponsePartition>;
}

/** The top-level outcome is OffsetFetch v2+'s error code (v8+: the group's). */
export interface OffsetFetchResponse extends GroupOutcome {
  readonly topics: ReadonlyArray<OffsetFetchResponseTopic>;
}

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Metadata for the chosen protocol; empty unless the group is Stable (as Kafka). */
  readonly memberMetadata: Buffer;
  /** Empty unless the group is Stable. */
  readonly memberAssignment: Buffer;
}

export interface DescribedGroup extends GroupOutcome {
  readonly groupId: string;
  readonly groupState: GroupStateName;
  readonly protocolType: string;
  /** The chosen protocol, only while Stable; '' otherwise. */
  readonly protocolData: string;
  readonly members: ReadonlyArray<DescribedGroupMember>;
}

export interface DescribeGroupsRequest {
  readonly groups: ReadonlyArray<string>;
}

export interface DescribeGroupsResponse {
  readonly groups: ReadonlyArray<DescribedGroup>;
}

export interface ListGroupsRequest {
  /** ListGroups v4+; empty means every state. */
  readonly statesFilter: ReadonlyArray<string>;
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupStateName;
  readonly groupType: 'classic';
}

export interface ListGroupsResponse extends GroupOutcome {
  readonly groups: ReadonlyArray<ListedGroup>;
}

export interface DeleteGroupsRequest {
  readonly groupsNames: ReadonlyArray<string>;
}

export interface DeletableGroupResult extends GroupOutcome {
  readonly groupId: string;
}

export interface DeleteGroupsResponse {
  readonly results: ReadonlyArray<DeletableGroupResult>;
}
