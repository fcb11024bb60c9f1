import { Buffer } from 'node:buffer';
import type { Broker, ConfigSource } from '../../broker/broker.js';
import { collisionKey, validateTopicName } from '../../broker/topic-name.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../groups/offsets-records.js';
import { API_KEYS } from '../../protocol/api-table.js';
import type { Decoded, Encodable } from '../../protocol/schema/schema-types.js';
import { resolveLogConfig, type LogConfig, type LogConfigInput } from '../../storage/config.js';
import { errorMessage, KAFKA, kafkaErrorCode } from '../kafka-errors.js';
import type { ServerState } from '../request-context.js';
import type { HandlerRegistry } from './registry.js';

/**
 * Topic administration (kafka-protocol.md §6 "Admin"): CreateTopics v0-7, DeleteTopics v0-6,
 * CreatePartitions v0-1 and DescribeConfigs v0-2, all answered by this single node (it is the
 * controller clients route admin requests to).
 *
 * Every client-caused condition becomes a per-topic / per-resource error code, never a throw.
 * Choices where Kafka leaves room:
 * - CreateTopics `assignments` are accepted when they describe partitions 0..n-1, each placed on
 *   exactly this node (what a one-node cluster can honour); anything else is
 *   INVALID_REPLICA_ASSIGNMENT (39). As in Kafka, assignments together with an explicit partition
 *   count or replication factor are INVALID_REQUEST (42).
 * - `__consumer_offsets` holds the groups' committed offsets: DeleteTopics and CreatePartitions
 *   on it are refused with INVALID_REQUEST (42) (resizing it would move groups between partitions).
 * - Admin operations that change topics run one at a time per broker, so two clients creating the
 *   same topic at once get one success and one TOPIC_ALREADY_EXISTS.
 */
export function registerAdminHandlers(registry: HandlerRegistry): void {
  registry.register<'CreateTopicsRequest', 'CreateTopicsResponse'>(API_KEYS.CreateTopics, (context, request) =>
    serialised(context.state.broker, () => createTopics(context.state, request)),
  );
  registry.register<'DeleteTopicsRequest', 'DeleteTopicsResponse'>(API_KEYS.DeleteTopics, (context, request) =>
    serialised(context.state.broker, () => deleteTopics(context.state, request, context.header.apiVersion)),
  );
  registry.register<'CreatePartitionsRequest', 'CreatePartitionsResponse'>(API_KEYS.CreatePartitions, (context, request) =>
    serialised(context.state.broker, () => createPartitions(context.state, request)),
  );
  registry.register<'DescribeConfigsRequest', 'DescribeConfigsResponse'>(API_KEYS.DescribeConfigs, (context, request) =>
    describeConfigs(context.state, request, context.header.apiVersion),
  );
}

/** Kafka's UNKNOWN_TOPIC_ID, for DeleteTopics v6 by id (not in KAFKA: only this file uses it). */
const UNKNOWN_TOPIC_ID = 100;

