/**
 * KafkaJS 2.2.4 as an independent oracle for the wire codec, at exactly the versions KafkaJS
 * sends against Brook's advertised table (kafka-protocol.md §3.1). KafkaJS hand-writes each
 * request encoder and response decoder per version, so agreement with our schema-driven codec in
 * both directions is evidence that both follow Kafka's wire format.
 *
 * Requests: KafkaJS's request module (node_modules/kafkajs/src/protocol/requests/<api>/v<N>)
 * encodes a body (no header: KafkaJS adds that in its connection); our codec must decode it to the
 * fields KafkaJS wrote, consume every byte, and encode the decoded value back to the same bytes.
 * Responses: our codec encodes a body, KafkaJS's decoder must read back what we meant, and its
 * `parse` must accept it when no error code is set.
 *
 * Shapes to know when reading the expectations:
 * - KafkaJS returns int64 fields as decimal strings (Long#toString) and, from the versions with
 *   KIP-219 throttling, reports `throttleTime: 0` and the broker's value as `clientSideThrottleTime`.
 * - KafkaJS writes an empty topic list as null (-1) where the schema allows it (Metadata,
 *   OffsetFetch, DescribeConfigs config names), and sorts CreateTopics/DeleteTopics/
 *   CreatePartitions results by topic name.
 * - Error code 35 (UNSUPPORTED_VERSION) is avoided: several KafkaJS decoders throw on it before
 *   reading the rest of the body.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { SERVED_APIS } from '../../src/protocol/api-table.js';
import { codecFor } from '../../src/protocol/codec.js';
import type { Decoded, Encodable, MessageName } from '../../src/protocol/schema/schema-types.js';
import { WireReader } from '../../src/protocol/wire/reader.js';
import { WireWriter } from '../../src/protocol/wire/writer.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/records/record-batch.js';
import { Prng } from '../helpers/prng.js';

// ---- KafkaJS internals, typed as used here. ----

interface KafkaJsEncoder {
  readonly buffer: Buffer;
}

interface KafkaJsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<KafkaJsEncoder>;
}

type KafkaJsRequestFactory = (args?: unknown) => KafkaJsRequest;

interface KafkaJsResponse {
  decode(buffer: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<unknown>;
}

const require = createRequire(import.meta.url);

function kafkaJsRequestModule(api: string, version: number): KafkaJsRequestFactory {
  return require(`kafkajs/src/protocol/requests/${api}/v${version}/request.js`) as KafkaJsRequestFactory;
}

function kafkaJsResponseModule(api: string, version: number): KafkaJsResponse {
  return require(`kafkajs/src/protocol/requests/${api}/v${version}/response.js`) as KafkaJsResponse;
}

/** The body KafkaJS sends for this request (checking it is the API key and version we think). */
async function kafkaJsRequestBody(api: string, version: number, apiKey: number, args?: unknown): Promise<Buffer> {
  const request = kafkaJsRequestModule(api, version)(args);
  expect(request.apiKey).toBe(apiKey);
  expect(request.apiVersion).toBe(version);
  return (await request.encode()).buffer;
}

/** KafkaJS's decode of a response body, and its parse (which throws on error codes). */
async function kafkaJsDecode(api: string, version: number, body: Buffer): Promise<unknown> {
  return kafkaJsResponseModule(api, version).decode(body);
}

async function kafkaJsParse(api: string, version: number, body: Buffer): Promise<unknown> {
  const module = kafkaJsResponseModule(api, version);
  return module.parse(await module.decode(body));
}

// ---- Our codec. ----

function encodeOurs<N extends MessageName>(name: N, version: number, message: Encodable<N>): Buffer {
  const writer = new WireWriter();
  codecFor(name, version).encode(writer, message);
  return writer.toBuffer();
}

function decodeOurs<N extends MessageName>(name: N, version: number, body: Buffer): Decoded<N> {
  const reader = new WireReader(body);
  const decoded = codecFor(name, version).decode(reader);
  expect(reader.offset, `${name} v${version}: every byte of the KafkaJS body is read`).toBe(body.length);
  return decoded;
}

/** Decode a KafkaJS request body, and check that our encoder gives back the same bytes. */
function decodeAndReencode<N extends MessageName>(name: N, version: number, body: Buffer): Decoded<N> {
  const decoded = decodeOurs(name, version, body);
  const again = encodeOurs(name, version, decoded as unknown as Encodable<N>);
  expect(again.toString('hex'), `${name} v${version}: re-encoded bytes`).toBe(body.toString('hex'));
  return decoded;
}

// ---- Random inputs. ----

const SEEDS = [1, 2, 3, 4];
const NAMES = ['orders', 'payments-eu', 'événements', '日志', 'emoji-🚀', 'a', 'x'.repeat(200)];
const ERROR_CODES = [0, 0, 0, 1, 3, 6, 15, 16, 22, 25, 27, 36, 79];

