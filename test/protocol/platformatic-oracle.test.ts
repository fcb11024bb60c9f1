/**
 * @platformatic/kafka 1.35.0 as a second independent oracle, for the (mostly flexible) versions it
 * speaks: it walks from Brook's advertised maximum down and takes the first version it implements,
 * and the maxima in api-table.ts are exactly those versions. Its per-version modules (exported from
 * the package as e.g. `metadataV9`) have a pure `createRequest(...)` returning a Writer and a pure
 * `parseResponse(correlationId, apiKey, apiVersion, reader)`, so no network is needed.
 *
 * Requests: platformatic's body must decode with our codec, every byte consumed, to the values
 * passed in, and our encoder must give back the same bytes. Responses: our body must parse with
 * platformatic to the values we encoded.
 *
 * What platformatic does differently, and how the tests account for it:
 * - Its parsers never read the top-level tag section of a flexible body and its tag-section reader
 *   reads the count as a byte length, so it only works when every tag section is empty: our
 *   responses here set no tagged field (which is what Brook must do for this client).
 *   `unreadBytes` is 1 for a flexible body (the empty top-level tag section) and 0 otherwise.
 * - Metadata v9: it reads ClusterAuthorizedOperations (int32) as a one-byte boolean.
 * - Parsers throw a ResponseError on any non-zero error code (the parsed response rides along),
 *   so error codes are 0 except where a test is about errors.
 * - int64 values are bigints; uuids are formatted strings.
 * - DescribeConfigs "v2" is the v3 layout (see the last tests).
 */
import { Buffer } from 'node:buffer';
import {
  Reader,
  type Writer,
  apiVersionsV3,
  createPartitionsV1,
  createTopicsV7,
  deleteGroupsV2,
  deleteTopicsV6,
  describeConfigsV2,
  describeConfigsV3,
  describeGroupsV5,
  fetchV12,
  findCoordinatorV4,
  heartbeatV4,
  initProducerIdV3,
  joinGroupV6,
  leaveGroupV4,
  listGroupsV4,
  listOffsetsV5,
  metadataV9,
  offsetCommitV8,
  offsetFetchV8,
  produceV7,
  syncGroupV4,
} from '@platformatic/kafka';
import { describe, expect, test } from 'vitest';
import { SERVED_APIS } from '../../src/protocol/api-table.js';
import { codecFor } from '../../src/protocol/codec.js';
import type { Decoded, Encodable, MessageName } from '../../src/protocol/schema/schema-types.js';
import { WireReader } from '../../src/protocol/wire/reader.js';
import { WireWriter } from '../../src/protocol/wire/writer.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/records/record-batch.js';
import { Prng } from '../helpers/prng.js';

// ---- Both sides. ----

function encodeOurs<N extends MessageName>(name: N, version: number, message: Encodable<N>): Buffer {
  const writer = new WireWriter();
  codecFor(name, version).encode(writer, message);
  return writer.toBuffer();
}

/** Decode a platformatic request body with our codec; re-encoding it must give the same bytes. */
function decodeRequest<N extends MessageName>(name: N, version: number, request: Writer): Decoded<N> {
  const body = request.buffer;
  const reader = new WireReader(body);
  const decoded = codecFor(name, version).decode(reader);
  expect(reader.offset, `${name} v${version}: every byte of the platformatic body is read`).toBe(body.length);
  const again = encodeOurs(name, version, decoded as unknown as Encodable<N>);
  expect(again.toString('hex'), `${name} v${version}: re-encoded bytes`).toBe(body.toString('hex'));
  return decoded;
}

type Parser<T> = (correlationId: number, apiKey: number, apiVersion: number, reader: Reader) => T;

/** platformatic's parse of our response body, checking how many bytes it left unread. */
function parseWithPlatformatic<T>(parse: Parser<T>, apiKey: number, version: number, body: Buffer, unreadBytes: number): T {
  const reader = Reader.from(body);
  const parsed = parse(7, apiKey, version, reader);
  expect(body.length - reader.position, 'bytes platformatic left unread').toBe(unreadBytes);
  return parsed;
}

function uuidString(bytes: Buffer): string {
  return bytes.toString('hex').replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');
}

// ---- Random inputs. ----

const SEEDS = [11, 12, 13, 14];
const NAMES = ['orders', 'payments-eu', 'événements', '日志', 'emoji-🚀', 'a', 'x'.repeat(200)];
const NO_UUID = Buffer.alloc(16);