/** Kafka's ConfigSource ids (DescribeConfigs v1+, CreateTopics v5+). */
const CONFIG_SOURCE = {
  TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const satisfies Record<ConfigSource, number>;

/** DescribeConfigs resource types. */
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

/** The Broker's own partition limit (broker.ts PARTITIONS_MAX), checked here for validateOnly. */
const PARTITIONS_MAX = 10_000;

/** Java's Long.MAX_VALUE, how Kafka writes "never" (Brook holds it as Infinity). */
const LONG_MAX_TEXT = '9223372036854775807';

const ZERO_UUID: Buffer = Buffer.alloc(16);

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Operations that change the topic table wait for each other, per broker. */
const queues = new WeakMap<Broker, Promise<unknown>>();

function serialised<T>(broker: Broker, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(broker) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(broker, tail);
  void tail.then(() => {
    if (queues.get(broker) === tail) queues.delete(broker);
  });
  return run;
}

/**
 * Accessors a Broker may offer for its broker-level defaults; read only when present.
 * `defaultPartitions` is the resolved `num.partitions` given at open.
 */
interface BrokerDefaultsView {
  readonly defaultPartitions?: unknown;
}

function defaultPartitions(broker: Broker): number | null {
  const value = (broker as Broker & BrokerDefaultsView).defaultPartitions;
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

/** A config value as Kafka writes it: lists comma-separated, "never" as Long.MAX_VALUE. */
function configText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : LONG_MAX_TEXT;
  return String(value);
}

/** Brook's topic ids are UUID strings; the wire carries the 16 raw bytes. */
function uuidBytes(id: string): Buffer {
  const hex = id.replaceAll('-', '');
  return /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : ZERO_UUID;
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Names given more than once in one request (Kafka answers those with INVALID_REQUEST). */
function duplicates(names: ReadonlyArray<string>): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return repeated;
}

/** A client-caused refusal: an error code and the message that goes with it. */
class Refusal {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

function refusalOf(error: unknown): Refusal {
  return new Refusal(kafkaErrorCode(error), errorMessage(error));
}

// ---------------------------------------------------------------------------------------------
// CreateTopics

type CreatableTopic = Decoded<'CreateTopicsRequest'>['topics'][number];
type CreatableTopicResult = NonNullable<Encodable<'CreateTopicsResponse'>['topics']>[number];
type CreatableTopicConfigs = NonNullable<CreatableTopicResult['configs']>[number];

interface CreatePlan {
  readonly name: string;
  /** null: the broker's num.partitions. */
  readonly partitions: number | null;
  readonly overrides: Record<string, string>;
  readonly resolved: LogConfig;
}

async function createTopics(state: ServerState, request: Decoded<'CreateTopicsRequest'>): Promise<Encodable<'CreateTopicsResponse'>> {
  const { broker } = state;
  const repeated = duplicates(request.topics.map((topic) => topic.name));
  const results: CreatableTopicResult[] = [];
  const reported = new Set<string>();
  for (const topic of request.topics) {
    if (repeated.has(topic.name)) {
      if (reported.has(topic.name)) continue;
      reported.add(topic.name);
      results.push(failedTopic(topic.name, new Refusal(KAFKA.INVALID_REQUEST, `topic "${topic.name}" is given more than once in this request`)));
      continue;
    }
    let plan: CreatePlan;
    try {
      plan = planTopic(broker, topic, state.config.nodeId);
    } catch (error) {
      results.push(failedTopic(topic.name, error instanceof Refusal ? error : refusalOf(error)));
      continue;
    }
    if (request.validateOnly) {
      results.push(validatedTopic(broker, plan));
      continue;
    }
    try {
      await broker.createTopic(plan.name, {
        ...(plan.partitions === null ? {} : { partitions: plan.partitions }),
        config: plan.overrides as LogConfigInput,
      });
    } catch (error) {
      results.push(failedTopic(topic.name, refusalOf(error)));
      continue;
    }
    results.push(createdTopic(broker, plan.name));
  }
  return { throttleTimeMs: 0, topics: results };
}

/** Every check createTopic makes, made up front so validateOnly answers as a real create would. */
function planTopic(broker: Broker, topic: CreatableTopic, nodeId: number): CreatePlan {
  try {
    validateTopicName(topic.name);
  } catch (error) {
    throw refusalOf(error);
  }
  if (broker.hasTopic(topic.name)) throw new Refusal(KAFKA.TOPIC_ALREADY_EXISTS, `topic "${topic.name}" already exists`);
  const collision = broker.listTopics().find((other) => collisionKey(other) === collisionKey(topic.name));
  if (collision !== undefined) {
    throw new Refusal(
      KAFKA.INVALID_TOPIC_EXCEPTION,
      `topic "${topic.name}" collides with "${collision}": names that differ only by '.' and '_' are not allowed together`,
    );
  }
  const partitions = topic.assignments.length > 0 ? partitionsFromAssignments(topic, nodeId) : partitionsFromCounts(topic);
  const overrides: Record<string, string> = {};
  for (const entry of topic.configs) {
    if (entry.value === null) {
      throw new Refusal(KAFKA.INVALID_CONFIG, `config "${entry.name}" of topic "${topic.name}" has a null value: give a value or leave the key out`);
    }
    overrides[entry.name] = entry.value;
  }
  let resolved: LogConfig;
  try {
    resolved = resolveLogConfig(overrides as LogConfigInput);
  } catch (error) {
    throw new Refusal(KAFKA.INVALID_CONFIG, errorMessage(error));
  }
  return { name: topic.name, partitions, overrides, resolved };
}

function partitionsFromCounts(topic: CreatableTopic): number | null {
  const { numPartitions, replicationFactor } = topic;
  if (replicationFactor !== -1 && replicationFactor !== 1) {
    throw new Refusal(
      KAFKA.INVALID_REPLICATION_FACTOR,
      replicationFactor < 1
        ? `replication factor ${replicationFactor} is invalid: it must be 1, or -1 for the broker default`
        : `replication factor ${replicationFactor} is larger than the 1 broker available`,
    );
  }
  if (numPartitions === -1) return null;
  if (numPartitions < 1 || numPartitions > PARTITIONS_MAX) {
    throw new Refusal(
      KAFKA.INVALID_PARTITIONS,
      `number of partitions ${numPartitions} is invalid: it must be in [1, ${PARTITIONS_MAX}], or -1 for the broker default`,
    );
  }
  return numPartitions;
}

/** Manual assignments: accepted when partitions 0..n-1 are each placed on exactly this node. */
function partitionsFromAssignments(topic: CreatableTopic, nodeId: number): number {
  if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
    throw new Refusal(
      KAFKA.INVALID_REQUEST,
      `topic "${topic.name}" gives both replica assignments and a partition count or replication factor: give one or the other`,
    );
  }
  const count = topic.assignments.length;
  if (count > PARTITIONS_MAX) {
    throw new Refusal(KAFKA.INVALID_PARTITIONS, `${count} partitions is too many: the limit is ${PARTITIONS_MAX}`);
  }
  const indexes = new Set<number>();
  for (const assignment of topic.assignments) {
    const { partitionIndex, brokerIds } = assignment;
    if (!Number.isSafeInteger(partitionIndex) || partitionIndex < 0 || partitionIndex >= count || indexes.has(partitionIndex)) {
      throw new Refusal(
        KAFKA.INVALID_REPLICA_ASSIGNMENT,
        `replica assignment of topic "${topic.name}" must name partitions 0..${count - 1} once each (got partition ${partitionIndex})`,
      );
    }
    indexes.add(partitionIndex);
    if (brokerIds.length !== 1 || brokerIds[0] !== nodeId) {
      throw new Refusal(
        KAFKA.INVALID_REPLICA_ASSIGNMENT,
        `partition ${partitionIndex} of topic "${topic.name}" is assigned to brokers [${brokerIds.join(', ')}]: this cluster has only broker ${nodeId}`,
      );
    }
  }
  return count;
}

function failedTopic(name: string, refusal: Refusal): CreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode: refusal.code,
    errorMessage: refusal.message,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}