function pick<T>(rng: Prng, items: ReadonlyArray<T>): T {
  return items[rng.nextInt(items.length)] as T;
}

function name(rng: Prng): string {
  return pick(rng, NAMES);
}

function int32(rng: Prng): number {
  return rng.nextUint32() | 0;
}

/** A non-negative int64 offset or timestamp within ±2^53, sometimes -1. */
function int64(rng: Prng): number {
  if (rng.nextInt(5) === 0) return -1;
  return rng.nextInt(2 ** 21) * 2 ** 32 + rng.nextUint32();
}

function nullableName(rng: Prng): string | null {
  return rng.nextInt(3) === 0 ? null : name(rng);
}

function list<T>(rng: Prng, make: (index: number) => T, max = 3): T[] {
  const count = rng.nextInt(max + 1);
  return Array.from({ length: count }, (_unused, index) => make(index));
}

function uniqueNames(rng: Prng, max = 3): string[] {
  return [...new Set(list(rng, () => name(rng), max))];
}

function byName<T extends { readonly topic: string }>(items: ReadonlyArray<T>): T[] {
  return [...items].sort((a, b) => a.topic.localeCompare(b.topic));
}

const NO_UUID = Buffer.alloc(16);

describe('KafkaJS 2.2.4 requests decode with our codec', () => {
  test('Metadata v6: topics (an empty list is sent as null = all topics) and auto-creation', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng);
      const allowAutoTopicCreation = rng.nextInt(2) === 0;
      const body = await kafkaJsRequestBody('metadata', 6, 3, { topics, allowAutoTopicCreation });
      expect(decodeAndReencode('MetadataRequest', 6, body)).toStrictEqual({
        topics: topics.length === 0 ? null : topics.map((topic) => ({ topicId: NO_UUID, name: topic })),
        allowAutoTopicCreation,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    }
  });

  test('Produce v7: transactional id, acks, timeout and record batches that decode to the messages sent', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const transactionalId = rng.nextInt(2) === 0 ? null : name(rng);
      const acks = pick(rng, [-1, 0, 1]);
      const timeout = rng.nextInt(60_000);
      const topicData = uniqueNames(rng).map((topic) => ({
        topic,
        partitions: list(rng, (partition) => ({
          partition,
          messages: Array.from({ length: 1 + rng.nextInt(3) }, (_unused, index) => ({
            key: rng.nextInt(3) === 0 ? null : `key-${index}-${name(rng)}`,
            value: rng.bytes(rng.nextInt(40)),
            timestamp: 1_700_000_000_000 + index,
          })),
        })),
      }));
      const body = await kafkaJsRequestBody('produce', 7, 0, { acks, timeout, transactionalId, compression: 0, topicData });
      const decoded = decodeAndReencode('ProduceRequest', 7, body);
      expect({ ...decoded, topicData: [] }).toStrictEqual({ transactionalId, acks, timeoutMs: timeout, topicData: [] });
      expect(decoded.topicData.map((topic) => topic.name)).toStrictEqual(topicData.map((topic) => topic.topic));
      decoded.topicData.forEach((topic, topicIndex) => {
        const sent = topicData[topicIndex]!;
        expect(topic.partitionData.map((partition) => partition.index)).toStrictEqual(sent.partitions.map((partition) => partition.partition));
        topic.partitionData.forEach((partition, partitionIndex) => {
          expect(partition.records).not.toBeNull();
          const batch = decodeRecordBatch(partition.records as Buffer);
          const messages = sent.partitions[partitionIndex]!.messages;
          expect(batch.header.attributes & 0x10, 'transactional flag').toBe(transactionalId === null ? 0 : 0x10);
          expect(batch.records.map((record) => [record.key?.toString('utf8') ?? null, record.value, record.timestamp])).toStrictEqual(
            messages.map((message) => [message.key, message.value, message.timestamp]),
          );
        });
      });
    }
  });

  test('Fetch v11: session, isolation, rack and per-partition positions', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const args = {
        replicaId: -1,
        maxWaitTime: rng.nextInt(10_000),
        minBytes: rng.nextInt(1000),
        maxBytes: 10_485_760,
        isolationLevel: rng.nextInt(2),
        sessionId: 0,
        sessionEpoch: -1,
        rackId: rng.nextInt(2) === 0 ? '' : name(rng),
        topics: uniqueNames(rng).map((topic) => ({
          topic,
          partitions: list(rng, (partition) => ({ partition, currentLeaderEpoch: rng.nextInt(5) - 1, fetchOffset: int64(rng), logStartOffset: -1, maxBytes: 1_048_576 })),
        })),
        forgottenTopics: uniqueNames(rng, 2).map((topic) => ({ topic, partitions: list(rng, (index) => index) })),
      };
      const body = await kafkaJsRequestBody('fetch', 11, 1, args);
      expect(decodeAndReencode('FetchRequest', 11, body)).toStrictEqual({
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs: args.maxWaitTime,
        minBytes: args.minBytes,
        maxBytes: args.maxBytes,
        isolationLevel: args.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: args.topics.map((topic) => ({
          topic: topic.topic,
          topicId: NO_UUID,
          partitions: topic.partitions.map((partition) => ({
            partition: partition.partition,
            currentLeaderEpoch: partition.currentLeaderEpoch,
            fetchOffset: partition.fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: partition.maxBytes,
            replicaDirectoryId: NO_UUID,
          })),
        })),
        forgottenTopicsData: args.forgottenTopics.map((topic) => ({ topic: topic.topic, topicId: NO_UUID, partitions: topic.partitions })),
        rackId: args.rackId,
      });
    }
  });

  test('ListOffsets v3: isolation level and the timestamp to look up (-1 latest, -2 earliest)', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng).map((topic) => ({ topic, partitions: list(rng, (partition) => ({ partition, timestamp: pick(rng, [-1, -2, 1_700_000_000_000]) })) }));
      const isolationLevel = rng.nextInt(2);
      const body = await kafkaJsRequestBody('listOffsets', 3, 2, { replicaId: -1, isolationLevel, topics });
      expect(decodeAndReencode('ListOffsetsRequest', 3, body)).toStrictEqual({
        replicaId: -1,
        isolationLevel,
        timeoutMs: 0, // v10+ only
        topics: topics.map((topic) => ({
          name: topic.topic,
          partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partition, currentLeaderEpoch: -1, timestamp: partition.timestamp, maxNumOffsets: 1 })),
        })),
      });
    }
  });

  test('FindCoordinator v2: key and key type', async () => {
    for (const [coordinatorKey, coordinatorType] of [['group-1', 0], ['tx-日本', 1], ['', 0]] as const) {
      const body = await kafkaJsRequestBody('findCoordinator', 2, 10, { coordinatorKey, coordinatorType });
      expect(decodeAndReencode('FindCoordinatorRequest', 2, body)).toStrictEqual({ key: coordinatorKey, keyType: coordinatorType, coordinatorKeys: [] });
    }
  });

  test('JoinGroup v5: first join with an empty member id, protocols with metadata', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const args = {
        groupId: name(rng),
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        memberId: rng.nextInt(2) === 0 ? '' : `client-${name(rng)}`,
        groupInstanceId: nullableName(rng),
        protocolType: 'consumer',
        groupProtocols: list(rng, (index) => ({ name: `Assigner${index}`, metadata: rng.bytes(rng.nextInt(30)) })),
      };
      const body = await kafkaJsRequestBody('joinGroup', 5, 11, args);
      expect(decodeAndReencode('JoinGroupRequest', 5, body)).toStrictEqual({
        groupId: args.groupId,
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 60_000,
        memberId: args.memberId,
        groupInstanceId: args.groupInstanceId,
        protocolType: 'consumer',
        protocols: args.groupProtocols,
        reason: null,
      });
    }
  });

  test('SyncGroup v3: the leader sends each member its assignment', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const args = {
        groupId: name(rng),
        generationId: int32(rng),
        memberId: name(rng),
        groupInstanceId: nullableName(rng),
        groupAssignment: list(rng, (index) => ({ memberId: `member-${index}`, memberAssignment: rng.bytes(rng.nextInt(50)) })),
      };
      const body = await kafkaJsRequestBody('syncGroup', 3, 14, args);
      expect(decodeAndReencode('SyncGroupRequest', 3, body)).toStrictEqual({
        groupId: args.groupId,
        generationId: args.generationId,
        memberId: args.memberId,
        groupInstanceId: args.groupInstanceId,
        protocolType: null,
        protocolName: null,
        assignments: args.groupAssignment.map((entry) => ({ memberId: entry.memberId, assignment: entry.memberAssignment })),
      });
    }
  });

  test('Heartbeat v3: group, generation, member and instance id', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const args = { groupId: name(rng), groupGenerationId: int32(rng), memberId: name(rng), groupInstanceId: nullableName(rng) };
      const body = await kafkaJsRequestBody('heartbeat', 3, 12, args);
      expect(decodeAndReencode('HeartbeatRequest', 3, body)).toStrictEqual({
        groupId: args.groupId,
        generationId: args.groupGenerationId,
        memberId: args.memberId,
        groupInstanceId: args.groupInstanceId,
      });
    }
  });

  test('LeaveGroup v3: a batch of members leaving', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const members = list(rng, () => ({ memberId: name(rng), groupInstanceId: nullableName(rng) }));
      const groupId = name(rng);
      const body = await kafkaJsRequestBody('leaveGroup', 3, 13, { groupId, members });
      expect(decodeAndReencode('LeaveGroupRequest', 3, body)).toStrictEqual({
        groupId,
        memberId: '',
        members: members.map((member) => ({ ...member, reason: null })),
      });
    }
  });

  test('OffsetCommit v5: offsets with nullable metadata', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const args = {
        groupId: name(rng),
        groupGenerationId: int32(rng),
        memberId: name(rng),
        topics: uniqueNames(rng).map((topic) => ({
          topic,
          partitions: list(rng, (partition) => ({ partition, offset: String(int64(rng)), metadata: nullableName(rng) })),
        })),
      };
      const body = await kafkaJsRequestBody('offsetCommit', 5, 8, args);
      expect(decodeAndReencode('OffsetCommitRequest', 5, body)).toStrictEqual({
        groupId: args.groupId,
        generationIdOrMemberEpoch: args.groupGenerationId,
        memberId: args.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: args.topics.map((topic) => ({
          name: topic.topic,
          partitions: topic.partitions.map((partition) => ({
            partitionIndex: partition.partition,
            committedOffset: Number(partition.offset),
            committedLeaderEpoch: -1,
            commitTimestamp: -1,
            committedMetadata: partition.metadata,
          })),
        })),
      });
    }
  });

  test('OffsetFetch v4: named partitions, or null for every partition of the group', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const groupId = name(rng);
      const topics = uniqueNames(rng).map((topic) => ({ topic, partitions: list(rng, (partition) => ({ partition })) }));
      const body = await kafkaJsRequestBody('offsetFetch', 4, 9, { groupId, topics });
      expect(decodeAndReencode('OffsetFetchRequest', 4, body)).toStrictEqual({
        groupId,
        topics: topics.length === 0 ? null : topics.map((topic) => ({ name: topic.topic, partitionIndexes: topic.partitions.map((partition) => partition.partition) })),
        groups: [],
        requireStable: false,
      });
    }
  });

  test('CreateTopics v3: -1 partitions and replication factor mean the broker default', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng).map((topic) => ({
        topic,
        numPartitions: pick(rng, [-1, 1, 12]),
        replicationFactor: pick(rng, [-1, 1, 3]),
        replicaAssignment: list(rng, (partition) => ({ partition, replicas: list(rng, (broker) => broker + 1) })),
        configEntries: list(rng, () => ({ name: pick(rng, ['cleanup.policy', 'retention.ms']), value: nullableName(rng) })),
      }));
      const validateOnly = rng.nextInt(2) === 0;
      const timeout = rng.nextInt(30_000);
      const body = await kafkaJsRequestBody('createTopics', 3, 19, { topics, validateOnly, timeout });
      expect(decodeAndReencode('CreateTopicsRequest', 3, body)).toStrictEqual({
        topics: topics.map((topic) => ({
          name: topic.topic,
          numPartitions: topic.numPartitions,
          replicationFactor: topic.replicationFactor,
          assignments: topic.replicaAssignment.map((entry) => ({ partitionIndex: entry.partition, brokerIds: entry.replicas })),
          configs: topic.configEntries,
        })),
        timeoutMs: timeout,
        validateOnly,
      });
    }
  });

  test('DeleteTopics v1: topic names and timeout', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng);
      const body = await kafkaJsRequestBody('deleteTopics', 1, 20, { topics, timeout: 5000 });
      expect(decodeAndReencode('DeleteTopicsRequest', 1, body)).toStrictEqual({ topicNames: topics, topics: [], timeoutMs: 5000 });
    }
  });

  test('CreatePartitions v1: new counts with and without explicit assignments', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      // KafkaJS writes an empty broker list as null, which the schema does not allow: lists are non-empty here.
      const topicPartitions = uniqueNames(rng).map((topic) => ({
        topic,
        count: 1 + rng.nextInt(20),
        assignments: list(rng, () => Array.from({ length: 1 + rng.nextInt(3) }, (_unused, index) => index)),
      }));
      const validateOnly = rng.nextInt(2) === 0;
      const body = await kafkaJsRequestBody('createPartitions', 1, 37, { topicPartitions, validateOnly, timeout: 5000 });
      expect(decodeAndReencode('CreatePartitionsRequest', 1, body)).toStrictEqual({
        topics: topicPartitions.map((topic) => ({
          name: topic.topic,
          count: topic.count,
          assignments: topic.assignments.length === 0 ? null : topic.assignments.map((brokerIds) => ({ brokerIds })),
        })),
        timeoutMs: 5000,
        validateOnly,
      });
    }
  });

  test('DescribeConfigs v2: resources with or without config names, synonyms flag', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const resources = list(rng, () => ({ type: pick(rng, [2, 4]), name: name(rng), configNames: list(rng, () => pick(rng, ['retention.ms', 'segment.bytes'])) }));
      const includeSynonyms = rng.nextInt(2) === 0;
      const body = await kafkaJsRequestBody('describeConfigs', 2, 32, { resources, includeSynonyms });
      expect(decodeAndReencode('DescribeConfigsRequest', 2, body)).toStrictEqual({
        resources: resources.map((resource) => ({
          resourceType: resource.type,
          resourceName: resource.name,
          configurationKeys: resource.configNames.length === 0 ? null : resource.configNames,
        })),
        includeSynonyms,
        includeDocumentation: false,
      });
    }
  });

  test('ApiVersions v2: an empty body', async () => {
    const body = await kafkaJsRequestBody('apiVersions', 2, 18);
    expect(body.length).toBe(0);
    expect(decodeAndReencode('ApiVersionsRequest', 2, body)).toStrictEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
  });

  test('InitProducerId v1: idempotent (null transactional id) and transactional', async () => {
    for (const transactionalId of [null, 'tx-1', 'tx-ünï']) {
      const body = await kafkaJsRequestBody('initProducerId', 1, 22, { transactionalId, transactionTimeout: 60_000 });
      expect(decodeAndReencode('InitProducerIdRequest', 1, body)).toStrictEqual({ transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    }
  });

  test('DescribeGroups v2, ListGroups v2 and DeleteGroups v1 (admin)', async () => {
    const groupIds = ['g1', 'grüppe', ''];
    expect(decodeAndReencode('DescribeGroupsRequest', 2, await kafkaJsRequestBody('describeGroups', 2, 15, { groupIds }))).toStrictEqual({
      groups: groupIds,
      includeAuthorizedOperations: false,
    });
    expect(decodeAndReencode('ListGroupsRequest', 2, await kafkaJsRequestBody('listGroups', 2, 16))).toStrictEqual({ statesFilter: [], typesFilter: [] });
    expect(decodeAndReencode('DeleteGroupsRequest', 1, await kafkaJsRequestBody('deleteGroups', 1, 42, groupIds))).toStrictEqual({ groupsNames: groupIds });
  });
});

