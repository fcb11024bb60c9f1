import { EngineError } from '../../core/errors.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../groups/offsets-records.js';
import { API_KEYS } from '../../protocol/api-table.js';
import type { ElementOf, Encodable } from '../../protocol/schema/schema-types.js';
import { KAFKA, kafkaErrorCode } from '../kafka-errors.js';
import type { RequestContext } from '../request-context.js';
import type { HandlerRegistry } from './registry.js';

type TopicMetadata = ElementOf<Encodable<'MetadataResponse'>['topics']>;

/**
 * Metadata: one broker (this one, also the controller), every partition led by it with leader
 * epoch 0. v0 with an empty list and v1+ with null ask for every topic. A named topic that does
 * not exist is created when auto.create.topics.enable is on and the request allows it (v0-3
 * always, v4+ by allow_auto_topic_creation), as Kafka does; it is answered fully formed.
 */
export function registerMetadataHandler(registry: HandlerRegistry): void {
  registry.register<'MetadataRequest', 'MetadataResponse'>(API_KEYS.Metadata, async (context, request) => {
    const { broker, config } = context.state;
    const version = context.header.apiVersion;
    const all = request.topics === null || (version === 0 && request.topics.length === 0);
    const names = all || request.topics === null ? broker.listTopics() : request.topics.map((topic) => topic.name ?? '');
    const mayCreate = config.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation);
    const topics: TopicMetadata[] = [];
    for (const name of names) topics.push(await describe(context, name, mayCreate && !all));
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: config.nodeId, host: config.advertisedHost, port: config.port, rack: null }],
      clusterId: config.clusterId,
      controllerId: config.nodeId,
      topics,
    };
  });
}

async function describe(context: RequestContext, name: string, mayCreate: boolean): Promise<TopicMetadata> {
  const { broker, config } = context.state;
  const failed = (errorCode: number): TopicMetadata => ({ errorCode, name, isInternal: false, partitions: [] });
  if (!broker.hasTopic(name)) {
    if (!mayCreate) return failed(KAFKA.UNKNOWN_TOPIC_OR_PARTITION);
    try {
      await broker.createTopic(name);
    } catch (error) {
      // Another request may have created it meanwhile.
      if (!(error instanceof EngineError && error.code === 'TOPIC_EXISTS')) return failed(kafkaErrorCode(error));
    }
  }
  const count = broker.partitionCount(name);
  const partitions = [];
  for (let partitionIndex = 0; partitionIndex < count; partitionIndex++) {
    partitions.push({
      errorCode: KAFKA.NONE,
      partitionIndex,
      leaderId: config.nodeId,
      leaderEpoch: 0,
      replicaNodes: [config.nodeId],
      isrNodes: [config.nodeId],
      offlineReplicas: [],
    });
  }
  return { errorCode: KAFKA.NONE, name, isInternal: name === CONSUMER_OFFSETS_TOPIC, partitions };
}