function createdTopic(broker: Broker, name: string): CreatableTopicResult {
  const description = broker.describeTopic(name);
  return {
    name,
    topicId: uuidBytes(description.topicId),
    errorCode: KAFKA.NONE,
    errorMessage: null,
    numPartitions: description.partitions.length,
    replicationFactor: 1,
    configs: description.config.map((entry) => topicConfigEntry(entry.name, entry.value, entry.source)),
  };
}

/**
 * validateOnly: nothing is created. Without the broker's num.partitions (see BrokerDefaultsView),
 * a default partition count is reported as -1, and only the given overrides are listed, as the
 * broker-level defaults of the other keys are not visible from here.
 */
function validatedTopic(broker: Broker, plan: CreatePlan): CreatableTopicResult {
  return {
    name: plan.name,
    topicId: ZERO_UUID,
    errorCode: KAFKA.NONE,
    errorMessage: null,
    numPartitions: plan.partitions ?? defaultPartitions(broker) ?? -1,
    replicationFactor: 1,
    configs: Object.keys(plan.overrides).map((key) =>
      topicConfigEntry(key, (plan.resolved as unknown as Record<string, unknown>)[key], 'TOPIC_CONFIG'),
    ),
  };
}

function topicConfigEntry(name: string, value: unknown, source: ConfigSource): CreatableTopicConfigs {
  return { name, value: configText(value), readOnly: false, configSource: CONFIG_SOURCE[source], isSensitive: false };
}

// ---------------------------------------------------------------------------------------------
// DeleteTopics

type DeletableTopicResult = NonNullable<Encodable<'DeleteTopicsResponse'>['responses']>[number];

