import type { Encodable } from '../../src/protocol/schema/schema-types.js';

/**
 * Request and response message names of the APIs the server tests call through WireClient
 * (`client.request(API_KEYS.Metadata, 9, METADATA, body)`), and request bodies they share.
 */
export const API_VERSIONS = ['ApiVersionsRequest', 'ApiVersionsResponse'] as const;
export const METADATA = ['MetadataRequest', 'MetadataResponse'] as const;
export const PRODUCE = ['ProduceRequest', 'ProduceResponse'] as const;
export const FETCH = ['FetchRequest', 'FetchResponse'] as const;
export const LIST_OFFSETS = ['ListOffsetsRequest', 'ListOffsetsResponse'] as const;
export const CREATE_TOPICS = ['CreateTopicsRequest', 'CreateTopicsResponse'] as const;
export const JOIN_GROUP = ['JoinGroupRequest', 'JoinGroupResponse'] as const;

/** A consumer's Fetch of one partition from `fetchOffset` (1 MiB at most), waiting up to `maxWaitMs` for a byte. */
export function fetchBody(topic: string, partition: number, fetchOffset: number, maxWaitMs: number): Encodable<'FetchRequest'> {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  };
}
