"""Shared helpers for the kafka-python client scripts run by test/server/clients/kafka-python.test.ts.

Every script takes the bootstrap address and one JSON argument (the spec) on the command line and
prints one JSON document to stdout (group_member.py prints one JSON document per line). Bytes
travel as hex strings so that non-UTF-8 keys, values and header values survive the trip exactly.
Run with /usr/bin/python3 (Debian's python3-kafka 2.0.2 and python3-lz4).
"""

import json
import logging
import sys

# kafka-python logs through `logging`: WARNING and above go to stderr with their level, so that
# the tests can fail on ERROR lines (stdout carries only the JSON results).
logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s')


def parse_args():
    if len(sys.argv) != 3:
        sys.stderr.write('usage: %s <bootstrap> <spec-json>\n' % sys.argv[0])
        sys.exit(2)
    return sys.argv[1], json.loads(sys.argv[2])


def from_hex(text):
    return None if text is None else bytes.fromhex(text)


def to_hex(data):
    return None if data is None else bytes(data).hex()


def record_json(record):
    """A ConsumerRecord as JSON: bytes as hex, headers as [key, hex] pairs."""
    return {
        'topic': record.topic,
        'partition': record.partition,
        'offset': record.offset,
        'timestamp': record.timestamp,
        'timestampType': record.timestamp_type,
        'key': to_hex(record.key),
        'value': to_hex(record.value),
        'headers': [[key, to_hex(value)] for key, value in (record.headers or [])],
    }


def emit(document):
    sys.stdout.write(json.dumps(document) + '\n')
    sys.stdout.flush()


def error_name(error):
    return type(error).__name__


# Timeouts kept short so that a test fails in seconds, not minutes, when the broker misbehaves.
CLIENT_DEFAULTS = {
    'request_timeout_ms': 15000,
    'metadata_max_age_ms': 5000,
    'reconnect_backoff_ms': 50,
    'retry_backoff_ms': 50,
}

CONSUMER_DEFAULTS = dict(
    CLIENT_DEFAULTS,
    fetch_max_wait_ms=100,
    session_timeout_ms=6000,
    heartbeat_interval_ms=500,
)
