import { existsSync } from 'node:fs';
import { Broker } from '../broker/broker.js';
import { KafkaResponseError, RemoteBroker } from '../client/remote-broker.js';
import { ERROR_CODES, EngineError, type ErrorCode } from '../core/errors.js';
import { kafkaErrorName, type KafkaErrorName } from '../protocol/kafka-error-codes.js';
import { UsageError, type Flags, type FlagSpec } from './command.js';

/**
 * Where an admin command works: on a data directory directly (opened for the command's duration,
 * without retention timers, and closed before it exits; refused with DATA_DIR_LOCKED while a
 * broker has it open) or through a running broker with `--bootstrap-server host:port`.
 */
export const DATA_DIR_DEFAULT = 'brook-data';

export const TARGET_FLAGS: Readonly<Record<'data-dir' | 'bootstrap-server', FlagSpec>> = {
  'data-dir': { type: 'string', valueName: 'path', describe: 'data directory to open (no broker may have it open)', defaultText: './brook-data' },
  'bootstrap-server': { type: 'string', valueName: 'host:port', describe: 'work through a running broker instead of opening a data directory' },
};

export type Target =
  | { readonly kind: 'data-dir'; readonly dataDir: string }
  | { readonly kind: 'bootstrap-server'; readonly address: string };

export function targetOf(command: string, flags: Flags): Target {
  const address = flags.string('bootstrap-server');
  if (address === undefined) return { kind: 'data-dir', dataDir: flags.string('data-dir', DATA_DIR_DEFAULT) };
  if (flags.has('data-dir')) throw new UsageError(command, 'give --data-dir or --bootstrap-server, not both');
  if (address === '') throw new UsageError(command, '--bootstrap-server needs host:port');
  return { kind: 'bootstrap-server', address };
}

export interface TargetHandlers<T> {
  local(broker: Broker): Promise<T> | T;
  remote(client: RemoteBroker): Promise<T> | T;
}

export interface DataDirOptions {
  /** Create the directory if it does not exist (commands that write); otherwise refuse. */
  readonly create?: boolean;
}

export async function withTarget<T>(target: Target, handlers: TargetHandlers<T>, options: DataDirOptions = {}): Promise<T> {
  if (target.kind === 'data-dir') return withDataDir(target.dataDir, handlers.local, options);
  const client = await RemoteBroker.connect(target.address);
  try {
    return await handlers.remote(client);
  } catch (error) {
    throw withBrookCode(error);
  } finally {
    await client.close();
  }
}

/** Kafka's errors whose Brook code has another name; the rest share Kafka's name. */
const BROOK_NAME_OF: Readonly<Partial<Record<KafkaErrorName, ErrorCode>>> = {
  INVALID_TOPIC_EXCEPTION: 'INVALID_TOPIC',
  TOPIC_ALREADY_EXISTS: 'TOPIC_EXISTS',
  INVALID_CONFIG: 'CONFIG_INVALID',
};

/** A Kafka error number a broker answered with, as Brook's code (the message keeps Kafka's name). */
function brookCode(kafkaCode: number): ErrorCode | undefined {
  const name = kafkaErrorName(kafkaCode);
  if (name === null) return undefined;
  return BROOK_NAME_OF[name] ?? ((ERROR_CODES as ReadonlyArray<string>).includes(name) ? (name as ErrorCode) : undefined);
}

function withBrookCode(error: unknown): unknown {
  if (!(error instanceof KafkaResponseError)) return error;
  const code = brookCode(error.kafkaCode);
  return code === undefined ? error : new EngineError(code, error.message, { cause: error });
}

export async function withDataDir<T>(dataDir: string, body: (broker: Broker) => Promise<T> | T, options: DataDirOptions = {}): Promise<T> {
  if (options.create !== true && !existsSync(dataDir)) {
    throw new EngineError(
      'CONFIG_INVALID',
      `data directory ${dataDir} does not exist: give --data-dir <path> of an existing one, or --bootstrap-server host:port for a running broker`,
    );
  }
  const broker = await Broker.open({ dataDir, scheduleTasks: false });
  try {
    return await body(broker);
  } finally {
    await broker.close();
  }
}
