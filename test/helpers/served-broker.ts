import { spawnSync } from 'node:child_process';
import { Broker, type BrokerOptions } from '../../src/broker/broker.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';
import type { BrokerServer, ListenOptions } from '../../src/server/server.js';

/**
 * A broker served on 127.0.0.1 at a free port, for tests with real Kafka clients. Groups form at
 * once (group.initial.rebalance.delay.ms 0) unless the caller says otherwise.
 */
export interface ServedBroker {
  readonly broker: Broker;
  readonly groups: ConsumerGroups;
  readonly server: BrokerServer;
  readonly address: string;
  close(): Promise<void>;
}

export async function serveBroker(
  options: { broker?: BrokerOptions; server?: ListenOptions; groupDelayMs?: number } = {},
): Promise<ServedBroker> {
  const broker = await Broker.open(options.broker ?? {});
  const groups = await ConsumerGroups.shared(broker, { coordinator: { 'group.initial.rebalance.delay.ms': options.groupDelayMs ?? 0 } });
  const server = await broker.listen({ port: 0, ...options.server, groups });
  const address = `127.0.0.1:${server.port}`;
  return {
    broker,
    groups,
    server,
    address,
    close: async () => {
      const serverClosed = server.close();
      groups.close(); // releases held JoinGroup/SyncGroup requests
      await serverClosed;
      await broker.close();
    },
  };
}

/**
 * Whether an external client is installed. Locally a missing client skips its tests (with the
 * reason in the test name); in CI (BROOK_REQUIRE_CLIENTS=1, set by .ci/run, which installs them)
 * a missing client fails the run instead.
 */
export function hasClient(command: string, args: string[] = ['-V']): boolean {
  const found = spawnSync(command, args, { stdio: 'ignore' }).error === undefined;
  if (!found && process.env['BROOK_REQUIRE_CLIENTS'] === '1') {
    throw new Error(`${command} is required in CI (BROOK_REQUIRE_CLIENTS=1) but is not installed`);
  }
  return found;
}

export function hasPythonKafka(): boolean {
  const result = spawnSync('/usr/bin/python3', ['-c', 'import kafka'], { stdio: 'ignore' });
  const found = result.error === undefined && result.status === 0;
  if (!found && process.env['BROOK_REQUIRE_CLIENTS'] === '1') {
    throw new Error('/usr/bin/python3 with python3-kafka is required in CI (BROOK_REQUIRE_CLIENTS=1) but is not installed');
  }
  return found;
}
