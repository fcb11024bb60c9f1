import { EngineError } from '../core/errors.js';
import { API_KEYS } from '../protocol/api-table.js';
import { kafkaErrorName } from '../protocol/kafka-error-codes.js';
import type { Decoded } from '../protocol/schema/schema-types.js';
import { KafkaConnection, parseAddress } from './kafka-connection.js';

/**
 * The operations the CLI and `brook bench` need from a running broker, over one connection to
 * it (a single-node cluster: Brook's server, or the node of a Kafka cluster that leads the
 * partitions asked for). Versions are ones both Brook and Kafka 2.4+ serve. A non-zero error code
 * in a response becomes a KafkaResponseError naming Kafka's error.
 */


export class KafkaResponseError extends EngineError {
  override name = 'KafkaResponseError';
  readonly kafkaCode: number;
  constructor(what: string, kafkaCode: number, message?: string | null) {
    const name = kafkaErrorName(kafkaCode) ?? `error ${kafkaCode}`;
    super('BROKER_ERROR', `${what}: the broker answered ${name} (${kafkaCode})${message ? `: ${message}` : ''}`);
    this.kafkaCode = kafkaCode;
  }
}

function check(what: string, errorCode: number, message?: string | null): void {
  if (errorCode !== 0) throw new KafkaResponseError(what, errorCode, message);
}

const METADATA = ['MetadataRequest', 'MetadataResponse'] as const;
const PRODUCE = ['ProduceRequest', 'ProduceResponse'] as const;
const FETCH = ['FetchRequest', 'FetchResponse'] as const;
const LIST_OFFSETS = ['ListOffsetsRequest', 'ListOffsetsResponse'] as const;
const CREATE_TOPICS = ['CreateTopicsRequest', 'CreateTopicsResponse'] as const;
const DELETE_TOPICS = ['DeleteTopicsRequest', 'DeleteTopicsResponse'] as const;
const CREATE_PARTITIONS = ['CreatePartitionsRequest', 'CreatePartitionsResponse'] as const;
const DESCRIBE_CONFIGS = ['DescribeConfigsRequest', 'DescribeConfigsResponse'] as const;
const LIST_GROUPS = ['ListGroupsRequest', 'ListGroupsResponse'] as const;
const DESCRIBE_GROUPS = ['DescribeGroupsRequest', 'DescribeGroupsResponse'] as const;
const OFFSET_FETCH = ['OffsetFetchRequest', 'OffsetFetchResponse'] as const;
const OFFSET_COMMIT = ['OffsetCommitRequest', 'OffsetCommitResponse'] as const;

export interface RemoteTopic {
  readonly name: string;
  readonly partitions: number;
}

export interface RemotePartitionData {
  readonly partition: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Stored batches as sent by the broker (Kafka RecordBatch v2 bytes), or empty. */
  readonly records: Buffer;
}

/** ListOffsets timestamps: Kafka's special values. */
export const LATEST = -1;
export const EARLIEST = -2;

export class RemoteBroker {
  readonly address: string;
  readonly #connection: KafkaConnection;

  private constructor(address: string, connection: KafkaConnection) {
    this.address = address;
    this.#connection = connection;
  }

