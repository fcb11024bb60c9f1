import type { MessageName } from './schema/schema-types.js';

/**
 * The APIs Brook serves and the version range it advertises for each (kafka-protocol.md §4.1).
 * Minimum 0 everywhere: librdkafka 2.0.2 computes features from the advertised ranges (group
 * consumption needs JoinGroup/SyncGroup/Heartbeat/LeaveGroup ∋ 0) and kafka-python probes with v0.
 * Each maximum is the lowest version @platformatic/kafka implements, so every client lands on one
 * version per API.
 */
export interface ApiEntry {
  readonly key: number;
  readonly name: string;
  readonly request: MessageName;
  readonly response: MessageName;
  readonly minVersion: number;
  readonly maxVersion: number;
}

function api(key: number, name: string, maxVersion: number): ApiEntry {
  return {
    key,
    name,
    request: `${name}Request` as MessageName,
    response: `${name}Response` as MessageName,
    minVersion: 0,
    maxVersion,
  };
}

export const API_KEYS = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
  CreatePartitions: 37,
  DeleteGroups: 42,
} as const;

export const SERVED_APIS: ReadonlyArray<ApiEntry> = [
  api(API_KEYS.Produce, 'Produce', 7),
  api(API_KEYS.Fetch, 'Fetch', 12),
  api(API_KEYS.ListOffsets, 'ListOffsets', 5),
  api(API_KEYS.Metadata, 'Metadata', 9),
  api(API_KEYS.OffsetCommit, 'OffsetCommit', 8),
  api(API_KEYS.OffsetFetch, 'OffsetFetch', 8),
  api(API_KEYS.FindCoordinator, 'FindCoordinator', 4),
  api(API_KEYS.JoinGroup, 'JoinGroup', 6),
  api(API_KEYS.Heartbeat, 'Heartbeat', 4),
  api(API_KEYS.LeaveGroup, 'LeaveGroup', 4),
  api(API_KEYS.SyncGroup, 'SyncGroup', 4),
  api(API_KEYS.DescribeGroups, 'DescribeGroups', 5),
  api(API_KEYS.ListGroups, 'ListGroups', 4),
  api(API_KEYS.ApiVersions, 'ApiVersions', 3),
  api(API_KEYS.CreateTopics, 'CreateTopics', 7),
  api(API_KEYS.DeleteTopics, 'DeleteTopics', 6),
  api(API_KEYS.InitProducerId, 'InitProducerId', 3),
  api(API_KEYS.DescribeConfigs, 'DescribeConfigs', 3),
  api(API_KEYS.CreatePartitions, 'CreatePartitions', 1),
  api(API_KEYS.DeleteGroups, 'DeleteGroups', 2),
];

const BY_KEY = new Map(SERVED_APIS.map((entry) => [entry.key, entry]));

export function apiEntry(key: number): ApiEntry | undefined {
  return BY_KEY.get(key);
}