function pick<T>(rng: Prng, items: ReadonlyArray<T>): T {
  return items[rng.nextInt(items.length)] as T;
}

function name(rng: Prng): string {
  return pick(rng, NAMES);
}

function nullableName(rng: Prng): string | null {
  return rng.nextInt(3) === 0 ? null : name(rng);
}

function int32(rng: Prng): number {
  return rng.nextUint32() | 0;
}

function int64(rng: Prng): number {
  if (rng.nextInt(5) === 0) return -1;
  return rng.nextInt(2 ** 21) * 2 ** 32 + rng.nextUint32();
}

function list<T>(rng: Prng, make: (index: number) => T, max = 3): T[] {
  return Array.from({ length: rng.nextInt(max + 1) }, (_unused, index) => make(index));
}

function uniqueNames(rng: Prng, max = 3): string[] {
  return [...new Set(list(rng, () => name(rng), max))];
}

describe('@platformatic/kafka 1.35.0 requests decode with our codec', () => {
  test('Metadata v9: topics or null (all), auto-creation, authorized operations', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = rng.nextInt(3) === 0 ? null : uniqueNames(rng);
      const allowAutoTopicCreation = rng.nextInt(2) === 0;
      const includeTopicAuthorizedOperations = rng.nextInt(2) === 0;
      expect(decodeRequest('MetadataRequest', 9, metadataV9.createRequest(topics, allowAutoTopicCreation, includeTopicAuthorizedOperations))).toStrictEqual({
        topics: topics === null ? null : topics.map((topic) => ({ topicId: NO_UUID, name: topic })),
        allowAutoTopicCreation,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations,
      });
    }
  });

  test('Fetch v12: positions with last fetched epoch, session and rack', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng).map((topic) => ({
        topicId: topic,
        partitions: list(rng, (partition) => ({
          partition,
          currentLeaderEpoch: rng.nextInt(5) - 1,
          fetchOffset: BigInt(int64(rng)),
          lastFetchedEpoch: rng.nextInt(5) - 1,
          partitionMaxBytes: 1_048_576,
        })),
      }));
      const [maxWaitMs, minBytes, isolationLevel, sessionId, sessionEpoch] = [rng.nextInt(5000), rng.nextInt(100), rng.nextInt(2), int32(rng), rng.nextInt(10) - 1];
      const rackId = rng.nextInt(2) === 0 ? '' : name(rng);
      // Forgotten topics stay empty: platformatic writes them as uuids, a v13+ layout (see the report).
      const request = fetchV12.createRequest(maxWaitMs, minBytes, 52_428_800, isolationLevel, sessionId, sessionEpoch, topics, [], rackId);
      expect(decodeRequest('FetchRequest', 12, request)).toStrictEqual({
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs,
        minBytes,
        maxBytes: 52_428_800,
        isolationLevel,
        sessionId,
        sessionEpoch,
        topics: topics.map((topic) => ({
          topic: topic.topicId,
          topicId: NO_UUID,
          partitions: topic.partitions.map((partition) => ({
            partition: partition.partition,
            currentLeaderEpoch: partition.currentLeaderEpoch,
            fetchOffset: Number(partition.fetchOffset),
            lastFetchedEpoch: partition.lastFetchedEpoch,
            logStartOffset: -1,
            partitionMaxBytes: partition.partitionMaxBytes,
            replicaDirectoryId: NO_UUID,
          })),
        })),
        forgottenTopicsData: [],
        rackId,
      });
    }
  });

  test('Produce v7: messages grouped by topic and partition into record batches', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const messages = list(rng, (index) => ({
        topic: pick(rng, ['orders', 'événements']),
        partition: rng.nextInt(2),
        key: Buffer.from(`key-${index}`),
        value: rng.bytes(rng.nextInt(50)),
        timestamp: BigInt(1_700_000_000_000 + index),
        headers: new Map([[Buffer.from('h'), Buffer.from(name(rng))]]),
      }), 5);
      if (messages.length === 0) continue;
      const expectedTopics = [...new Set(messages.map((message) => message.topic))];
      const transactionalId = rng.nextInt(2) === 0 ? undefined : 'tx-ü';
      const options = transactionalId === undefined ? {} : { transactionalId };
      const decoded = decodeRequest('ProduceRequest', 7, produceV7.createRequest(-1, 30_000, messages.map((message) => ({ ...message })), options));
      expect({ ...decoded, topicData: [] }).toStrictEqual({ transactionalId: transactionalId ?? null, acks: -1, timeoutMs: 30_000, topicData: [] });
      expect(decoded.topicData.map((topic) => topic.name)).toStrictEqual(expectedTopics);
      for (const topic of decoded.topicData) {
        for (const partition of topic.partitionData) {
          const sent = messages.filter((message) => message.topic === topic.name && message.partition === partition.index);
          const batch = decodeRecordBatch(partition.records as Buffer);
          expect(batch.records.map((record) => [record.key, record.value, record.timestamp, record.headers.map((header) => [header.key, header.value])])).toStrictEqual(
            sent.map((message) => [message.key, message.value, Number(message.timestamp), [...message.headers].map(([key, value]) => [key.toString(), value])]),
          );
        }
      }
    }
  });

  test('ListOffsets v5: partitions with leader epoch and timestamp', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitions: list(rng, (partitionIndex) => ({ partitionIndex, currentLeaderEpoch: rng.nextInt(5) - 1, timestamp: BigInt(pick(rng, [-1, -2, 1_700_000_000_000])) })),
      }));
      const isolationLevel = rng.nextInt(2);
      expect(decodeRequest('ListOffsetsRequest', 5, listOffsetsV5.createRequest(-1, isolationLevel, topics))).toStrictEqual({
        replicaId: -1,
        isolationLevel,
        timeoutMs: 0,
        topics: topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({ ...partition, timestamp: Number(partition.timestamp), maxNumOffsets: 1 })),
        })),
      });
    }
  });

  test('FindCoordinator v4: a batch of coordinator keys', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const keys = uniqueNames(rng);
      const keyType = rng.nextInt(2);
      expect(decodeRequest('FindCoordinatorRequest', 4, findCoordinatorV4.createRequest(keyType, keys))).toStrictEqual({ key: '', keyType, coordinatorKeys: keys });
    }
  });

  test('JoinGroup v6, SyncGroup v4, Heartbeat v4 and LeaveGroup v4: the group membership requests', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const groupId = name(rng);
      const memberId = rng.nextInt(2) === 0 ? '' : name(rng);
      const groupInstanceId = nullableName(rng);
      const protocols = list(rng, (index) => ({ name: `assignor-${index}`, metadata: rng.bytes(rng.nextInt(30)) }));
      expect(decodeRequest('JoinGroupRequest', 6, joinGroupV6.createRequest(groupId, 45_000, 300_000, memberId, groupInstanceId, 'consumer', protocols))).toStrictEqual({
        groupId,
        sessionTimeoutMs: 45_000,
        rebalanceTimeoutMs: 300_000,
        memberId,
        groupInstanceId,
        protocolType: 'consumer',
        protocols,
        reason: null,
      });
      const generationId = int32(rng);
      const assignments = list(rng, (index) => ({ memberId: `member-${index}`, assignment: rng.bytes(rng.nextInt(40)) }));
      expect(decodeRequest('SyncGroupRequest', 4, syncGroupV4.createRequest(groupId, generationId, memberId, groupInstanceId, 'consumer', 'roundrobin', assignments))).toStrictEqual({
        groupId,
        generationId,
        memberId,
        groupInstanceId,
        protocolType: null, // v5+
        protocolName: null, // v5+
        assignments,
      });
      expect(decodeRequest('HeartbeatRequest', 4, heartbeatV4.createRequest(groupId, generationId, memberId, groupInstanceId))).toStrictEqual({
        groupId,
        generationId,
        memberId,
        groupInstanceId,
      });
      const members = list(rng, () => ({ memberId: name(rng), groupInstanceId: nullableName(rng) }));
      expect(decodeRequest('LeaveGroupRequest', 4, leaveGroupV4.createRequest(groupId, members))).toStrictEqual({
        groupId,
        memberId: '',
        members: members.map((member) => ({ ...member, reason: null })),
      });
    }
  });

  test('OffsetCommit v8 and OffsetFetch v8: committed offsets and the group-batched fetch', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const groupId = name(rng);
      const commitTopics = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitions: list(rng, (partitionIndex) => ({ partitionIndex, committedOffset: BigInt(int64(rng)), committedLeaderEpoch: rng.nextInt(4) - 1, committedMetadata: nullableName(rng) })),
      }));
      const generation = int32(rng);
      const instance = nullableName(rng);
      expect(decodeRequest('OffsetCommitRequest', 8, offsetCommitV8.createRequest(groupId, generation, 'member-1', instance, commitTopics))).toStrictEqual({
        groupId,
        generationIdOrMemberEpoch: generation,
        memberId: 'member-1',
        groupInstanceId: instance,
        retentionTimeMs: -1,
        topics: commitTopics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({ ...partition, committedOffset: Number(partition.committedOffset), commitTimestamp: -1 })),
        })),
      });
      const groups = list(rng, () => ({
        groupId: name(rng),
        memberEpoch: -1,
        topics: rng.nextInt(3) === 0 ? null : uniqueNames(rng).map((topic) => ({ name: topic, partitionIndexes: list(rng, (index) => index) })),
      }));
      const requireStable = rng.nextInt(2) === 0;
      expect(decodeRequest('OffsetFetchRequest', 8, offsetFetchV8.createRequest(groups, requireStable))).toStrictEqual({
        groupId: '',
        topics: [],
        groups: groups.map((group) => ({ groupId: group.groupId, memberId: null, memberEpoch: -1, topics: group.topics })),
        requireStable,
      });
    }
  });

  test('CreateTopics v7, DeleteTopics v6 and CreatePartitions v1: topic administration', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const topics = uniqueNames(rng).map((topic) => ({
        name: topic,
        numPartitions: pick(rng, [-1, 1, 6]),
        replicationFactor: pick(rng, [-1, 1]),
        assignments: list(rng, (partitionIndex) => ({ partitionIndex, brokerIds: list(rng, (broker) => broker) })),
        configs: list(rng, () => ({ name: pick(rng, ['cleanup.policy', 'retention.ms']), value: nullableName(rng) })),
      }));
      const validateOnly = rng.nextInt(2) === 0;
      expect(decodeRequest('CreateTopicsRequest', 7, createTopicsV7.createRequest(topics, 12_000, validateOnly))).toStrictEqual({ topics, timeoutMs: 12_000, validateOnly });
      const doomed = list(rng, () => ({ name: name(rng), topicId: rng.nextInt(2) === 0 ? null : uuidString(rng.bytes(16)) }));
      expect(decodeRequest('DeleteTopicsRequest', 6, deleteTopicsV6.createRequest(doomed, 9_000))).toStrictEqual({
        topicNames: [],
        topics: doomed.map((topic) => ({ name: topic.name, topicId: topic.topicId === null ? NO_UUID : Buffer.from(topic.topicId.replaceAll('-', ''), 'hex') })),
        timeoutMs: 9_000,
      });
      const grown = uniqueNames(rng).map((topic) => ({ name: topic, count: 1 + rng.nextInt(10), assignments: list(rng, () => ({ brokerIds: [0, 1].slice(0, 1 + rng.nextInt(2)) })) }));
      expect(decodeRequest('CreatePartitionsRequest', 1, createPartitionsV1.createRequest(grown, 5_000, validateOnly))).toStrictEqual({ topics: grown, timeoutMs: 5_000, validateOnly });
    }
  });

  test('ApiVersions v3, InitProducerId v3, DescribeGroups v5, ListGroups v4 and DeleteGroups v2', () => {
    expect(decodeRequest('ApiVersionsRequest', 3, apiVersionsV3.createRequest('@platformatic/kafka', '1.35.0'))).toStrictEqual({
      clientSoftwareName: '@platformatic/kafka',
      clientSoftwareVersion: '1.35.0',
    });
    expect(decodeRequest('InitProducerIdRequest', 3, initProducerIdV3.createRequest(null, 60_000, -1n, -1))).toStrictEqual({
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    });
    expect(decodeRequest('InitProducerIdRequest', 3, initProducerIdV3.createRequest('tx-ü', 1_000, 4_000_000_000_123n, 7))).toStrictEqual({
      transactionalId: 'tx-ü',
      transactionTimeoutMs: 1_000,
      producerId: 4_000_000_000_123,
      producerEpoch: 7,
    });
    expect(decodeRequest('DescribeGroupsRequest', 5, describeGroupsV5.createRequest(['g', 'grüppe'], true))).toStrictEqual({ groups: ['g', 'grüppe'], includeAuthorizedOperations: true });
    expect(decodeRequest('ListGroupsRequest', 4, listGroupsV4.createRequest(['STABLE', 'EMPTY'], []))).toStrictEqual({ statesFilter: ['Stable', 'Empty'], typesFilter: [] });
    expect(decodeRequest('DeleteGroupsRequest', 2, deleteGroupsV2.createRequest(['g', '']))).toStrictEqual({ groupsNames: ['g', ''] });
  });
});

