import type { Broker } from '../../broker/broker.js';
import { validateTopicName } from '../../broker/topic-name.js';
import type { Decoded, Encodable } from '../../protocol/schema/schema-types.js';
import { resolveLogConfig } from '../../storage/config.js';
import { KAFKA } from '../kafka-errors.js';
import type { ServerState } from '../request-context.js';
import { CONFIG_SOURCE, RESOURCE_BROKER, RESOURCE_TOPIC, Refusal, configText, defaultPartitions, refusalOf } from './admin-common.js';

/** DescribeConfigs v0-3: every topic setting with its source, and the broker's own settings. */

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

export function describeConfigs(state: ServerState, request: Decoded<'DescribeConfigsRequest'>, version: number): Encodable<'DescribeConfigsResponse'> {
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