  static async connect(address: string, clientId = 'brook-cli'): Promise<RemoteBroker> {
    const { host, port } = parseAddress(address);
    return new RemoteBroker(address, await KafkaConnection.connect({ host, port, clientId }));
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Topics (all, or those named) with their partition counts; internal topics included. */
  async topics(names: ReadonlyArray<string> | null = null): Promise<RemoteTopic[]> {
    const response = await this.#connection.request(API_KEYS.Metadata, 9, METADATA, {
      topics: names === null ? null : names.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    return response.topics.map((topic) => {
      check(`topic "${topic.name ?? ''}"`, topic.errorCode);
      return { name: topic.name ?? '', partitions: topic.partitions.length };
    });
  }

  async createTopic(name: string, partitions: number, config: Readonly<Record<string, string>>): Promise<void> {
    const response = await this.#connection.request(API_KEYS.CreateTopics, 5, CREATE_TOPICS, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor: -1,
          assignments: [],
          configs: Object.entries(config).map(([key, value]) => ({ name: key, value })),
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    for (const topic of response.topics) check(`create topic "${name}"`, topic.errorCode, topic.errorMessage);
  }

  async deleteTopic(name: string): Promise<void> {
    const response = await this.#connection.request(API_KEYS.DeleteTopics, 4, DELETE_TOPICS, { topicNames: [name], timeoutMs: 30_000 });
    for (const topic of response.responses) check(`delete topic "${name}"`, topic.errorCode);
  }

  async createPartitions(name: string, count: number): Promise<void> {
    const response = await this.#connection.request(API_KEYS.CreatePartitions, 1, CREATE_PARTITIONS, {
      topics: [{ name, count, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    for (const result of response.results) check(`add partitions to "${name}"`, result.errorCode, result.errorMessage);
  }

  /** A topic's settings as the broker reports them: name → value, source (Kafka's source codes). */
  async topicConfig(name: string): Promise<Array<{ name: string; value: string | null; source: number }>> {
    const response = await this.#connection.request(API_KEYS.DescribeConfigs, 3, DESCRIBE_CONFIGS, {
      resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const result = response.results[0];
    if (result === undefined) throw new KafkaResponseError(`describe configs of "${name}"`, -1, 'no result');
    check(`describe configs of "${name}"`, result.errorCode, result.errorMessage);
    return result.configs.map((config) => ({ name: config.name, value: config.value, source: config.configSource }));
  }

  /** Offsets by time (or LATEST / EARLIEST) for each partition of a topic. */
  async listOffsets(topic: string, partitions: ReadonlyArray<number>, timestamp: number): Promise<Map<number, number>> {
    const response = await this.#connection.request(API_KEYS.ListOffsets, 5, LIST_OFFSETS, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) }],
    });
    const offsets = new Map<number, number>();
    for (const entry of response.topics) {
      for (const partition of entry.partitions) {
        check(`list offsets of ${topic}-${partition.partitionIndex}`, partition.errorCode);
        offsets.set(partition.partitionIndex, partition.offset);
      }
    }
    return offsets;
  }

  /**
   * Append one RecordBatch to a partition. With acks=0 nothing is awaited and the base offset is
   * unknown (-1).
   */
  async produce(topic: string, partition: number, batch: Buffer, acks: -1 | 0 | 1, timeoutMs = 30_000): Promise<number> {
    const response = await this.#connection.request(
      API_KEYS.Produce,
      7,
      PRODUCE,
      { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] },
      { expectResponse: acks !== 0 },
    );
    if (acks === 0) return -1;
    const result = response.responses[0]?.partitionResponses[0];
    if (result === undefined) throw new KafkaResponseError(`produce to ${topic}-${partition}`, -1, 'no partition in the response');
    check(`produce to ${topic}-${partition}`, result.errorCode, result.errorMessage);
    return result.baseOffset;
  }

  /** Fetch from several partitions of one topic; waits up to maxWaitMs for minBytes. */
  async fetch(
    topic: string,
    positions: ReadonlyArray<{ readonly partition: number; readonly offset: number }>,
    options: { readonly maxWaitMs: number; readonly minBytes: number; readonly maxBytes: number; readonly partitionMaxBytes: number },
  ): Promise<RemotePartitionData[]> {
    const response: Decoded<'FetchResponse'> = await this.#connection.request(API_KEYS.Fetch, 11, FETCH, {
      replicaId: -1,
      maxWaitMs: options.maxWaitMs,
      minBytes: options.minBytes,
      maxBytes: options.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: positions.map(({ partition, offset }) => ({
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            logStartOffset: -1,
            partitionMaxBytes: options.partitionMaxBytes,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    check('fetch', response.errorCode);
    const out: RemotePartitionData[] = [];
    for (const entry of response.responses) {
      for (const partition of entry.partitions) {
        check(`fetch ${topic}-${partition.partitionIndex}`, partition.errorCode);
        const records = partition.records;
        out.push({
          partition: partition.partitionIndex,
          highWatermark: partition.highWatermark,
          logStartOffset: partition.logStartOffset,
          records: records === null ? Buffer.alloc(0) : records,
        });
      }
    }
    return out;
  }

  async listGroups(): Promise<Array<{ groupId: string; state: string; protocolType: string }>> {
    const response = await this.#connection.request(API_KEYS.ListGroups, 4, LIST_GROUPS, { statesFilter: [] });
    check('list groups', response.errorCode);
    return response.groups.map((group) => ({ groupId: group.groupId, state: group.groupState, protocolType: group.protocolType }));
  }

  async describeGroup(groupId: string): Promise<Decoded<'DescribeGroupsResponse'>['groups'][number]> {
    const response = await this.#connection.request(API_KEYS.DescribeGroups, 5, DESCRIBE_GROUPS, { groups: [groupId], includeAuthorizedOperations: false });
    const group = response.groups[0];
    if (group === undefined) throw new KafkaResponseError(`describe group "${groupId}"`, -1, 'no group in the response');
    check(`describe group "${groupId}"`, group.errorCode);
    return group;
  }

  /** Committed offsets of a group: all its partitions (topics null) or those of the topics named. */
  async committedOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: number[] }> | null = null): Promise<Array<{ topic: string; partition: number; offset: number; metadata: string | null }>> {
    const response = await this.#connection.request(API_KEYS.OffsetFetch, 7, OFFSET_FETCH, {
      groupId,
      topics: topics === null ? null : topics.map((topic) => ({ name: topic.name, partitionIndexes: topic.partitions })),
      requireStable: false,
    });
    check(`committed offsets of "${groupId}"`, response.errorCode);
    const out: Array<{ topic: string; partition: number; offset: number; metadata: string | null }> = [];
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        check(`committed offset of ${topic.name}-${partition.partitionIndex}`, partition.errorCode);
        out.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset, metadata: partition.metadata });
      }
    }
    return out;
  }

  /** Commit offsets as a simple (generation -1) consumer; the group must have no active members. */
  async commitOffsets(groupId: string, offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>): Promise<void> {
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: number; committedMetadata: string }>>();
    for (const entry of offsets) {
      const list = byTopic.get(entry.topic) ?? [];
      list.push({ partitionIndex: entry.partition, committedOffset: entry.offset, committedMetadata: '' });
      byTopic.set(entry.topic, list);
    }
    const response = await this.#connection.request(API_KEYS.OffsetCommit, 8, OFFSET_COMMIT, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const topic of response.topics) {
      for (const partition of topic.partitions) check(`commit ${topic.name}-${partition.partitionIndex} for "${groupId}"`, partition.errorCode);
    }
  }
}
