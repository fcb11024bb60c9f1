"""Produce records with KafkaProducer and report what the broker acknowledged.

spec: {
  "topic": str,
  "acks": 0 | 1 | "all",
  "compression": null | "gzip" | "lz4" | ...,
  "lingerMs": int (optional, default 0),
  "records": [{"partition": int|null, "key": hex|null, "value": hex|null,
               "headers": [[str, hex|null]], "timestampMs": int|null}]
}
prints: {"apiVersion": [..], "results": [{"partition", "offset", "timestamp"} | {"error": str}]}
With acks=0 the producer gets no answer, so kafka-python reports offset -1.
"""

from kafka import KafkaProducer

from common import CLIENT_DEFAULTS, emit, error_name, from_hex, parse_args


def main():
    bootstrap, spec = parse_args()
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks=spec['acks'],
        compression_type=spec.get('compression'),
        linger_ms=spec.get('lingerMs', 0),
        retries=0,
        **CLIENT_DEFAULTS,
    )
    futures = []
    for record in spec['records']:
        futures.append(producer.send(
            spec['topic'],
            value=from_hex(record.get('value')),
            key=from_hex(record.get('key')),
            headers=[(key, from_hex(value)) for key, value in record.get('headers', [])],
            partition=record.get('partition'),
            timestamp_ms=record.get('timestampMs'),
        ))
    producer.flush(timeout=20)
    results = []
    for future in futures:
        try:
            metadata = future.get(timeout=20)
            results.append({'partition': metadata.partition, 'offset': metadata.offset, 'timestamp': metadata.timestamp})
        except Exception as error:  # reported to the test, which decides
            results.append({'error': error_name(error), 'message': str(error)})
    api_version = list(producer.config['api_version'])
    producer.close(timeout=10)
    emit({'apiVersion': api_version, 'results': results})


if __name__ == '__main__':
    main()
