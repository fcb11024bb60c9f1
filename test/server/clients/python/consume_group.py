"""Consume as a group member (KafkaConsumer(group_id=...).subscribe), commit, read the commits back.

spec: {
  "topics": [str],
  "groupId": str,
  "count": int (records to read before stopping),
  "commit": "sync" (default: commit() the positions) | "none",
  "autoOffsetReset": "earliest" (default) | "latest",
  "timeoutMs": int (optional, default 20000)
}
prints: {"records", "assignment": [[topic, partition]], "committed": {"topic:partition": offset|null}}
The consumer closes (LeaveGroup) before the script exits.
"""

import time

from kafka import KafkaConsumer

from common import CONSUMER_DEFAULTS, emit, parse_args, record_json


def main():
    bootstrap, spec = parse_args()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=spec['groupId'],
        client_id='brook-kafka-python',
        enable_auto_commit=False,
        auto_offset_reset=spec.get('autoOffsetReset', 'earliest'),
        **CONSUMER_DEFAULTS,
    )
    consumer.subscribe(spec['topics'])
    records = []
    deadline = time.time() + spec.get('timeoutMs', 20000) / 1000.0
    while len(records) < spec['count'] and time.time() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(record_json(record) for record in batch)
    if spec.get('commit', 'sync') == 'sync':
        consumer.commit()
    assignment = sorted(consumer.assignment())
    committed = {'%s:%d' % (tp.topic, tp.partition): consumer.committed(tp) for tp in assignment}
    emit({
        'records': records,
        'assignment': [[tp.topic, tp.partition] for tp in assignment],
        'committed': committed,
    })
    consumer.close(autocommit=False)


if __name__ == '__main__':
    main()
