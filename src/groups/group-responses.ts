import { outcome, type GroupErrorCode } from './group-errors.js';
import type { DescribedGroup, JoinGroupResponse, JoinGroupResponseMember, SyncGroupResponse } from './group-messages.js';
import { EMPTY_BYTES, type Group } from './group-state.js';

/**
 * Builders for the coordinator's responses, so that every error answer has the same defaults
 * Kafka's coordinator uses (generation -1, null protocol, empty leader and member list).
 */

export function joinError(memberId: string, code: GroupErrorCode): JoinGroupResponse {
  return {
    ...outcome(code),
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

/** The current generation as seen by `memberId`; `members` is non-empty for the leader only. */
export function joinSuccess(
  group: Group,
  memberId: string,
  members: ReadonlyArray<JoinGroupResponseMember>,
  leaderId: string | null = group.leaderId,
): JoinGroupResponse {
  return {
    ...outcome('NONE'),
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: leaderId ?? '',
    skipAssignment: false,
    memberId,
    members,
  };
}

export function syncError(code: GroupErrorCode): SyncGroupResponse {
  return { ...outcome(code), protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export function syncSuccess(group: Group, assignment: Buffer): SyncGroupResponse {
  return { ...outcome('NONE'), protocolType: group.protocolType, protocolName: group.protocolName, assignment };
}

/** DescribeGroups: metadata, assignments and the protocol are shown only while Stable (Kafka). */
export function describedGroup(group: Group): DescribedGroup {
  const stable = group.is('Stable');
  const protocolName = stable ? (group.protocolName ?? '') : '';
  return {
    ...outcome('NONE'),
    groupId: group.groupId,
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: protocolName,
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      memberMetadata: stable ? member.metadataFor(protocolName) : EMPTY_BYTES,
      memberAssignment: stable ? member.assignment : EMPTY_BYTES,
    })),
  };
}

/** DescribeGroups for a group the coordinator does not hold (Kafka's DeadGroup summary). */
export function absentGroup(groupId: string, state: 'Dead' | 'Empty', code: 'NONE' | GroupErrorCode = 'NONE'): DescribedGroup {
  return { ...outcome(code), groupId, groupState: state, protocolType: '', protocolData: '', members: [] };
}
