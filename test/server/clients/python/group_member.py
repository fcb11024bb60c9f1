"""A long-running group member: subscribes, polls, and reports each rebalance as a JSON line.

spec: {"topics": [str], "groupId": str, "clientId": str, "maxSeconds": int (default 50)}
prints one JSON object per line:
  {"event": "assigned", "partitions": [[topic, partition], ...]}   after each rebalance
  {"event": "revoked", "partitions": [...]}                        before each rebalance
  {"event": "closed", "records": n}                                after LeaveGroup
Stops (closing the consumer, which sends LeaveGroup) when stdin closes or a line reads "stop",
or after maxSeconds.
"""

import sys
import threading
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer

from common import CONSUMER_DEFAULTS, emit, parse_args


class Reporter(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({'event': 'revoked', 'partitions': sorted([tp.topic, tp.partition] for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        emit({'event': 'assigned', 'partitions': sorted([tp.topic, tp.partition] for tp in assigned)})


def main():
    bootstrap, spec = parse_args()
    stop = threading.Event()

    def watch_stdin():
        for line in sys.stdin:
            if line.strip() == 'stop':
                break
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=spec['groupId'],
        client_id=spec.get('clientId', 'brook-kafka-python'),
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        **CONSUMER_DEFAULTS,
    )
    consumer.subscribe(spec['topics'], listener=Reporter())
    records = 0
    deadline = time.time() + spec.get('maxSeconds', 50)
    while not stop.is_set() and time.time() < deadline:
        for batch in consumer.poll(timeout_ms=100).values():
            records += len(batch)
    consumer.close(autocommit=False)
    emit({'event': 'closed', 'records': records})


if __name__ == '__main__':
    main()
