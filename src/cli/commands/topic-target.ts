import type { Broker } from '../../broker/broker.js';
import { EngineError } from '../../core/errors.js';
import { KafkaResponseError, type RemoteBroker } from '../../client/remote-broker.js';
import type { Target } from '../broker-target.js';

/**
 * The topic `brook produce` and `brook consume` work on, found in a data directory or on a running
 * broker (see broker-target.ts). A missing topic is an error that names the command creating it.
 */
export function missingTopic(topic: string, target: Target): EngineError {
  const where = target.kind === 'data-dir' ? `--data-dir ${target.dataDir}` : `--bootstrap-server ${target.address}`;
  return new EngineError(
    'UNKNOWN_TOPIC_OR_PARTITION',
    `topic "${topic}" does not exist (${where}); create it first: brook topics create ${topic} ${where}`,
  );
}

/** The topic's partition count in an open data directory. */
export function localPartitionCount(broker: Broker, topic: string, target: Target): number {
  if (!broker.hasTopic(topic)) throw missingTopic(topic, target);
  return broker.partitionCount(topic);
}

/** The topic's partition count as the running broker reports it. */
export async function remotePartitionCount(client: RemoteBroker, topic: string, target: Target): Promise<number> {
  let found;
  try {
    [found] = await client.topics([topic]);
  } catch (error) {
    if (error instanceof KafkaResponseError && error.kafkaCode === 3) throw missingTopic(topic, target);
    throw error;
  }
  if (found === undefined || found.partitions === 0) throw missingTopic(topic, target);
  return found.partitions;
}

/** The partitions a command works on: one (checked against the count), or all. */
export function choosePartitions(topic: string, count: number, partition: number | undefined): number[] {
  if (partition === undefined) return Array.from({ length: count }, (_, index) => index);
  if (partition >= count) {
    throw new EngineError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${partition} does not exist in topic "${topic}" (it has ${count}: 0..${count - 1})`);
  }
  return [partition];
}
