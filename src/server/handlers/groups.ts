import { API_KEYS } from '../../protocol/api-table.js';
import type { Decoded, Encodable } from '../../protocol/schema/schema-types.js';
import type { GroupCoordinator } from '../../groups/coordinator.js';
import type { DescribedGroup, OffsetFetchResponse, OffsetFetchResponseTopic } from '../../groups/group-messages.js';
import { KAFKA } from '../kafka-errors.js';
import type { RequestContext } from '../request-context.js';
import type { HandlerRegistry } from './registry.js';

/**
 * The group APIs (kafka-protocol.md §6 "Group coordination"): FindCoordinator answers with this
 * broker; JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
 * ListGroups and DeleteGroups map the decoded request onto the GroupCoordinator's request shapes
 * (group-messages.ts) and its answer back onto the response schema of the request's version.
 *
 * Fields a request version lacks get the coordinator's "not given" value here, by version (JoinGroup
 * v0 rebalance timeout -1, OffsetCommit v0 generation -1 and member id '', group instance id and
 * SyncGroup protocol null before they existed) rather than from the decoder's defaults (see
 * `since`). Fields a response version lacks are ignored by the encoder, so responses carry every
 * field and only version-dependent nullability needs care (JoinGroup's protocol name before v7).
 * Client-caused conditions come back as error codes; nothing here throws for them.
 */
export function registerGroupHandlers(registry: HandlerRegistry): void {
  registry
    .register<'FindCoordinatorRequest', 'FindCoordinatorResponse'>(API_KEYS.FindCoordinator, findCoordinator)
    .register<'JoinGroupRequest', 'JoinGroupResponse'>(API_KEYS.JoinGroup, joinGroup)
    .register<'SyncGroupRequest', 'SyncGroupResponse'>(API_KEYS.SyncGroup, syncGroup)
    .register<'HeartbeatRequest', 'HeartbeatResponse'>(API_KEYS.Heartbeat, heartbeat)
    .register<'LeaveGroupRequest', 'LeaveGroupResponse'>(API_KEYS.LeaveGroup, leaveGroup)
    .register<'OffsetCommitRequest', 'OffsetCommitResponse'>(API_KEYS.OffsetCommit, offsetCommit)
    .register<'OffsetFetchRequest', 'OffsetFetchResponse'>(API_KEYS.OffsetFetch, offsetFetch)
    .register<'DescribeGroupsRequest', 'DescribeGroupsResponse'>(API_KEYS.DescribeGroups, describeGroups)
    .register<'ListGroupsRequest', 'ListGroupsResponse'>(API_KEYS.ListGroups, listGroups)
    .register<'DeleteGroupsRequest', 'DeleteGroupsResponse'>(API_KEYS.DeleteGroups, deleteGroups);
}

function coordinatorOf(context: RequestContext): GroupCoordinator {
  return context.state.groups.coordinator;
}

/**
 * A nullable request field that only exists from `since`: null before. Never trust the decoded
 * default of an absent field whose schema default is "null": the codec decodes it as the string
 * 'null' at versions where the field is not nullable.
 */
function since(version: number, first: number, value: string | null): string | null {
  return version >= first ? value : null;
}

// -----------------------------------------------------------------------------------------------
// FindCoordinator