async function deleteTopics(
  state: ServerState,
  request: Decoded<'DeleteTopicsRequest'>,
  version: number,
): Promise<Encodable<'DeleteTopicsResponse'>> {
  const { broker } = state;
  const responses: DeletableTopicResult[] = [];
  if (version < 6) {
    const repeated = duplicates(request.topicNames);
    const reported = new Set<string>();
    for (const name of request.topicNames) {
      if (repeated.has(name)) {
        if (reported.has(name)) continue;
        reported.add(name);
        responses.push(deleteFailed(name, ZERO_UUID, new Refusal(KAFKA.INVALID_REQUEST, `topic "${name}" is given more than once in this request`)));
        continue;
      }
      responses.push(await deleteByName(broker, name));
    }
    return { throttleTimeMs: 0, responses };
  }
  const names = request.topics.flatMap((topic) => (topic.name === null ? [] : [topic.name]));
  const ids = request.topics.flatMap((topic) => (topic.name === null && !topic.topicId.equals(ZERO_UUID) ? [uuidText(topic.topicId)] : []));
  const repeated = duplicates([...names, ...ids]);
  const reported = new Set<string>();
  for (const topic of request.topics) {
    const hasId = !topic.topicId.equals(ZERO_UUID);
    if (topic.name !== null && hasId) {
      responses.push(
        deleteFailed(topic.name, topic.topicId, new Refusal(KAFKA.INVALID_REQUEST, 'give a topic name or a topic id, not both')),
      );
      continue;
    }
    if (topic.name === null && !hasId) {
      responses.push(deleteFailed(null, ZERO_UUID, new Refusal(KAFKA.INVALID_REQUEST, 'neither a topic name nor a topic id was given')));
      continue;
    }
    const key = topic.name ?? uuidText(topic.topicId);
    if (repeated.has(key)) {
      if (reported.has(key)) continue;
      reported.add(key);
      responses.push(deleteFailed(topic.name, topic.topicId, new Refusal(KAFKA.INVALID_REQUEST, `topic ${key} is given more than once in this request`)));
      continue;
    }
    if (topic.name !== null) {
      responses.push(await deleteByName(broker, topic.name));
      continue;
    }
    const id = uuidText(topic.topicId);
    const name = broker.listTopics().find((candidate) => broker.describeTopic(candidate).topicId === id);
    if (name === undefined) {
      responses.push(deleteFailed(null, topic.topicId, new Refusal(UNKNOWN_TOPIC_ID, `no topic has id ${id}`)));
      continue;
    }
    responses.push(await deleteByName(broker, name));
  }
  return { throttleTimeMs: 0, responses };
}

