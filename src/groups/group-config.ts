import { ConfigError } from '../core/errors.js';
import { MINUTE_MS, SECOND_MS } from '../core/units.js';

/**
 * Broker-side settings of the group coordinator, under Kafka's names and with Kafka's defaults,
 * except `group.max.size`: Kafka's default is Integer.MAX_VALUE, Brook's is 1,000 so that the
 * number of members (and of JoinGroup/SyncGroup requests held open, one each per member) has a
 * real bound. A bad value raises ConfigError naming the key, the value and the allowed range.
 */
export interface GroupCoordinatorConfig {
  /** Extra wait before the first rebalance of an empty group, so that a fleet joins at once. */
  readonly 'group.initial.rebalance.delay.ms': number;
  readonly 'group.min.session.timeout.ms': number;
  readonly 'group.max.session.timeout.ms': number;
  /** Members per group; also bounds MEMBER_ID_REQUIRED ids awaiting their rejoin. */
  readonly 'group.max.size': number;
  /** OffsetCommit metadata strings longer than this (UTF-8 bytes) are refused per partition. */
  readonly 'offset.metadata.max.bytes': number;
}

export type GroupCoordinatorConfigKey = keyof GroupCoordinatorConfig;
export type GroupCoordinatorConfigInput = { readonly [K in GroupCoordinatorConfigKey]?: number };

export const GROUP_COORDINATOR_CONFIG_DEFAULTS: GroupCoordinatorConfig = Object.freeze({
  'group.initial.rebalance.delay.ms': 3 * SECOND_MS,
  'group.min.session.timeout.ms': 6 * SECOND_MS,
  'group.max.session.timeout.ms': 30 * MINUTE_MS,
  'group.max.size': 1_000,
  'offset.metadata.max.bytes': 4096,
});

/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a new member's JoinGroup is held at most this long. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * MINUTE_MS;

const GROUP_SIZE_MAX = 100_000;
const INT32_MAX = 2_147_483_647;

export function resolveGroupCoordinatorConfig(input: GroupCoordinatorConfigInput = {}): GroupCoordinatorConfig {
  for (const key of Object.keys(input)) {
    if (!(key in GROUP_COORDINATOR_CONFIG_DEFAULTS)) throw new ConfigError(key, input[key as GroupCoordinatorConfigKey], 'a group coordinator setting');
  }
  const config: GroupCoordinatorConfig = { ...GROUP_COORDINATOR_CONFIG_DEFAULTS, ...input };
  integerIn(config, 'group.initial.rebalance.delay.ms', 0, INT32_MAX);
  integerIn(config, 'group.min.session.timeout.ms', 0, INT32_MAX);
  integerIn(config, 'group.max.session.timeout.ms', config['group.min.session.timeout.ms'], INT32_MAX);
  integerIn(config, 'group.max.size', 1, GROUP_SIZE_MAX);
  integerIn(config, 'offset.metadata.max.bytes', 0, INT32_MAX);
  return Object.freeze(config);
}

function integerIn(config: GroupCoordinatorConfig, key: GroupCoordinatorConfigKey, min: number, max: number): void {
  const value = config[key];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, value, `an integer in [${min}, ${max}]`);
  }
}
