import { Buffer } from 'node:buffer';
import { AssignerProtocol, CompressionCodecs, CompressionTypes, Kafka, logLevel, type Assignment, type PartitionAssigner } from 'kafkajs';
import { lz4FrameCompress, lz4FrameDecompress } from '../../../src/records/lz4-frame.js';
import type { ServedBroker } from '../../helpers/served-broker.js';

/** KafkaJS 2.2.4 against a served broker: the client, its group timings, an LZ4 codec and an assigner. */
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const DECOMPRESSED_LIMIT = 64 * 1024 * 1024;

/**
 * KafkaJS ships no LZ4 codec (design R4): register a test-only one built on Brook's own LZ4 frame
 * functions, so that KafkaJS both produces LZ4 batches and decodes the ones it fetches.
 */
export function registerKafkaJsLz4(): void {
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }): Promise<Buffer> => lz4FrameCompress(encoder.buffer),
    decompress: async (buffer: Buffer): Promise<Buffer> => lz4FrameDecompress(buffer, DECOMPRESSED_LIMIT),
  });
}

/** Short backoffs so that a retry does not outlast a test. */
export function kafkaJsRetry(retries: number): { retries: number; initialRetryTime: number; maxRetryTime: number } {
  return { retries, initialRetryTime: 100, maxRetryTime: 1000 };
}

/** A KafkaJS client of the served broker, silent, with short timeouts. */
export function kafkaJs(served: ServedBroker, clientId: string, retries: number): Kafka {
  return new Kafka({
    clientId,
    brokers: [served.address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: kafkaJsRetry(retries),
  });
}

/** Group consumer timings short enough for tests: a member that leaves is noticed in seconds. */
export const KAFKAJS_GROUP_TIMINGS = { sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 } as const;

/**
 * Kafka's RoundRobinAssignor, as a KafkaJS assigner: KafkaJS's own round robin is named
 * 'RoundRobinAssigner', a name no other client lists, so a mixed group could not agree on it.
 * Members in member id order; every partition of every subscribed topic (topics sorted, then
 * partitions ascending) dealt in turn, skipping members not subscribed to the topic. Every member
 * gets an assignment, empty or not.
 */
export const kafkaRoundRobin: PartitionAssigner = ({ cluster }) => ({
  name: 'roundrobin',
  version: 0,
  async assign({ members, topics }) {
    const circle = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const subscribed = circle.map((member) => new Set(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics ?? []));
    const assignments: Assignment[] = circle.map(() => ({}));
    let next = 0;
    for (const topic of [...topics].sort()) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((metadata) => metadata.partitionId)
        .sort((a, b) => a - b);
      if (!subscribed.some((topics) => topics.has(topic))) continue;
      for (const partition of partitions) {
        while (!subscribed[next]!.has(topic)) next = (next + 1) % circle.length;
        const assignment = assignments[next]!;
        (assignment[topic] ??= []).push(partition);
        next = (next + 1) % circle.length;
      }
    }
    return circle.map((member, index) => ({
      memberId: member.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignments[index]!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'roundrobin', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
