import { Buffer } from 'node:buffer';
import type { Broker } from '../../broker/broker.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../groups/offsets-records.js';
import type { Decoded, Encodable } from '../../protocol/schema/schema-types.js';
import { KAFKA } from '../kafka-errors.js';
import type { ServerState } from '../request-context.js';
import { PARTITIONS_MAX, Refusal, UNKNOWN_TOPIC_ID, ZERO_UUID, duplicates, refusalOf, uuidBytes, uuidText } from './admin-common.js';

/** DeleteTopics v0-6 and CreatePartitions v0-1 (see admin.ts). */

type DeletableTopicResult = NonNullable<Encodable<'DeleteTopicsResponse'>['responses']>[number];

export async function deleteTopics(
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

export async function createPartitions(
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
