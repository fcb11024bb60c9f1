import { channel } from 'node:diagnostics_channel';

/**
 * The engine's traffic as `node:diagnostics_channel` messages, for BrookMetrics and for anyone
 * embedding Brook who wants the numbers without Prometheus. Every publish site checks
 * `hasSubscribers` first, so with nobody listening no message object is built, no clock is read
 * and no batch header is walked: the cost is one property read per append, fetch or request.
 *
 * - `brook:broker:produce`: one message per batch appended through `Broker.append` (so the
 *   embedded Producer, the wire Produce handler and committed offsets in `__consumer_offsets`),
 *   after the log accepted it. A batch the log refuses is not published.
 * - `brook:broker:fetch`: one message per partition read for a consumer: the wire Fetch handler,
 *   the embedded Consumer and `Broker.read`. `records` counts the records of the whole batches
 *   sent (from their headers, never decoded) on the wire, and the records handed to the caller in
 *   the embedded consumer. Reads made directly through `broker.log(…).read` are not published.
 * - `brook:server:request`: one message per request the wire server answered (or, for acks=0
 *   Produce, handled), with the time from decoding to the response written to the socket. A
 *   Fetch's time includes its long poll, as Kafka's request latency does.
 *
 * The channels are process-wide; every message names the Broker it went through (`broker`, to
 * compare by identity), so that one process can run several brokers and tell them apart.
 */
export const PRODUCE_CHANNEL = 'brook:broker:produce';
export const FETCH_CHANNEL = 'brook:broker:fetch';
export const REQUEST_CHANNEL = 'brook:server:request';

export interface ProduceMessage {
  /** The Broker instance that appended (compare with `===`). */
  readonly broker: object;
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  readonly bytes: number;
}

export interface FetchMessage {
  /** The Broker instance that was read (compare with `===`). */
  readonly broker: object;
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  readonly bytes: number;
}

export interface RequestMessage {
  /** The Broker instance the server serves (compare with `===`). */
  readonly broker: object;
  readonly apiKey: number;
  /** Kafka's name of the API: "Produce", "Fetch", "Metadata", … */
  readonly apiName: string;
  readonly apiVersion: number;
  readonly durationMs: number;
}

export const produceChannel = channel(PRODUCE_CHANNEL);
export const fetchChannel = channel(FETCH_CHANNEL);
export const requestChannel = channel(REQUEST_CHANNEL);

/** Call only when `produceChannel.hasSubscribers`: the caller builds nothing otherwise. */
export function publishProduce(broker: object, topic: string, partition: number, records: number, bytes: number): void {
  const message: ProduceMessage = { broker, topic, partition, records, bytes };
  produceChannel.publish(message);
}

/** Call only when `fetchChannel.hasSubscribers`. */
export function publishFetch(broker: object, topic: string, partition: number, records: number, bytes: number): void {
  const message: FetchMessage = { broker, topic, partition, records, bytes };
  fetchChannel.publish(message);
}

/** Call only when `requestChannel.hasSubscribers`; `startedMs` is a `performance.now()` reading. */
export function publishRequest(broker: object, apiKey: number, apiName: string, apiVersion: number, startedMs: number): void {
  const message: RequestMessage = { broker, apiKey, apiName, apiVersion, durationMs: performance.now() - startedMs };
  requestChannel.publish(message);
}
