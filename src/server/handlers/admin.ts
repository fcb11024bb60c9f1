import { API_KEYS } from '../../protocol/api-table.js';
import type { HandlerRegistry } from './registry.js';
import { serialised } from './admin-common.js';
import { createTopics } from './create-topics.js';
import { describeConfigs } from './describe-configs.js';
import { createPartitions, deleteTopics } from './topic-changes.js';

/**
 * Topic administration (kafka-protocol.md §6 "Admin"): CreateTopics v0-7, DeleteTopics v0-6,
 * CreatePartitions v0-1 and DescribeConfigs v0-3, all answered by this single node (it is the
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