/** FindCoordinator key types: 0 = consumer group, 1 = transactional id (no coordinator here). */
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface CoordinatorAnswer {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** This broker coordinates every group; errors carry Kafka's "no node" (-1, '', -1). */
function coordinatorFor(context: RequestContext, keyType: number): CoordinatorAnswer {
  const refuse = (errorCode: number, errorMessage: string): CoordinatorAnswer => ({ nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType === KEY_TYPE_TRANSACTION) return refuse(KAFKA.COORDINATOR_NOT_AVAILABLE, 'transactions are not supported');
  if (keyType !== KEY_TYPE_GROUP) return refuse(KAFKA.INVALID_REQUEST, `unknown coordinator key type ${keyType}`);
  if (coordinatorOf(context).closed) return refuse(KAFKA.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is shut down');
  const { nodeId, advertisedHost, port } = context.state.config;
  return { nodeId, host: advertisedHost, port, errorCode: KAFKA.NONE, errorMessage: null };
}

function findCoordinator(context: RequestContext, request: Decoded<'FindCoordinatorRequest'>): Encodable<'FindCoordinatorResponse'> {
  if (context.header.apiVersion >= 4) {
    return {
      throttleTimeMs: 0,
      coordinators: request.coordinatorKeys.map((key) => ({ key, ...coordinatorFor(context, request.keyType) })),
    };
  }
  return { throttleTimeMs: 0, ...coordinatorFor(context, request.keyType) };
}

// -----------------------------------------------------------------------------------------------
// JoinGroup, SyncGroup, Heartbeat, LeaveGroup

async function joinGroup(context: RequestContext, request: Decoded<'JoinGroupRequest'>): Promise<Encodable<'JoinGroupResponse'>> {
  const version = context.header.apiVersion;
  const response = await coordinatorOf(context).joinGroup({
    groupId: request.groupId,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : -1,
    memberId: request.memberId,
    groupInstanceId: since(version, 5, request.groupInstanceId),
    protocolType: request.protocolType,
    protocols: request.protocols.map((protocol) => ({ name: protocol.name, metadata: protocol.metadata })),
    requireKnownMemberId: version >= 4,
    clientId: context.header.clientId ?? '',
    clientHost: context.clientHost,
  });
  // Protocol type and name are nullable from v7 only; before, Kafka sends '' for "none".
  const nullable = version >= 7;
  return {
    throttleTimeMs: 0,
    errorCode: response.kafkaErrorCode,
    generationId: response.generationId,
    protocolType: nullable ? response.protocolType : (response.protocolType ?? ''),
    protocolName: nullable ? response.protocolName : (response.protocolName ?? ''),
    leader: response.leader,
    skipAssignment: response.skipAssignment,
    memberId: response.memberId,
    members: response.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadata,
    })),
  };
}

async function syncGroup(context: RequestContext, request: Decoded<'SyncGroupRequest'>): Promise<Encodable<'SyncGroupResponse'>> {
  const version = context.header.apiVersion;
  const response = await coordinatorOf(context).syncGroup({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: since(version, 3, request.groupInstanceId),
    protocolType: since(version, 5, request.protocolType),
    protocolName: since(version, 5, request.protocolName),
    assignments: request.assignments.map((entry) => ({ memberId: entry.memberId, assignment: entry.assignment })),
  });
  return {
    throttleTimeMs: 0,
    errorCode: response.kafkaErrorCode,
    protocolType: response.protocolType,
    protocolName: response.protocolName,
    assignment: response.assignment,
  };
}

function heartbeat(context: RequestContext, request: Decoded<'HeartbeatRequest'>): Encodable<'HeartbeatResponse'> {
  const response = coordinatorOf(context).heartbeat({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: since(context.header.apiVersion, 3, request.groupInstanceId),
  });
  return { throttleTimeMs: 0, errorCode: response.kafkaErrorCode };
}

function leaveGroup(context: RequestContext, request: Decoded<'LeaveGroupRequest'>): Encodable<'LeaveGroupResponse'> {
  const batched = context.header.apiVersion >= 3;
  const members = batched
    ? request.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId }))
    : [{ memberId: request.memberId, groupInstanceId: null }];
  const response = coordinatorOf(context).leaveGroup({ groupId: request.groupId, members });
  // v0-2 have only the top-level code: the group's refusal, else the one member's outcome (as Kafka).
  const single = response.members[0];
  const errorCode = batched || response.kafkaErrorCode !== KAFKA.NONE || single === undefined ? response.kafkaErrorCode : single.kafkaErrorCode;
  return {
    throttleTimeMs: 0,
    errorCode,
    members: response.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      errorCode: member.kafkaErrorCode,
    })),
  };
}

// -----------------------------------------------------------------------------------------------
// OffsetCommit, OffsetFetch