async function deleteByName(broker: Broker, name: string): Promise<DeletableTopicResult> {
  if (!broker.hasTopic(name)) {
    return deleteFailed(name, ZERO_UUID, new Refusal(KAFKA.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`));
  }
  if (name === CONSUMER_OFFSETS_TOPIC) {
    return deleteFailed(name, ZERO_UUID, new Refusal(KAFKA.INVALID_REQUEST, `${name} holds the consumer groups' committed offsets and cannot be deleted`));
  }
  let topicId: Buffer = ZERO_UUID;
  try {
    topicId = uuidBytes(broker.describeTopic(name).topicId);
    await broker.deleteTopic(name);
  } catch (error) {
    return deleteFailed(name, topicId, refusalOf(error));
  }
  return { name, topicId, errorCode: KAFKA.NONE, errorMessage: null };
}

function deleteFailed(name: string | null, topicId: Buffer, refusal: Refusal): DeletableTopicResult {
  return { name, topicId, errorCode: refusal.code, errorMessage: refusal.message };
}

// ---------------------------------------------------------------------------------------------
// CreatePartitions

type CreatePartitionsTopic = Decoded<'CreatePartitionsRequest'>['topics'][number];
type CreatePartitionsTopicResult = NonNullable<Encodable<'CreatePartitionsResponse'>['results']>[number];

async function createPartitions(
  state: ServerState,
  request: Decoded<'CreatePartitionsRequest'>,
): Promise<Encodable<'CreatePartitionsResponse'>> {
  const { broker } = state;
  const repeated = duplicates(request.topics.map((topic) => topic.name));
  const reported = new Set<string>();
  const results: CreatePartitionsTopicResult[] = [];
  for (const topic of request.topics) {
    if (repeated.has(topic.name)) {
      if (reported.has(topic.name)) continue;
      reported.add(topic.name);
      results.push(partitionsResult(topic.name, new Refusal(KAFKA.INVALID_REQUEST, `topic "${topic.name}" is given more than once in this request`)));
      continue;
    }
    const refusal = checkPartitions(broker, topic, state.config.nodeId);
    if (refusal !== null) {
      results.push(partitionsResult(topic.name, refusal));
      continue;
    }
    if (request.validateOnly) {
      results.push(partitionsResult(topic.name, null));
      continue;
    }
    try {
      await broker.createPartitions(topic.name, topic.count);
      results.push(partitionsResult(topic.name, null));
    } catch (error) {
      results.push(partitionsResult(topic.name, refusalOf(error)));
    }
  }
  return { throttleTimeMs: 0, results };
}

function checkPartitions(broker: Broker, topic: CreatePartitionsTopic, nodeId: number): Refusal | null {
  if (!broker.hasTopic(topic.name)) return new Refusal(KAFKA.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic.name}" does not exist`);
  if (topic.name === CONSUMER_OFFSETS_TOPIC) {
    return new Refusal(KAFKA.INVALID_REQUEST, `${topic.name} holds the consumer groups' committed offsets: its partition count cannot change`);
  }
  const current = broker.partitionCount(topic.name);
  if (topic.count <= current) {
    return new Refusal(
      KAFKA.INVALID_PARTITIONS,
      topic.count === current
        ? `topic "${topic.name}" already has ${current} partitions`
        : `topic "${topic.name}" has ${current} partitions; the new count must be greater (got ${topic.count}): partitions can be added, never removed`,
    );
  }
  if (topic.count > PARTITIONS_MAX) {
    return new Refusal(KAFKA.INVALID_PARTITIONS, `${topic.count} partitions is too many: the limit is ${PARTITIONS_MAX}`);
  }
  if (topic.assignments !== null) {
    const added = topic.count - current;
    if (topic.assignments.length !== added) {
      return new Refusal(
        KAFKA.INVALID_REPLICA_ASSIGNMENT,
        `${topic.assignments.length} replica assignments given for ${added} new partitions of topic "${topic.name}"`,
      );
    }
    const elsewhere = topic.assignments.find((assignment) => assignment.brokerIds.length !== 1 || assignment.brokerIds[0] !== nodeId);
    if (elsewhere !== undefined) {
      return new Refusal(
        KAFKA.INVALID_REPLICA_ASSIGNMENT,
        `a new partition of topic "${topic.name}" is assigned to brokers [${elsewhere.brokerIds.join(', ')}]: this cluster has only broker ${nodeId}`,
      );
    }
  }
  return null;
}

function partitionsResult(name: string, refusal: Refusal | null): CreatePartitionsTopicResult {
  return refusal === null
    ? { name, errorCode: KAFKA.NONE, errorMessage: null }
    : { name, errorCode: refusal.code, errorMessage: refusal.message };
}

// ---------------------------------------------------------------------------------------------
// DescribeConfigs

type DescribeConfigsResource = Decoded<'DescribeConfigsRequest'>['resources'][number];
type DescribeConfigsResult = NonNullable<Encodable<'DescribeConfigsResponse'>['results']>[number];
type DescribeConfigsEntry = NonNullable<DescribeConfigsResult['configs']>[number];
type DescribeConfigsSynonym = NonNullable<DescribeConfigsEntry['synonyms']>[number];

interface ConfigLine {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
  readonly readOnly: boolean;
  /** The chain behind the value, most specific first (the value itself included). */
  readonly synonyms: ReadonlyArray<DescribeConfigsSynonym>;
}

function describeConfigs(state: ServerState, request: Decoded<'DescribeConfigsRequest'>, version: number): Encodable<'DescribeConfigsResponse'> {
  const includeSynonyms = version >= 1 && request.includeSynonyms;
  const results = request.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    let lines: ReadonlyArray<ConfigLine>;
    try {
      lines = configLines(state, resource);
    } catch (error) {
      const refusal = error instanceof Refusal ? error : refusalOf(error);
      return { ...base, errorCode: refusal.code, errorMessage: refusal.message, configs: [] } satisfies DescribeConfigsResult;
    }
    const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys);
    const configs = lines
      .filter((line) => wanted === null || wanted.has(line.name))
      .map(
        (line): DescribeConfigsEntry => ({
          name: line.name,
          value: line.value,
          readOnly: line.readOnly,
          isDefault: line.source === CONFIG_SOURCE.DEFAULT_CONFIG,
          configSource: line.source,
          isSensitive: false,
          synonyms: includeSynonyms ? line.synonyms : [],
        }),
      );
    return { ...base, errorCode: KAFKA.NONE, errorMessage: null, configs } satisfies DescribeConfigsResult;
  });
  return { throttleTimeMs: 0, results };
}

