import { Broker } from '../broker/broker.js';
import { ConfigError } from '../core/errors.js';
import { GROUP_COORDINATOR_CONFIG_DEFAULTS, type GroupCoordinatorConfigInput } from '../groups/group-config.js';
import { ConsumerGroups } from '../groups/consumer-groups.js';
import type { MetricsServer } from '../metrics/metrics-server.js';
import type { BrokerServer } from '../server/server.js';
import type { ServerConfigInput } from '../server/server-config.js';
import { LOG_CONFIG_KEYS, type LogConfigInput } from '../storage/config.js';

/**
 * `brook serve`: a broker on a data directory, served to Kafka clients. Settings use Kafka's
 * names, given as `--override key=value`; each goes to the part that owns it (log defaults,
 * group coordinator, server). SIGTERM and SIGINT shut down gracefully: stop accepting, answer
 * requests already read, flush and close the logs cleanly.
 */
export interface ServeOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string | null;
  readonly workers: number;
  readonly overrides: ReadonlyArray<string>;
  /** Where to serve Prometheus metrics (GET /metrics); null (default): no endpoint, prom-client never loaded. */
  readonly metrics?: { readonly host: string; readonly port: number } | null;
}

const SERVER_KEYS = [
  'node.id',
  'cluster.id',
  'socket.request.max.bytes',
  'max.connections',
  'queued.max.requests',
  'auto.create.topics.enable',
  'connections.max.idle.ms',
] as const;

interface SplitOverrides {
  readonly log: Record<string, string>;
  readonly groups: Record<string, number>;
  readonly server: Record<string, string | number | boolean>;
}

export function splitOverrides(overrides: ReadonlyArray<string>): SplitOverrides {
  const log: Record<string, string> = {};
  const groups: Record<string, number> = {};
  const server: Record<string, string | number | boolean> = {};
  for (const override of overrides) {
    const equals = override.indexOf('=');
    if (equals <= 0) throw new ConfigError('--override', override, 'of the form key=value, with a Kafka setting name as key');
    const key = override.slice(0, equals);
    const value = override.slice(equals + 1);
    if ((LOG_CONFIG_KEYS as ReadonlyArray<string>).includes(key) || key === 'num.partitions') log[key] = value;
    else if (key in GROUP_COORDINATOR_CONFIG_DEFAULTS) groups[key] = integerValue(key, value);
    else if ((SERVER_KEYS as ReadonlyArray<string>).includes(key)) {
      if (key === 'cluster.id') server[key] = value;
      else if (key === 'auto.create.topics.enable') {
        if (value !== 'true' && value !== 'false') throw new ConfigError(key, value, 'true or false');
        server[key] = value === 'true';
      } else server[key] = integerValue(key, value);
    } else {
      throw new ConfigError(key, value, `a known setting: a log setting (${LOG_CONFIG_KEYS.join(', ')}, num.partitions), a group setting (${Object.keys(GROUP_COORDINATOR_CONFIG_DEFAULTS).join(', ')}) or a server setting (${SERVER_KEYS.join(', ')})`);
    }
  }
  return { log, groups, server };
}

function integerValue(key: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number)) throw new ConfigError(key, value, 'an integer');
  return number;
}

export interface RunningServer {
  readonly broker: Broker;
  readonly server: BrokerServer;
  readonly groups: ConsumerGroups;
  readonly metrics: MetricsServer | null;
  stop(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const split = splitOverrides(options.overrides);
  const broker = await Broker.open({ dataDir: options.dataDir, workers: options.workers, config: split.log as LogConfigInput & { 'num.partitions'?: string } });
  let groups: ConsumerGroups | null = null;
  let server: BrokerServer;
  try {
    groups = await ConsumerGroups.shared(broker, { coordinator: split.groups as GroupCoordinatorConfigInput });
    const listen: ServerConfigInput = {
      host: options.host,
      port: options.port,
      ...(options.advertisedHost === null ? {} : { advertisedHost: options.advertisedHost }),
      ...(split.server as ServerConfigInput),
    };
    server = await broker.listen({ ...listen, groups });
  } catch (error) {
    // e.g. the port is taken: release the coordinator (its timers) and the data directory.
    groups?.close();
    await broker.close();
    throw error;
  }
  const served = groups;
  let metrics: { server: MetricsServer; close(): void } | null = null;
  try {
    if (options.metrics != null) metrics = await startMetrics(broker, served, options.metrics);
  } catch (error) {
    await server.close();
    served.close();
    await broker.close();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    broker,
    server,
    groups: served,
    metrics: metrics?.server ?? null,
    stop: () =>
      (stopping ??= (async () => {
        if (metrics !== null) {
          await metrics.server.close();
          metrics.close();
        }
        const serverClosed = server.close(); // stop accepting, wake long polls
        served.close(); // answers held JoinGroup/SyncGroup requests (COORDINATOR_NOT_AVAILABLE)
        await serverClosed;
        await broker.close();
      })()),
  };
}

/** The metrics endpoint; its modules (and prom-client) load only when it is asked for. */
async function startMetrics(
  broker: Broker,
  groups: ConsumerGroups,
  where: { readonly host: string; readonly port: number },
): Promise<{ server: MetricsServer; close(): void }> {
  const [{ BrookMetrics }, { MetricsServer: Server }] = await Promise.all([
    import('../metrics/brook-metrics.js'),
    import('../metrics/metrics-server.js'),
  ]);
  const metrics = await BrookMetrics.create(broker, { groups, processMetrics: true });
  try {
    return { server: await Server.listen(metrics, where), close: () => metrics.close() };
  } catch (error) {
    metrics.close();
    throw error;
  }
}
