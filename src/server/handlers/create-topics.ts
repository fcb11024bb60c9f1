import type { Broker, ConfigSource } from '../../broker/broker.js';
import { collisionKey, validateTopicName } from '../../broker/topic-name.js';
import type { Decoded, Encodable } from '../../protocol/schema/schema-types.js';
import { resolveLogConfig, type LogConfig, type LogConfigInput } from '../../storage/config.js';
import { errorMessage, KAFKA } from '../kafka-errors.js';
import type { ServerState } from '../request-context.js';
import { CONFIG_SOURCE, PARTITIONS_MAX, Refusal, ZERO_UUID, configText, defaultPartitions, duplicates, refusalOf, uuidBytes } from './admin-common.js';

/** CreateTopics v0-7 (see admin.ts for the choices where Kafka leaves room). */

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

export async function createTopics(state: ServerState, request: Decoded<'CreateTopicsRequest'>): Promise<Encodable<'CreateTopicsResponse'>> {
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