describe('our responses decode with KafkaJS 2.2.4', () => {
  test('Metadata v6: brokers, controller, topics and partitions', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const brokers = list(rng, (index) => ({ nodeId: index, host: pick(rng, ['localhost', '127.0.0.1', 'brök.example']), port: 9092 + index, rack: nullableName(rng) }));
      const topics = uniqueNames(rng).map((topic) => ({
        errorCode: pick(rng, ERROR_CODES),
        name: topic,
        isInternal: rng.nextInt(4) === 0,
        partitions: list(rng, (partitionIndex) => ({
          errorCode: pick(rng, ERROR_CODES),
          partitionIndex,
          leaderId: rng.nextInt(3) - 1,
          leaderEpoch: 7, // not in v6: not written
          replicaNodes: list(rng, (index) => index),
          isrNodes: list(rng, (index) => index),
          offlineReplicas: list(rng, (index) => index + 10),
        })),
      }));
      const message = { throttleTimeMs: rng.nextInt(100), brokers, clusterId: nullableName(rng), controllerId: rng.nextInt(3) - 1, topics };
      expect(await kafkaJsDecode('metadata', 6, encodeOurs('MetadataResponse', 6, message))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: message.throttleTimeMs,
        brokers,
        clusterId: message.clusterId,
        controllerId: message.controllerId,
        topicMetadata: topics.map((topic) => ({
          topicErrorCode: topic.errorCode,
          topic: topic.name,
          isInternal: topic.isInternal,
          partitionMetadata: topic.partitions.map((partition) => ({
            partitionErrorCode: partition.errorCode,
            partitionId: partition.partitionIndex,
            leader: partition.leaderId,
            replicas: partition.replicaNodes,
            isr: partition.isrNodes,
            offlineReplicas: partition.offlineReplicas,
          })),
        })),
      });
    }
    const healthy = encodeOurs('MetadataResponse', 6, { brokers: [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }], controllerId: 0, topics: [] });
    await expect(kafkaJsParse('metadata', 6, healthy)).resolves.toMatchObject({ controllerId: 0, clusterId: null });
  });

  test('Produce v7: base offset, log append time and log start offset per partition', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const responses = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitionResponses: list(rng, (index) => ({ index, errorCode: pick(rng, ERROR_CODES), baseOffset: int64(rng), logAppendTimeMs: -1, logStartOffset: int64(rng) })),
      }));
      const throttleTimeMs = rng.nextInt(100);
      expect(await kafkaJsDecode('produce', 7, encodeOurs('ProduceResponse', 7, { responses, throttleTimeMs }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: throttleTimeMs,
        topics: responses.map((topic) => ({
          topicName: topic.name,
          partitions: topic.partitionResponses.map((partition) => ({
            partition: partition.index,
            errorCode: partition.errorCode,
            baseOffset: String(partition.baseOffset),
            logAppendTime: '-1',
            logStartOffset: String(partition.logStartOffset),
          })),
        })),
      });
    }
  });

  test('Fetch v11: partition offsets, aborted transactions and record batches handed over as slices', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      let nextOffset = rng.nextInt(1000);
      const batchOf = (count: number): { readonly bytes: Buffer; readonly values: string[]; readonly firstOffset: number } => {
        const values = Array.from({ length: count }, (_unused, index) => `value-${seed}-${index}-${name(rng)}`);
        const firstOffset = nextOffset;
        nextOffset += count;
        const bytes = encodeRecordBatch(values.map((value) => ({ key: null, value })), { baseOffset: firstOffset, timestamp: 1_700_000_000_000 });
        return { bytes, values, firstOffset };
      };
      const responses = uniqueNames(rng).map((topic) => ({
        topic,
        partitions: list(rng, (partitionIndex) => {
          const batches = list(rng, () => batchOf(1 + rng.nextInt(3)));
          const recordsChoice = rng.nextInt(4);
          return {
            partitionIndex,
            errorCode: pick(rng, [0, 0, 1, 6]),
            highWatermark: int64(rng),
            lastStableOffset: int64(rng),
            logStartOffset: int64(rng),
            abortedTransactions: rng.nextInt(3) === 0 ? null : list(rng, () => ({ producerId: int64(rng), firstOffset: int64(rng) })),
            preferredReadReplica: -1,
            // null, or the stored batches as several slices (the zero-copy path), or one buffer.
            records: recordsChoice === 0 ? null : recordsChoice === 1 ? batches.map((batch) => batch.bytes) : Buffer.concat(batches.map((batch) => batch.bytes)),
            batches: recordsChoice === 0 ? [] : batches,
          };
        }),
      }));
      const message = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
      const decoded = (await kafkaJsDecode('fetch', 11, encodeOurs('FetchResponse', 11, message))) as {
        readonly responses: ReadonlyArray<{
          readonly topicName: string;
          readonly partitions: ReadonlyArray<{ readonly messages: ReadonlyArray<{ readonly offset: string; readonly value: Buffer }> }>;
        }>;
      };
      const withoutMessages = {
        ...decoded,
        responses: decoded.responses.map((topic) => ({ ...topic, partitions: topic.partitions.map((partition) => ({ ...partition, messages: [] })) })),
      };
      expect(withoutMessages).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        errorCode: 0,
        sessionId: 0,
        responses: responses.map((topic) => ({
          topicName: topic.topic,
          partitions: topic.partitions.map((partition) => ({
            partition: partition.partitionIndex,
            errorCode: partition.errorCode,
            highWatermark: String(partition.highWatermark),
            lastStableOffset: String(partition.lastStableOffset),
            lastStartOffset: String(partition.logStartOffset),
            abortedTransactions: (partition.abortedTransactions ?? []).map((entry) => ({ producerId: String(entry.producerId), firstOffset: String(entry.firstOffset) })),
            preferredReadReplica: -1,
            messages: [],
          })),
        })),
      });
      decoded.responses.forEach((topic, topicIndex) => {
        topic.partitions.forEach((partition, partitionIndex) => {
          const batches = responses[topicIndex]!.partitions[partitionIndex]!.batches;
          const expected = batches.flatMap((batch) => batch.values.map((value, index) => [String(batch.firstOffset + index), value]));
          expect(partition.messages.map((record) => [record.offset, record.value.toString('utf8')])).toStrictEqual(expected);
        });
      });
    }
  });

  test('ListOffsets v3: timestamp and offset per partition', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitions: list(rng, (partitionIndex) => ({ partitionIndex, errorCode: pick(rng, ERROR_CODES), timestamp: int64(rng), offset: int64(rng), leaderEpoch: 3 })),
      }));
      expect(await kafkaJsDecode('listOffsets', 3, encodeOurs('ListOffsetsResponse', 3, { throttleTimeMs: 5, topics }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 5,
        responses: topics.map((topic) => ({
          topic: topic.name,
          partitions: topic.partitions.map((partition) => ({
            partition: partition.partitionIndex,
            errorCode: partition.errorCode,
            timestamp: String(partition.timestamp),
            offset: String(partition.offset),
          })),
        })),
      });
    }
  });

  test('FindCoordinator v2: the coordinator node, or an error with a message', async () => {
    const found = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: 'brök.local', port: 19092 };
    const body = encodeOurs('FindCoordinatorResponse', 2, found);
    expect(await kafkaJsParse('findCoordinator', 2, body)).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      errorCode: 0,
      errorMessage: null,
      coordinator: { nodeId: 1, host: 'brök.local', port: 19092 },
    });
    const missing = encodeOurs('FindCoordinatorResponse', 2, { errorCode: 15, errorMessage: 'The coordinator is not available.', nodeId: -1, host: '', port: -1 });
    expect(await kafkaJsDecode('findCoordinator', 2, missing)).toMatchObject({ errorCode: 15, errorMessage: 'The coordinator is not available.' });
    await expect(kafkaJsParse('findCoordinator', 2, missing)).rejects.toMatchObject({ type: 'GROUP_COORDINATOR_NOT_AVAILABLE', retriable: true });
  });

  test('JoinGroup v5: the leader sees every member, and MEMBER_ID_REQUIRED hands KafkaJS its member id', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const members = list(rng, (index) => ({ memberId: `member-${index}`, groupInstanceId: nullableName(rng), metadata: rng.bytes(rng.nextInt(40)) }));
      const message = { throttleTimeMs: 0, errorCode: 0, generationId: int32(rng), protocolName: 'RoundRobinAssigner', leader: 'member-0', memberId: name(rng), members };
      expect(await kafkaJsParse('joinGroup', 5, encodeOurs('JoinGroupResponse', 5, message))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        errorCode: 0,
        generationId: message.generationId,
        groupProtocol: 'RoundRobinAssigner',
        leaderId: 'member-0',
        memberId: message.memberId,
        members: members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, memberMetadata: member.metadata })),
      });
    }
    const required = encodeOurs('JoinGroupResponse', 5, { errorCode: 79, generationId: -1, protocolName: '', leader: '', memberId: 'assigned-ü', members: [] });
    await expect(kafkaJsParse('joinGroup', 5, required)).rejects.toMatchObject({ name: 'KafkaJSMemberIdRequired', memberId: 'assigned-ü' });
  });

  test('SyncGroup v3, Heartbeat v3 and LeaveGroup v3: error codes and the member assignment', async () => {
    const assignment = Buffer.from('000100000001000' + '6', 'utf8');
    expect(await kafkaJsParse('syncGroup', 3, encodeOurs('SyncGroupResponse', 3, { throttleTimeMs: 2, errorCode: 0, assignment }))).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 2,
      errorCode: 0,
      memberAssignment: assignment,
    });
    expect(await kafkaJsParse('heartbeat', 3, encodeOurs('HeartbeatResponse', 3, { throttleTimeMs: 0, errorCode: 0 }))).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      errorCode: 0,
    });
    await expect(kafkaJsParse('heartbeat', 3, encodeOurs('HeartbeatResponse', 3, { errorCode: 27 }))).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
    const members = [
      { memberId: 'm-1', groupInstanceId: null, errorCode: 0 },
      { memberId: 'm-2', groupInstanceId: 'static-ü', errorCode: 0 },
    ];
    expect(await kafkaJsParse('leaveGroup', 3, encodeOurs('LeaveGroupResponse', 3, { throttleTimeMs: 1, errorCode: 0, members }))).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 1,
      errorCode: 0,
      members,
    });
  });

  test('OffsetCommit v5 and OffsetFetch v4: per-partition results', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const commitTopics = uniqueNames(rng).map((topic) => ({ name: topic, partitions: list(rng, (partitionIndex) => ({ partitionIndex, errorCode: pick(rng, ERROR_CODES) })) }));
      expect(await kafkaJsDecode('offsetCommit', 5, encodeOurs('OffsetCommitResponse', 5, { throttleTimeMs: 0, topics: commitTopics }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        responses: commitTopics.map((topic) => ({ topic: topic.name, partitions: topic.partitions.map((partition) => ({ partition: partition.partitionIndex, errorCode: partition.errorCode })) })),
      });
      const fetchTopics = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitions: list(rng, (partitionIndex) => ({ partitionIndex, committedOffset: int64(rng), committedLeaderEpoch: 4, metadata: nullableName(rng), errorCode: pick(rng, ERROR_CODES) })),
      }));
      const errorCode = pick(rng, [0, 0, 16]);
      expect(await kafkaJsDecode('offsetFetch', 4, encodeOurs('OffsetFetchResponse', 4, { throttleTimeMs: 0, topics: fetchTopics, errorCode }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        errorCode,
        responses: fetchTopics.map((topic) => ({
          topic: topic.name,
          partitions: topic.partitions.map((partition) => ({
            partition: partition.partitionIndex,
            offset: String(partition.committedOffset),
            metadata: partition.metadata,
            errorCode: partition.errorCode,
          })),
        })),
      });
    }
  });

  test('CreateTopics v3, DeleteTopics v1 and CreatePartitions v1: per-topic errors', async () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const created = uniqueNames(rng).map((topic) => ({ name: topic, errorCode: pick(rng, [0, 36, 37]), errorMessage: nullableName(rng), numPartitions: 3, replicationFactor: 1 }));
      expect(await kafkaJsDecode('createTopics', 3, encodeOurs('CreateTopicsResponse', 3, { throttleTimeMs: 0, topics: created }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        topicErrors: byName(created.map((topic) => ({ topic: topic.name, errorCode: topic.errorCode, errorMessage: topic.errorMessage }))),
      });
      const deleted = uniqueNames(rng).map((topic) => ({ name: topic, errorCode: pick(rng, [0, 3]) }));
      expect(await kafkaJsDecode('deleteTopics', 1, encodeOurs('DeleteTopicsResponse', 1, { throttleTimeMs: 3, responses: deleted }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 3,
        topicErrors: byName(deleted.map((topic) => ({ topic: topic.name, errorCode: topic.errorCode }))),
      });
      const grown = uniqueNames(rng).map((topic) => ({ name: topic, errorCode: pick(rng, [0, 37]), errorMessage: nullableName(rng) }));
      expect(await kafkaJsDecode('createPartitions', 1, encodeOurs('CreatePartitionsResponse', 1, { throttleTimeMs: 0, results: grown }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        topicErrors: byName(grown.map((topic) => ({ topic: topic.name, errorCode: topic.errorCode, errorMessage: topic.errorMessage }))),
      });
    }
  });

  test('DescribeConfigs v2: config entries with source and synonyms', async () => {
    const results = [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: 'orders',
        configs: [
          { name: 'retention.ms', value: '604800000', readOnly: false, configSource: 5, isSensitive: false, synonyms: [{ name: 'log.retention.ms', value: '604800000', source: 5 }] },
          { name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: 1, isSensitive: false, synonyms: [] },
          { name: 'sasl.jaas.config', value: null, readOnly: true, configSource: 4, isSensitive: true, synonyms: [] },
        ],
      },
      { errorCode: 3, errorMessage: 'unknown topic ü', resourceType: 2, resourceName: 'missing', configs: [] },
    ];
    expect(await kafkaJsDecode('describeConfigs', 2, encodeOurs('DescribeConfigsResponse', 2, { throttleTimeMs: 0, results }))).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      resources: results.map((result) => ({
        errorCode: result.errorCode,
        errorMessage: result.errorMessage,
        resourceType: result.resourceType,
        resourceName: result.resourceName,
        configEntries: result.configs.map((config) => ({
          configName: config.name,
          configValue: config.value,
          readOnly: config.readOnly,
          isDefault: config.configSource === 5,
          configSource: config.configSource,
          isSensitive: config.isSensitive,
          configSynonyms: config.synonyms.map((synonym) => ({ configName: synonym.name, configValue: synonym.value, configSource: synonym.source })),
        })),
      })),
    });
  });

  test('ApiVersions v2: Brook’s advertised table', async () => {
    const apiKeys = SERVED_APIS.map((api) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }));
    expect(await kafkaJsParse('apiVersions', 2, encodeOurs('ApiVersionsResponse', 2, { errorCode: 0, apiKeys, throttleTimeMs: 0 }))).toStrictEqual({
      errorCode: 0,
      apiVersions: apiKeys,
      throttleTime: 0,
      clientSideThrottleTime: 0,
    });
  });

  test('InitProducerId v1: producer id and epoch', async () => {
    for (const [producerId, producerEpoch] of [[0, 0], [4_000_000_000_123, 32767], [-1, -1]] as const) {
      expect(await kafkaJsDecode('initProducerId', 1, encodeOurs('InitProducerIdResponse', 1, { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch }))).toStrictEqual({
        throttleTime: 0,
        clientSideThrottleTime: 0,
        errorCode: 0,
        producerId: String(producerId),
        producerEpoch,
      });
    }
  });

  test('DescribeGroups v2, ListGroups v2 and DeleteGroups v1 (admin)', async () => {
    const member = { memberId: 'm-1', clientId: 'kafkajs', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([0, 1, 2]), memberAssignment: Buffer.from([3]) };
    const groups = [{ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'RoundRobinAssigner', members: [member] }];
    expect(await kafkaJsParse('describeGroups', 2, encodeOurs('DescribeGroupsResponse', 2, { throttleTimeMs: 0, groups }))).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      groups: [{ errorCode: 0, groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner', members: [member] }],
    });
    const listed = [{ groupId: 'g', protocolType: 'consumer' }, { groupId: 'grüppe', protocolType: '' }];
    expect(await kafkaJsParse('listGroups', 2, encodeOurs('ListGroupsResponse', 2, { throttleTimeMs: 0, errorCode: 0, groups: listed }))).toStrictEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      errorCode: 0,
      groups: listed,
    });
    const results = [{ groupId: 'g', errorCode: 0 }];
    expect(await kafkaJsParse('deleteGroups', 1, encodeOurs('DeleteGroupsResponse', 1, { throttleTimeMs: 0, results }))).toMatchObject({ results });
  });
});
