import { channel } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import type { Broker } from '../broker/broker.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ConsumerGroups } from '../groups/consumer-groups.js';
import { Connection, type ConnectionClosed } from './connection.js';
import { defaultHandlers } from './handlers/index.js';
import type { ServerState } from './request-context.js';
import { resolveServerConfig, type ServerConfig, type ServerConfigInput } from './server-config.js';

/** diagnostics_channel: one message per closed connection ({ clientHost, reason }). */
export const CONNECTION_CLOSED_CHANNEL = 'brook:server:connection-closed';

export interface ListenOptions extends ServerConfigInput {
  /** The broker's consumer groups; default: the one shared by every user of this broker. */
  readonly groups?: ConsumerGroups;
  readonly clock?: Clock;
}

/**
 * Serves a broker over the Kafka wire protocol. Connections are independent: a malformed or
 * hostile one is closed without touching the others. `close()` is graceful: stop accepting, wake
 * long polls, answer every request already read, then close the sockets (the broker itself stays
 * open; its owner closes it). A JoinGroup or SyncGroup held by the coordinator is answered only
 * when the rebalance completes or the groups close, so close the groups right after calling this.
 */
export class BrokerServer {
  readonly config: ServerConfig;
  readonly #server: Server;
  readonly #state: ServerState;
  readonly #connections = new Set<Connection>();
  readonly #closedChannel = channel(CONNECTION_CLOSED_CHANNEL);
  #closing: Promise<void> | null = null;

  private constructor(server: Server, state: ServerState) {
    this.#server = server;
    this.#state = state;
    this.config = state.config;
  }

  static async listen(broker: Broker, options: ListenOptions = {}): Promise<BrokerServer> {
    const config = resolveServerConfig(options);
    const groups = options.groups ?? (await ConsumerGroups.shared(broker));
    const state: ServerState = {
      broker,
      groups,
      config,
      clock: options.clock ?? systemClock,
      shutdown: { aborted: false, waiters: new Set() },
    };
    const server = createServer({ noDelay: true });
    const instance = new BrokerServer(server, state);
    server.on('connection', (socket) => instance.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    (instance as { config: ServerConfig }).config = { ...config, port };
    (state as { config: ServerConfig }).config = instance.config;
    return instance;
  }

  /** The port listened on (useful with port 0). */
  get port(): number {
    return this.config.port;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  #accept(socket: Socket): void {
    if (this.#closing !== null || this.#connections.size >= this.config.connectionsMax) {
      const reason = this.#closing !== null ? 'server shutting down' : `max.connections=${this.config.connectionsMax} reached`;
      socket.destroy();
      this.#publish({ clientHost: socket.remoteAddress ?? 'unknown', reason });
      return;
    }
    const connection = new Connection(socket, this.#state, defaultHandlers, (closed) => {
      this.#connections.delete(connection);
      this.#publish(closed);
    });
    this.#connections.add(connection);
  }

  #publish(closed: ConnectionClosed): void {
    if (this.#closedChannel.hasSubscribers) this.#closedChannel.publish(closed);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      const shutdown = this.#state.shutdown;
      shutdown.aborted = true;
      for (const wake of shutdown.waiters) wake();
      await Promise.all([...this.#connections].map((connection) => connection.finish()));
      await stopped;
    })();
    return this.#closing;
  }
}
