import { Buffer } from 'node:buffer';
import type { Broker, ConfigSource } from '../../broker/broker.js';
import { errorMessage, kafkaErrorCode } from '../kafka-errors.js';

/** Constants and helpers shared by the topic administration handlers (admin.ts). */
/** Kafka's UNKNOWN_TOPIC_ID, for DeleteTopics v6 by id (not in KAFKA: only admin uses it). */
export const UNKNOWN_TOPIC_ID = 100;

/** Kafka's ConfigSource ids (DescribeConfigs v1+, CreateTopics v5+). */
export const CONFIG_SOURCE = {
  TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const satisfies Record<ConfigSource, number>;

/** DescribeConfigs resource types. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

/** The Broker's own partition limit (broker.ts PARTITIONS_MAX), checked here for validateOnly. */
export const PARTITIONS_MAX = 10_000;

/** Java's Long.MAX_VALUE, how Kafka writes "never" (Brook holds it as Infinity). */
export const LONG_MAX_TEXT = '9223372036854775807';

export const ZERO_UUID: Buffer = Buffer.alloc(16);

/** Operations that change the topic table wait for each other, per broker. */
export const queues = new WeakMap<Broker, Promise<unknown>>();

export function serialised<T>(broker: Broker, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(broker) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(broker, tail);
  void tail.then(() => {
    if (queues.get(broker) === tail) queues.delete(broker);
  });
  return run;
}

/** The broker's num.partitions (a topic created without a count gets it). */
export function defaultPartitions(broker: Broker): number | null {
  return broker.defaultPartitions;
}

/** A config value as Kafka writes it: lists comma-separated, "never" as Long.MAX_VALUE. */
export function configText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : LONG_MAX_TEXT;
  return String(value);
}

/** Brook's topic ids are UUID strings; the wire carries the 16 raw bytes. */
export function uuidBytes(id: string): Buffer {
  const hex = id.replaceAll('-', '');
  return /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : ZERO_UUID;
}

export function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Names given more than once in one request (Kafka answers those with INVALID_REQUEST). */
export function duplicates(names: ReadonlyArray<string>): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return repeated;
}

/** A client-caused refusal: an error code and the message that goes with it. */
export class Refusal {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

export function refusalOf(error: unknown): Refusal {
  return new Refusal(kafkaErrorCode(error), errorMessage(error));
}
