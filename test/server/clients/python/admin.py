"""Run KafkaAdminClient operations in order and report each outcome.

spec: {"ops": [
  {"op": "create_topics", "topics": [{"name", "partitions", "replicationFactor", "configs": {}}],
   "validateOnly": bool},
  {"op": "delete_topics", "topics": [str]},
  {"op": "create_partitions", "topic": str, "totalCount": int},
  {"op": "describe_configs", "topics": [str]},
  {"op": "list_topics"},
  {"op": "describe_topics", "topics": [str]},
  {"op": "list_consumer_groups"},
  {"op": "describe_consumer_groups", "groupIds": [str]},
  {"op": "list_consumer_group_offsets", "groupId": str}
]}
prints: {"controllerVersion": [..], "results": [{"op", "result"} | {"op", "error", "message"}]}
kafka-python raises the first per-topic error of CreateTopics/DeleteTopics/CreatePartitions; the
exception's class name (e.g. TopicAlreadyExistsError) is what "error" carries.
"""

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic

from common import CLIENT_DEFAULTS, emit, error_name, parse_args


def topic_errors(response):
    errors = response.topic_errors if hasattr(response, 'topic_errors') else response.topic_error_codes
    return [[entry[0], entry[1]] for entry in errors]


def run(admin, op):
    kind = op['op']
    if kind == 'create_topics':
        topics = [
            NewTopic(
                name=topic['name'],
                num_partitions=topic.get('partitions', -1),
                replication_factor=topic.get('replicationFactor', 1),
                topic_configs=topic.get('configs', {}),
            )
            for topic in op['topics']
        ]
        response = admin.create_topics(topics, timeout_ms=10000, validate_only=op.get('validateOnly', False))
        return {'version': response.API_VERSION, 'topicErrors': topic_errors(response)}
    if kind == 'delete_topics':
        response = admin.delete_topics(op['topics'], timeout_ms=10000)
        return {'version': response.API_VERSION, 'topicErrors': topic_errors(response)}
    if kind == 'create_partitions':
        response = admin.create_partitions({op['topic']: NewPartitions(op['totalCount'])}, timeout_ms=10000)
        return {'version': response.API_VERSION, 'topicErrors': topic_errors(response)}
    if kind == 'describe_configs':
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in op['topics']]
        described = []
        for response in admin.describe_configs(resources):
            for error_code, _message, _type, name, entries in response.resources:
                described.append({
                    'version': response.API_VERSION,
                    'name': name,
                    'errorCode': error_code,
                    # [name, value, read_only, config_source (v1 in kafka-python: is_default), is_sensitive]
                    'configs': [list(entry[:5]) for entry in entries],
                })
        return described
    if kind == 'list_topics':
        return sorted(admin.list_topics())
    if kind == 'describe_topics':
        return [
            {
                'topic': topic['topic'],
                'errorCode': topic['error_code'],
                'partitions': sorted(partition['partition'] for partition in topic['partitions']),
            }
            for topic in admin.describe_topics(op['topics'])
        ]
    if kind == 'list_consumer_groups':
        return sorted([group[0], group[1]] for group in admin.list_consumer_groups())
    if kind == 'describe_consumer_groups':
        return [
            {'group': group.group, 'state': group.state, 'protocolType': group.protocol_type,
             'protocol': group.protocol, 'members': len(group.members)}
            for group in admin.describe_consumer_groups(op['groupIds'])
        ]
    if kind == 'list_consumer_group_offsets':
        offsets = admin.list_consumer_group_offsets(op['groupId'])
        return {'%s:%d' % (tp.topic, tp.partition): value.offset for tp, value in offsets.items()}
    raise ValueError('unknown op ' + kind)


def main():
    bootstrap, spec = parse_args()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='brook-admin', **CLIENT_DEFAULTS)
    results = []
    for op in spec['ops']:
        try:
            results.append({'op': op['op'], 'result': run(admin, op)})
        except Exception as error:  # reported to the test, which decides
            results.append({'op': op['op'], 'error': error_name(error), 'message': str(error)})
    version = list(admin.config['api_version'])
    admin.close()
    emit({'apiVersion': version, 'results': results})


if __name__ == '__main__':
    main()
