import type { Broker } from '../broker/broker.js';
import type { Clock } from '../core/clock.js';
import type { ConsumerGroups } from '../groups/consumer-groups.js';
import type { RequestHeader } from '../protocol/headers.js';
import type { Decoded, Encodable, MessageName } from '../protocol/schema/schema-types.js';
import type { ServerConfig } from './server-config.js';

/** What every request handler can reach: the engine, the groups and the server's settings. */
export interface ServerState {
  readonly broker: Broker;
  readonly groups: ConsumerGroups;
  readonly config: ServerConfig;
  readonly clock: Clock;
  /** Set once shutdown starts: long polls answer at once. */
  readonly shutdown: { aborted: boolean; readonly waiters: Set<() => void> };
}

export interface RequestContext {
  readonly state: ServerState;
  readonly header: RequestHeader;
  readonly clientHost: string;
}

/** Produce with acks=0: nothing goes back (kafka-protocol.md §1.1). */
export const NO_RESPONSE = Symbol('no response');

export type Handler<Req extends MessageName, Res extends MessageName> = (
  context: RequestContext,
  request: Decoded<Req>,
) => Encodable<Res> | typeof NO_RESPONSE | Promise<Encodable<Res> | typeof NO_RESPONSE>;