function configLines(state: ServerState, resource: DescribeConfigsResource): ReadonlyArray<ConfigLine> {
  switch (resource.resourceType) {
    case RESOURCE_TOPIC:
      return topicConfigLines(state.broker, resource.resourceName);
    case RESOURCE_BROKER:
      return brokerConfigLines(state, resource.resourceName);
    default:
      throw new Refusal(
        KAFKA.INVALID_REQUEST,
        `resource type ${resource.resourceType} is not described here: use 2 (topic) or 4 (broker)`,
      );
  }
}

function topicConfigLines(broker: Broker, name: string): ReadonlyArray<ConfigLine> {
  try {
    validateTopicName(name);
  } catch (error) {
    throw refusalOf(error);
  }
  if (!broker.hasTopic(name)) throw new Refusal(KAFKA.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
  const defaults = resolveLogConfig() as unknown as Record<string, unknown>;
  return broker.describeTopic(name).config.map((entry) => {
    const value = configText(entry.value);
    const source = CONFIG_SOURCE[entry.source];
    const synonyms: DescribeConfigsSynonym[] = [{ name: entry.name, value, source }];
    // Kafka's own default underneath an override or a broker-level default.
    if (source !== CONFIG_SOURCE.DEFAULT_CONFIG) {
      synonyms.push({ name: entry.name, value: configText(defaults[entry.name]), source: CONFIG_SOURCE.DEFAULT_CONFIG });
    }
    return { name: entry.name, value, source, readOnly: false, synonyms };
  });
}

/**
 * The broker's own settings (resource name = its node id, or "" as Kafka allows): none can be
 * altered at run time, so all are read-only. A value equal to Kafka's default is DEFAULT_CONFIG,
 * otherwise STATIC_BROKER_CONFIG (given when the server started).
 */
function brokerConfigLines(state: ServerState, resourceName: string): ReadonlyArray<ConfigLine> {
  const { config } = state;
  if (resourceName !== '' && resourceName !== String(config.nodeId)) {
    throw new Refusal(KAFKA.INVALID_REQUEST, `unexpected broker id "${resourceName}": this broker is ${config.nodeId} (or give "")`);
  }
  const entries: Array<{ name: string; value: string; kafkaDefault: string | null }> = [
    { name: 'node.id', value: String(config.nodeId), kafkaDefault: null },
    { name: 'broker.id', value: String(config.nodeId), kafkaDefault: null },
    { name: 'listeners', value: `PLAINTEXT://${config.host}:${config.port}`, kafkaDefault: null },
    { name: 'advertised.listeners', value: `PLAINTEXT://${config.advertisedHost}:${config.port}`, kafkaDefault: null },
    { name: 'auto.create.topics.enable', value: String(config.autoCreateTopics), kafkaDefault: 'true' },
    { name: 'default.replication.factor', value: '1', kafkaDefault: '1' },
    { name: 'socket.request.max.bytes', value: String(config.requestBytesMax), kafkaDefault: '104857600' },
    { name: 'max.connections', value: String(config.connectionsMax), kafkaDefault: '2147483647' },
    { name: 'queued.max.requests', value: String(config.queuedRequestsMax), kafkaDefault: '500' },
    { name: 'connections.max.idle.ms', value: String(config.idleConnectionMs), kafkaDefault: '600000' },
  ];
  const partitions = defaultPartitions(state.broker);
  if (partitions !== null) entries.push({ name: 'num.partitions', value: String(partitions), kafkaDefault: '1' });
  return entries.map((entry) => {
    const source = entry.value === entry.kafkaDefault ? CONFIG_SOURCE.DEFAULT_CONFIG : CONFIG_SOURCE.STATIC_BROKER_CONFIG;
    return { name: entry.name, value: entry.value, source, readOnly: true, synonyms: [{ name: entry.name, value: entry.value, source }] };
  });
}