describe('our responses parse with @platformatic/kafka 1.35.0', () => {
  test('Metadata v9: brokers, controller, topics with authorized operations', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const brokers = list(rng, (nodeId) => ({ nodeId, host: pick(rng, ['localhost', 'brök.example']), port: 9092 + nodeId, rack: nullableName(rng) }));
      const topics = uniqueNames(rng).map((topic) => ({
        errorCode: 0,
        name: topic,
        isInternal: rng.nextInt(4) === 0,
        partitions: list(rng, (partitionIndex) => ({
          errorCode: 0,
          partitionIndex,
          leaderId: rng.nextInt(3) - 1,
          leaderEpoch: rng.nextInt(10),
          replicaNodes: list(rng, (index) => index),
          isrNodes: list(rng, (index) => index),
          offlineReplicas: list(rng, (index) => index),
        })),
        topicAuthorizedOperations: -2147483648,
      }));
      const message = { throttleTimeMs: rng.nextInt(10), brokers, clusterId: nullableName(rng), controllerId: 0, topics };
      const body = encodeOurs('MetadataResponse', 9, message);
      // Unread: ClusterAuthorizedOperations is an int32, platformatic reads one byte of it; plus the tag section.
      expect(parseWithPlatformatic(metadataV9.parseResponse, 3, 9, body, 4)).toStrictEqual({
        ...message,
        topics: topics.map((topic) => ({ ...topic, topicId: topic.name })),
      });
    }
  });

  test('Fetch v12: partition offsets and record batches, from slices or one buffer', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      let nextOffset = rng.nextInt(1000);
      const batchOf = (count: number): { readonly bytes: Buffer; readonly values: Buffer[]; readonly firstOffset: number } => {
        const values = Array.from({ length: count }, () => rng.bytes(1 + rng.nextInt(30)));
        const firstOffset = nextOffset;
        nextOffset += count;
        return { bytes: encodeRecordBatch(values.map((value) => ({ key: null, value })), { baseOffset: firstOffset, timestamp: 1_700_000_000_000 }), values, firstOffset };
      };
      const responses = uniqueNames(rng).map((topic) => ({
        topic,
        partitions: list(rng, (partitionIndex) => {
          const batches = list(rng, () => batchOf(1 + rng.nextInt(3)));
          const choice = rng.nextInt(4);
          return {
            partitionIndex,
            errorCode: 0,
            highWatermark: int64(rng),
            lastStableOffset: int64(rng),
            logStartOffset: int64(rng),
            abortedTransactions: rng.nextInt(3) === 0 ? null : list(rng, () => ({ producerId: int64(rng), firstOffset: int64(rng) })),
            preferredReadReplica: -1,
            records: choice === 0 ? null : choice === 1 ? batches.map((batch) => batch.bytes) : Buffer.concat(batches.map((batch) => batch.bytes)),
            batches: choice === 0 ? [] : batches,
          };
        }),
      }));
      const body = encodeOurs('FetchResponse', 12, { throttleTimeMs: 0, errorCode: 0, sessionId: 42, responses });
      const parsed = parseWithPlatformatic(fetchV12.parseResponse, 1, 12, body, 1);
      const withoutRecords = { ...parsed, responses: parsed.responses.map((topic) => ({ ...topic, partitions: topic.partitions.map(({ records: _records, ...rest }) => rest) })) };
      expect(withoutRecords).toStrictEqual({
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 42,
        responses: responses.map((topic) => ({
          topicId: topic.topic,
          partitions: topic.partitions.map((partition) => ({
            partitionIndex: partition.partitionIndex,
            errorCode: 0,
            highWatermark: BigInt(partition.highWatermark),
            lastStableOffset: BigInt(partition.lastStableOffset),
            logStartOffset: BigInt(partition.logStartOffset),
            abortedTransactions: (partition.abortedTransactions ?? []).map((entry) => ({ producerId: BigInt(entry.producerId), firstOffset: BigInt(entry.firstOffset) })),
            preferredReadReplica: -1,
          })),
        })),
      });
      parsed.responses.forEach((topic, topicIndex) => {
        topic.partitions.forEach((partition, partitionIndex) => {
          const batches = responses[topicIndex]!.partitions[partitionIndex]!.batches;
          const got = (partition.records ?? []).flatMap((batch) => batch.records.map((record) => [batch.firstOffset + BigInt(record.offsetDelta), record.value]));
          expect(got).toStrictEqual(batches.flatMap((batch) => batch.values.map((value, index) => [BigInt(batch.firstOffset + index), value])));
        });
      });
    }
  });

  test('Produce v7 and ListOffsets v5: offsets per partition', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const responses = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitionResponses: list(rng, (index) => ({ index, errorCode: 0, baseOffset: int64(rng), logAppendTimeMs: -1, logStartOffset: int64(rng) })),
      }));
      expect(parseWithPlatformatic(produceV7.parseResponse, 0, 7, encodeOurs('ProduceResponse', 7, { responses, throttleTimeMs: 3 }), 0)).toStrictEqual({
        responses: responses.map((topic) => ({
          name: topic.name,
          partitionResponses: topic.partitionResponses.map((partition) => ({
            ...partition,
            baseOffset: BigInt(partition.baseOffset),
            logAppendTimeMs: -1n,
            logStartOffset: BigInt(partition.logStartOffset),
            recordErrors: [],
            errorMessage: null,
          })),
        })),
        throttleTimeMs: 3,
      });
      const topics = uniqueNames(rng).map((topic) => ({
        name: topic,
        partitions: list(rng, (partitionIndex) => ({ partitionIndex, errorCode: 0, timestamp: int64(rng), offset: int64(rng), leaderEpoch: rng.nextInt(5) - 1 })),
      }));
      expect(parseWithPlatformatic(listOffsetsV5.parseResponse, 2, 5, encodeOurs('ListOffsetsResponse', 5, { throttleTimeMs: 0, topics }), 0)).toStrictEqual({
        throttleTimeMs: 0,
        topics: topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({ ...partition, timestamp: BigInt(partition.timestamp), offset: BigInt(partition.offset) })),
        })),
      });
    }
  });

  test('FindCoordinator v4: one result per coordinator key', () => {
    const coordinators = [
      { key: 'group-1', nodeId: 0, host: 'localhost', port: 9092, errorCode: 0, errorMessage: null },
      { key: 'grüppe', nodeId: 1, host: 'brök', port: 9093, errorCode: 0, errorMessage: 'NONE' },
    ];
    expect(parseWithPlatformatic(findCoordinatorV4.parseResponse, 10, 4, encodeOurs('FindCoordinatorResponse', 4, { throttleTimeMs: 0, coordinators }), 1)).toStrictEqual({
      throttleTimeMs: 0,
      coordinators,
    });
  });

  test('JoinGroup v6, SyncGroup v4, Heartbeat v4 and LeaveGroup v4: the group membership responses', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const members = list(rng, (index) => ({ memberId: `member-${index}`, groupInstanceId: nullableName(rng), metadata: rng.bytes(rng.nextInt(40)) }));
      const join = { throttleTimeMs: 0, errorCode: 0, generationId: int32(rng), protocolName: 'roundrobin', leader: 'member-0', memberId: name(rng), members };
      expect(parseWithPlatformatic(joinGroupV6.parseResponse, 11, 6, encodeOurs('JoinGroupResponse', 6, join), 1)).toStrictEqual({
        ...join,
        protocolType: '',
        skipAssignment: false,
      });
      const assignment = rng.bytes(rng.nextInt(60));
      expect(parseWithPlatformatic(syncGroupV4.parseResponse, 14, 4, encodeOurs('SyncGroupResponse', 4, { throttleTimeMs: 1, errorCode: 0, assignment }), 1)).toStrictEqual({
        throttleTimeMs: 1,
        errorCode: 0,
        protocolType: null,
        protocolName: null,
        assignment,
      });
      expect(parseWithPlatformatic(heartbeatV4.parseResponse, 12, 4, encodeOurs('HeartbeatResponse', 4, { throttleTimeMs: 0, errorCode: 0 }), 1)).toStrictEqual({
        throttleTimeMs: 0,
        errorCode: 0,
      });
      const leaving = list(rng, () => ({ memberId: name(rng), groupInstanceId: nullableName(rng), errorCode: 0 }));
      expect(parseWithPlatformatic(leaveGroupV4.parseResponse, 13, 4, encodeOurs('LeaveGroupResponse', 4, { throttleTimeMs: 0, errorCode: 0, members: leaving }), 1)).toStrictEqual({
        throttleTimeMs: 0,
        errorCode: 0,
        members: leaving,
      });
    }
  });

  test('Heartbeat v4 with REBALANCE_IN_PROGRESS surfaces as a ResponseError carrying the code', () => {
    let caught: unknown;
    try {
      heartbeatV4.parseResponse(7, 12, 4, Reader.from(encodeOurs('HeartbeatResponse', 4, { errorCode: 27 })));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'PLT_KFK_RESPONSE', errors: [{ apiCode: 27 }] });
  });

  test('OffsetCommit v8 and OffsetFetch v8: per-partition results, grouped by group for the fetch', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const committed = uniqueNames(rng).map((topic) => ({ name: topic, partitions: list(rng, (partitionIndex) => ({ partitionIndex, errorCode: 0 })) }));
      expect(parseWithPlatformatic(offsetCommitV8.parseResponse, 8, 8, encodeOurs('OffsetCommitResponse', 8, { throttleTimeMs: 0, topics: committed }), 1)).toStrictEqual({
        throttleTimeMs: 0,
        topics: committed,
      });
      const groups = list(rng, () => ({
        groupId: name(rng),
        topics: uniqueNames(rng).map((topic) => ({
          name: topic,
          partitions: list(rng, (partitionIndex) => ({ partitionIndex, committedOffset: int64(rng), committedLeaderEpoch: rng.nextInt(4) - 1, metadata: nullableName(rng), errorCode: 0 })),
        })),
        errorCode: 0,
      }));
      expect(parseWithPlatformatic(offsetFetchV8.parseResponse, 9, 8, encodeOurs('OffsetFetchResponse', 8, { throttleTimeMs: 0, groups }), 1)).toStrictEqual({
        throttleTimeMs: 0,
        groups: groups.map((group) => ({
          ...group,
          topics: group.topics.map((topic) => ({ ...topic, partitions: topic.partitions.map((partition) => ({ ...partition, committedOffset: BigInt(partition.committedOffset) })) })),
        })),
      });
    }
  });

  test('CreateTopics v7, DeleteTopics v6 and CreatePartitions v1: per-topic results', () => {
    for (const seed of SEEDS) {
      const rng = new Prng(seed);
      const created = uniqueNames(rng).map((topic) => ({
        name: topic,
        topicId: rng.bytes(16),
        errorCode: 0,
        errorMessage: nullableName(rng),
        numPartitions: 1 + rng.nextInt(10),
        replicationFactor: 1,
        configs: list(rng, () => ({ name: pick(rng, ['cleanup.policy', 'retention.ms']), value: nullableName(rng), readOnly: false, configSource: 5, isSensitive: false })),
      }));
      expect(parseWithPlatformatic(createTopicsV7.parseResponse, 19, 7, encodeOurs('CreateTopicsResponse', 7, { throttleTimeMs: 0, topics: created }), 1)).toStrictEqual({
        throttleTimeMs: 0,
        topics: created.map((topic) => ({ ...topic, topicId: uuidString(topic.topicId) })),
      });
      const deleted = list(rng, () => ({ name: nullableName(rng), topicId: rng.bytes(16), errorCode: 0, errorMessage: nullableName(rng) }));
      expect(parseWithPlatformatic(deleteTopicsV6.parseResponse, 20, 6, encodeOurs('DeleteTopicsResponse', 6, { throttleTimeMs: 0, responses: deleted }), 1)).toStrictEqual({
        throttleTimeMs: 0,
        responses: deleted.map((topic) => ({ ...topic, topicId: uuidString(topic.topicId) })),
      });
      const grown = uniqueNames(rng).map((topic) => ({ name: topic, errorCode: 0, errorMessage: nullableName(rng) }));
      expect(parseWithPlatformatic(createPartitionsV1.parseResponse, 37, 1, encodeOurs('CreatePartitionsResponse', 1, { throttleTimeMs: 0, results: grown }), 0)).toStrictEqual({
        throttleTimeMs: 0,
        results: grown,
      });
    }
  });

  test('ApiVersions v3: Brook’s advertised table', () => {
    const apiKeys = SERVED_APIS.map((api) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }));
    const parsed = parseWithPlatformatic(apiVersionsV3.parseResponse, 18, 3, encodeOurs('ApiVersionsResponse', 3, { errorCode: 0, apiKeys, throttleTimeMs: 0 }), 1);
    expect(parsed.errorCode).toBe(0);
    expect(parsed.throttleTimeMs).toBe(0);
    expect(parsed.apiKeys.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))).toStrictEqual(apiKeys);
  });

  test('InitProducerId v3, DescribeGroups v5, ListGroups v4 and DeleteGroups v2', () => {
    expect(
      parseWithPlatformatic(initProducerIdV3.parseResponse, 22, 3, encodeOurs('InitProducerIdResponse', 3, { throttleTimeMs: 0, errorCode: 0, producerId: 4_000_000_000_123, producerEpoch: 2 }), 1),
    ).toStrictEqual({ throttleTimeMs: 0, errorCode: 0, producerId: 4_000_000_000_123n, producerEpoch: 2 });
    const members = [{ memberId: 'm-1', groupInstanceId: null, clientId: 'plt', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1, 2]), memberAssignment: Buffer.alloc(0) }];
    const groups = [{ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'roundrobin', members, authorizedOperations: -2147483648 }];
    expect(parseWithPlatformatic(describeGroupsV5.parseResponse, 15, 5, encodeOurs('DescribeGroupsResponse', 5, { throttleTimeMs: 0, groups }), 1)).toStrictEqual({
      throttleTimeMs: 0,
      groups,
    });
    const listed = [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable' }];
    expect(parseWithPlatformatic(listGroupsV4.parseResponse, 16, 4, encodeOurs('ListGroupsResponse', 4, { throttleTimeMs: 0, errorCode: 0, groups: listed }), 1)).toStrictEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      groups: listed,
    });
    const results = [{ groupId: 'g', errorCode: 0 }, { groupId: 'grüppe', errorCode: 0 }];
    expect(parseWithPlatformatic(deleteGroupsV2.parseResponse, 42, 2, encodeOurs('DeleteGroupsResponse', 2, { throttleTimeMs: 0, results }), 1)).toStrictEqual({
      throttleTimeMs: 0,
      results,
    });
  });
});