async function offsetCommit(context: RequestContext, request: Decoded<'OffsetCommitRequest'>): Promise<Encodable<'OffsetCommitResponse'>> {
  const version = context.header.apiVersion;
  const response = await coordinatorOf(context).commitOffsets({
    groupId: request.groupId,
    // v0 has neither: a "simple" commit, allowed while the group has no members.
    generationId: version >= 1 ? request.generationIdOrMemberEpoch : -1,
    memberId: version >= 1 ? request.memberId : '',
    groupInstanceId: since(version, 7, request.groupInstanceId),
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        partitionIndex: partition.partitionIndex,
        committedOffset: partition.committedOffset,
        committedLeaderEpoch: version >= 6 ? partition.committedLeaderEpoch : -1,
        committedMetadata: partition.committedMetadata,
      })),
    })),
  });
  return {
    throttleTimeMs: 0,
    topics: response.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: partition.kafkaErrorCode })),
    })),
  };
}

type FetchTopicsIn = ReadonlyArray<{ readonly name: string; readonly partitionIndexes: ReadonlyArray<number> }> | null;

function fetchGroupOffsets(context: RequestContext, groupId: string, topics: FetchTopicsIn): OffsetFetchResponse {
  return coordinatorOf(context).fetchOffsets({
    groupId,
    topics: topics === null ? null : topics.map((topic) => ({ name: topic.name, partitionIndexes: topic.partitionIndexes })),
  });
}

/** One shape serves v0-7 `topics[]` and v8+ `groups[].topics[]` (same field names). */
function fetchedTopics(topics: ReadonlyArray<OffsetFetchResponseTopic>) {
  return topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => ({
      partitionIndex: partition.partitionIndex,
      committedOffset: partition.committedOffset,
      committedLeaderEpoch: partition.committedLeaderEpoch,
      metadata: partition.metadata ?? '',
      errorCode: partition.kafkaErrorCode,
    })),
  }));
}

function offsetFetch(context: RequestContext, request: Decoded<'OffsetFetchRequest'>): Encodable<'OffsetFetchResponse'> {
  if (context.header.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((group) => {
        const response = fetchGroupOffsets(context, group.groupId, group.topics);
        return { groupId: group.groupId, topics: fetchedTopics(response.topics), errorCode: response.kafkaErrorCode };
      }),
    };
  }
  // v0-1 cannot ask for "all" (topics is not nullable there); v2+ sends null for it.
  const response = fetchGroupOffsets(context, request.groupId, request.topics);
  return { throttleTimeMs: 0, topics: fetchedTopics(response.topics), errorCode: response.kafkaErrorCode };
}

// -----------------------------------------------------------------------------------------------
// DescribeGroups, ListGroups, DeleteGroups

function describedGroupOut(group: DescribedGroup) {
  return {
    errorCode: group.kafkaErrorCode,
    groupId: group.groupId,
    groupState: group.groupState,
    protocolType: group.protocolType,
    protocolData: group.protocolData,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      memberMetadata: member.memberMetadata,
      memberAssignment: member.memberAssignment,
    })),
  };
}

function describeGroups(context: RequestContext, request: Decoded<'DescribeGroupsRequest'>): Encodable<'DescribeGroupsResponse'> {
  // includeAuthorizedOperations (v3+): there are no ACLs, so authorizedOperations keeps its
  // schema default INT32_MIN ("not provided"), which every client reads as unknown.
  const response = coordinatorOf(context).describeGroups({ groups: request.groups });
  return { throttleTimeMs: 0, groups: response.groups.map(describedGroupOut) };
}

function listGroups(context: RequestContext, request: Decoded<'ListGroupsRequest'>): Encodable<'ListGroupsResponse'> {
  const response = coordinatorOf(context).listGroups({ statesFilter: request.statesFilter });
  // typesFilter (v5+): every group here is a classic group.
  const types = new Set(request.typesFilter.map((type) => type.toLowerCase()));
  const groups = types.size === 0 || types.has('classic') ? response.groups : [];
  return {
    throttleTimeMs: 0,
    errorCode: response.kafkaErrorCode,
    groups: groups.map((group) => ({
      groupId: group.groupId,
      protocolType: group.protocolType,
      groupState: group.groupState,
      groupType: group.groupType,
    })),
  };
}

async function deleteGroups(context: RequestContext, request: Decoded<'DeleteGroupsRequest'>): Promise<Encodable<'DeleteGroupsResponse'>> {
  const response = await coordinatorOf(context).deleteGroups({ groupsNames: request.groupsNames });
  return {
    throttleTimeMs: 0,
    results: response.results.map((result) => ({ groupId: result.groupId, errorCode: result.kafkaErrorCode })),
  };
}
