import { ConfigError } from '../core/errors.js';

/**
 * Server settings under Kafka's names where Kafka has one. Defaults are Kafka's, except
 * `queued.max.requests`, which Brook applies per connection (Kafka: 500 for the whole broker).
 */
export interface ServerConfigInput {
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** 9092; 0 picks a free port (see BrokerServer.port). */
  readonly port?: number;
  /** Host name given to clients in Metadata and FindCoordinator; default: the listen host. */
  readonly advertisedHost?: string;
  /** Kafka's node.id / broker.id: the id clients see in Metadata. */
  readonly 'node.id'?: number;
  /** A stable id clients compare across brokers (librdkafka warns on a change). */
  readonly 'cluster.id'?: string;
  readonly 'socket.request.max.bytes'?: number;
  readonly 'max.connections'?: number;
  /** Requests read but not yet answered on one connection; past it, reading pauses. */
  readonly 'queued.max.requests'?: number;
  readonly 'auto.create.topics.enable'?: boolean;
  /** A connection with nothing in flight and no bytes for this long is closed. */
  readonly 'connections.max.idle.ms'?: number;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly requestBytesMax: number;
  readonly connectionsMax: number;
  readonly queuedRequestsMax: number;
  readonly autoCreateTopics: boolean;
  readonly idleConnectionMs: number;
}

/** Kafka's cluster ids are 22-character URL-safe base64 UUIDs; Brook's default is fixed. */
export const DEFAULT_CLUSTER_ID = 'YnJvb2stY2x1c3Rlci0wMQ';

function integer(key: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min || chosen > max) throw new ConfigError(key, chosen, `an integer in [${min}, ${max}]`);
  return chosen;
}

export function resolveServerConfig(input: ServerConfigInput = {}): ServerConfig {
  const host = input.host ?? '127.0.0.1';
  const clusterId = input['cluster.id'] ?? DEFAULT_CLUSTER_ID;
  if (clusterId.length === 0) throw new ConfigError('cluster.id', clusterId, 'a non-empty string');
  return {
    host,
    port: integer('port', input.port, 9092, 0, 65535),
    advertisedHost: input.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host),
    nodeId: integer('node.id', input['node.id'], 1, 0, 2 ** 31 - 1),
    clusterId,
    requestBytesMax: integer('socket.request.max.bytes', input['socket.request.max.bytes'], 104_857_600, 64, 2 ** 31 - 1),
    connectionsMax: integer('max.connections', input['max.connections'], 2 ** 31 - 1, 1, 2 ** 31 - 1),
    queuedRequestsMax: integer('queued.max.requests', input['queued.max.requests'], 500, 1, 1_000_000),
    autoCreateTopics: input['auto.create.topics.enable'] ?? true,
    idleConnectionMs: integer('connections.max.idle.ms', input['connections.max.idle.ms'], 600_000, 0, 2 ** 31 - 1),
  };
}