describe('@platformatic/kafka 1.35.0 DescribeConfigs "v2" is the v3 layout', () => {
  const resources = [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }];
  const results = [
    {
      errorCode: 0,
      errorMessage: null,
      resourceType: 2,
      resourceName: 'orders',
      configs: [{ name: 'retention.ms', value: '604800000', readOnly: false, configSource: 5, isSensitive: false, synonyms: [], configType: 5, documentation: null }],
    },
  ];

  test('its v2 request carries v3’s IncludeDocumentation: our v2 decoder leaves one byte, our v3 decoder reads it all', () => {
    const body = describeConfigsV2.createRequest(resources, false, false).buffer;
    const asV2 = new WireReader(body);
    codecFor('DescribeConfigsRequest', 2).decode(asV2);
    expect(body.length - asV2.offset).toBe(1);
    expect(decodeRequest('DescribeConfigsRequest', 3, describeConfigsV2.createRequest(resources, true, false))).toStrictEqual({ resources, includeSynonyms: true, includeDocumentation: false });
  });

  test('its v2 parser reads a real v2 config entry wrongly but reads our v3 response exactly', () => {
    // v2 has no ConfigType/Documentation: platformatic reads past the entry and fails.
    const v2Body = encodeOurs('DescribeConfigsResponse', 2, { throttleTimeMs: 0, results });
    expect(() => describeConfigsV2.parseResponse(7, 32, 2, Reader.from(v2Body))).toThrow();
    // With no config entries the layouts coincide.
    const empty = [{ ...results[0]!, configs: [] }];
    expect(parseWithPlatformatic(describeConfigsV2.parseResponse, 32, 2, encodeOurs('DescribeConfigsResponse', 2, { throttleTimeMs: 0, results: empty }), 0)).toStrictEqual({
      throttleTimeMs: 0,
      results: empty,
    });
    const v3Body = encodeOurs('DescribeConfigsResponse', 3, { throttleTimeMs: 0, results });
    expect(parseWithPlatformatic(describeConfigsV3.parseResponse, 32, 3, v3Body, 0)).toStrictEqual({ throttleTimeMs: 0, results });
  });
});
