"""Consume assigned partitions (no group) with KafkaConsumer.assign + seek, up to the end offsets.

spec: {
  "topic": str,
  "partitions": [int],
  "seek": {"<partition>": offset} (optional; partitions without an entry start at the beginning),
  "timesToLookUp": {"<partition>": timestampMs} (optional, answered via offsets_for_times),
  "timeoutMs": int (optional, default 15000)
}
prints: {"apiVersion", "beginningOffsets", "endOffsets", "offsetsForTimes", "records", "positions"}
Reading stops once every partition's position reaches its end offset (taken before reading).
"""

import time

from kafka import KafkaConsumer, TopicPartition

from common import CONSUMER_DEFAULTS, emit, parse_args, record_json


def main():
    bootstrap, spec = parse_args()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        **CONSUMER_DEFAULTS,
    )
    topic = spec['topic']
    partitions = [TopicPartition(topic, partition) for partition in spec['partitions']]
    consumer.assign(partitions)
    seek = spec.get('seek', {})
    for tp in partitions:
        if str(tp.partition) in seek:
            consumer.seek(tp, seek[str(tp.partition)])
        else:
            consumer.seek_to_beginning(tp)
    beginning = consumer.beginning_offsets(partitions)
    end = consumer.end_offsets(partitions)
    times = {}
    if spec.get('timesToLookUp'):
        lookups = {TopicPartition(topic, int(p)): ts for p, ts in spec['timesToLookUp'].items()}
        found = consumer.offsets_for_times(lookups)
        for tp, answer in found.items():
            times[str(tp.partition)] = None if answer is None else {'offset': answer.offset, 'timestamp': answer.timestamp}

    records = []
    deadline = time.time() + spec.get('timeoutMs', 15000) / 1000.0
    while time.time() < deadline:
        if all(consumer.position(tp) >= end[tp] for tp in partitions):
            break
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(record_json(record) for record in batch)
    emit({
        'apiVersion': list(consumer.config['api_version']),
        'beginningOffsets': {str(tp.partition): offset for tp, offset in beginning.items()},
        'endOffsets': {str(tp.partition): offset for tp, offset in end.items()},
        'offsetsForTimes': times,
        'records': records,
        'positions': {str(tp.partition): consumer.position(tp) for tp in partitions},
    })
    consumer.close()


if __name__ == '__main__':
    main()
