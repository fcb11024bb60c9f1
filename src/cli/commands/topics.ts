import type { Broker } from '../../broker/broker.js';
import { EARLIEST, LATEST, type RemoteBroker } from '../../client/remote-broker.js';
import { ConfigError, EngineError } from '../../core/errors.js';
import { LOG_CONFIG_KEYS } from '../../storage/config.js';
import { explainRetention, isoTime, type PartitionRetention } from '../../storage/retention-report.js';
import { TARGET_FLAGS, targetOf, withTarget } from '../broker-target.js';
import { positionals, UsageError, type CommandContext, type CommandSpec, type Flags } from '../command.js';
import { formatTable } from '../output.js';

/**
 * `brook topics …`: create, list, describe, delete, alter and add partitions, on a data
 * directory or through a running broker. `describe` on a data directory also explains retention
 * per partition and per segment (what the next check deletes, what it keeps and why, and when the
 * next deletion is due); over the wire only what Kafka's APIs give is shown.
 */
interface PartitionView {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** null over the wire: Brook does not serve DescribeLogDirs. */
  readonly sizeBytes: number | null;
  readonly segments: number | null;
}

interface SettingView {
  readonly name: string;
  readonly value: string | null;
  readonly source: string;
}

interface TopicView {
  readonly name: string;
  readonly topicId: string | null;
  readonly partitions: ReadonlyArray<PartitionView>;
  readonly config: ReadonlyArray<SettingView>;
  /** Per partition; null over the wire (segments are not visible there). */
  readonly retention: ReadonlyArray<{ readonly partition: number } & PartitionRetention> | null;
}

const JSON_FLAG = { type: 'boolean', describe: 'print JSON for scripts' } as const;

/** Kafka's DescribeConfigs source numbers. */
const CONFIG_SOURCES: Readonly<Record<number, string>> = {
  1: 'TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
};

/** A setting as Kafka writes it: lists comma-separated, "never" as Long.MAX_VALUE. */
function settingText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'number' && !Number.isFinite(value)) return '9223372036854775807';
  return String(value);
}

/** `key=value` entries of a repeatable flag. */
function settings(command: string, flag: string, entries: ReadonlyArray<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new UsageError(command, `--${flag} ${entry} is invalid: use key=value with a Kafka setting name, e.g. retention.ms=86400000`);
    out[entry.slice(0, equals).trim()] = entry.slice(equals + 1).trim();
  }
  return out;
}

function oneTopic(context: CommandContext, spec: CommandSpec): string {
  return positionals(context, spec, 1)[0]!;
}

// ------------------------------------------------------------------------------------------------
// create

export const topicsCreate: CommandSpec = {
  name: 'topics create',
  summary: 'Create a topic with a partition count and per-topic settings (Kafka names).',
  positionals: '<topic>',
  flags: {
    partitions: { type: 'string', valueName: 'n', describe: 'partition count', defaultText: "the broker's num.partitions" },
    config: { type: 'string', multiple: true, valueName: 'key=value', describe: 'a topic setting: retention.ms, retention.bytes, segment.bytes, cleanup.policy, ...' },
    ...TARGET_FLAGS,
  },
  details: 'Example: brook topics create orders --partitions 3 --config retention.ms=86400000 --config segment.bytes=104857600',
  async run(context) {
    const name = oneTopic(context, topicsCreate);
    const { flags } = context;
    const partitions = flags.integer('partitions', -1, 1, 10_000);
    const config = settings(topicsCreate.name, 'config', flags.list('config'));
    const count = await withTarget(
      targetOf(topicsCreate.name, flags),
      {
        local: async (broker) => {
          await broker.createTopic(name, { ...(partitions === -1 ? {} : { partitions }), config });
          return broker.partitionCount(name);
        },
        remote: async (client) => {
          await client.createTopic(name, partitions, config);
          return (await client.topics([name]))[0]?.partitions ?? partitions;
        },
      },
      { create: true },
    );
    context.print(`Created topic ${name} with ${count} partition${count === 1 ? '' : 's'}.`);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// list

export const topicsList: CommandSpec = {
  name: 'topics list',
  summary: 'List topics, one name a line (internal topics such as __consumer_offsets included).',
  flags: { json: JSON_FLAG, ...TARGET_FLAGS },
  async run(context) {
    positionals(context, topicsList, 0);
    const topics = await withTarget(targetOf(topicsList.name, context.flags), {
      local: (broker) => broker.listTopics().map((name) => ({ name, partitions: broker.partitionCount(name) })),
      remote: async (client) => (await client.topics()).sort((left, right) => (left.name < right.name ? -1 : 1)),
    });
    if (context.flags.boolean('json')) context.print(JSON.stringify(topics));
    else for (const topic of topics) context.print(topic.name);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// describe

function localView(broker: Broker, name: string, nowMs: number): TopicView {
  const description = broker.describeTopic(name);
  const retention = description.partitions.map(({ partition }) => {
    const log = broker.log(name, partition);
    const report = explainRetention({
      segments: log.segmentSummaries(),
      config: log.config,
      nowMs,
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
    });
    return { partition, ...report };
  });
  return {
    name,
    topicId: description.topicId,
    partitions: description.partitions,
    config: description.config.map((entry) => ({ name: entry.name, value: settingText(entry.value), source: entry.source })),
    retention,
  };
}

async function remoteView(client: RemoteBroker, name: string): Promise<TopicView> {
  const topic = (await client.topics([name]))[0];
  if (topic === undefined) throw new EngineError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}" does not exist`);
  const indexes = Array.from({ length: topic.partitions }, (_, index) => index);
  const starts = await client.listOffsets(name, indexes, EARLIEST);
  const ends = await client.listOffsets(name, indexes, LATEST);
  const config = await client.topicConfig(name);
  return {
    name,
    topicId: null,
    partitions: indexes.map((partition) => ({
      partition,
      logStartOffset: starts.get(partition) ?? -1,
      logEndOffset: ends.get(partition) ?? -1,
      sizeBytes: null,
      segments: null,
    })),
    config: config
      .map((entry) => ({ name: entry.name, value: entry.value, source: CONFIG_SOURCES[entry.source] ?? `UNKNOWN(${entry.source})` }))
      .sort((left, right) => (left.name < right.name ? -1 : 1)),
    retention: null,
  };
}

function printPartitions(print: (line: string) => void, view: TopicView): void {
  const rows = view.partitions.map((entry) => [entry.partition, entry.logStartOffset, entry.logEndOffset, entry.sizeBytes, entry.segments]);
  for (const line of formatTable(['PARTITION', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'SIZE-BYTES', 'SEGMENTS'], rows)) print(line);
}

function printSettings(print: (line: string) => void, view: TopicView): void {
  print('');
  print('Settings:');
  const rows = view.config.map((entry) => [entry.name, entry.value ?? '', entry.source]);
  for (const line of formatTable(['SETTING', 'VALUE', 'SOURCE'], rows)) print(`  ${line}`);
  if (view.retention !== null && view.config.some((entry) => entry.source === 'DEFAULT_CONFIG')) {
    print("  (DEFAULT_CONFIG shows Brook's defaults; a broker started with --override uses its own for settings the topic does not set)");
  }
}

function statusText(segment: PartitionRetention['segments'][number]): string {
  return segment.status === 'eligible' ? `eligible (${segment.reason})` : 'kept';
}

function printRetention(print: (line: string) => void, view: TopicView): void {
  print('');
  print('Retention (per partition):');
  if (view.retention === null) {
    print('  Segments are not visible over the wire: run brook topics describe --data-dir on the stopped broker\'s directory to see what retention deletes and when.');
    return;
  }
  const retentionBytes = view.config.find((entry) => entry.name === 'retention.bytes')?.value ?? '-1';
  print(`  retention.bytes=${retentionBytes} applies to each partition on its own, not to the topic; deletion takes whole segments, oldest first.`);
  for (const partition of view.retention) {
    print('');
    print(`  Partition ${partition.partition}: ${partition.segments.length} segment${partition.segments.length === 1 ? '' : 's'}, ${partition.totalBytes} bytes; eligible for deletion now: ${partition.eligibleCount} (${partition.eligibleBytes} bytes)`);
    const rows = partition.segments.map((segment) => [
      segment.baseOffset,
      segment.nextOffset > segment.baseOffset ? segment.nextOffset - 1 : null,
      segment.sizeBytes,
      segment.sizeBytes === 0 ? null : isoTime(segment.largestTimestampMs),
      statusText(segment),
      segment.explanation,
    ]);
    for (const line of formatTable(['BASE-OFFSET', 'LAST-OFFSET', 'SIZE-BYTES', 'LARGEST-TIMESTAMP', 'STATUS', 'WHY'], rows)) print(`    ${line}`);
    print(`    Next deletion: ${partition.nextDeletion.explanation}`);
  }
}

export const topicsDescribe: CommandSpec = {
  name: 'topics describe',
  summary: "A topic's partitions (log start and end offsets, size, segments), its settings with their sources, and per partition which segments retention deletes, which it keeps and why, and when the next deletion is due.",
  positionals: '<topic>',
  flags: {
    retention: { type: 'boolean', describe: 'print only the retention section (data directory only)' },
    json: JSON_FLAG,
    ...TARGET_FLAGS,
  },
  details: 'Over --bootstrap-server, partitions come from Metadata and ListOffsets and settings from DescribeConfigs; sizes, segments and retention need --data-dir.',
  async run(context) {
    const name = oneTopic(context, topicsDescribe);
    const { flags, print } = context;
    const target = targetOf(topicsDescribe.name, flags);
    const onlyRetention = flags.boolean('retention');
    if (onlyRetention && target.kind === 'bootstrap-server') {
      throw new UsageError(topicsDescribe.name, '--retention needs --data-dir: segments are not visible over the wire');
    }
    const view = await withTarget(target, { local: (broker) => localView(broker, name, Date.now()), remote: (client) => remoteView(client, name) });
    if (flags.boolean('json')) {
      print(JSON.stringify(onlyRetention ? { name: view.name, retention: view.retention } : view));
      return 0;
    }
    print(`Topic: ${view.name}${view.topicId === null ? '' : `  TopicId: ${view.topicId}`}  PartitionCount: ${view.partitions.length}`);
    if (!onlyRetention) {
      printPartitions(print, view);
      printSettings(print, view);
    }
    printRetention(print, view);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// delete

export const topicsDelete: CommandSpec = {
  name: 'topics delete',
  summary: 'Delete a topic and all its data.',
  positionals: '<topic>',
  flags: { ...TARGET_FLAGS },
  async run(context) {
    const name = oneTopic(context, topicsDelete);
    await withTarget(targetOf(topicsDelete.name, context.flags), {
      local: (broker) => broker.deleteTopic(name),
      remote: (client) => client.deleteTopic(name),
    });
    context.print(`Deleted topic ${name}.`);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// alter

function configChanges(flags: Flags): Record<string, string | null> {
  const command = topicsAlter.name;
  const changes: Record<string, string | null> = { ...settings(command, 'set', flags.list('set')) };
  for (const key of flags.list('delete-config')) {
    if (!(LOG_CONFIG_KEYS as ReadonlyArray<string>).includes(key)) {
      throw new ConfigError(key, '(delete)', `a known topic setting to reset (one of ${LOG_CONFIG_KEYS.join(', ')})`);
    }
    if (key in changes) throw new UsageError(command, `${key} is both set and deleted: give one of --set ${key}=… or --delete-config ${key}`);
    changes[key] = null;
  }
  if (Object.keys(changes).length === 0) throw new UsageError(command, 'nothing to change: give --set key=value or --delete-config key');
  return changes;
}

export const topicsAlter: CommandSpec = {
  name: 'topics alter',
  summary: "Change or reset a topic's settings; they apply without a restart once a broker opens the data directory.",
  positionals: '<topic>',
  flags: {
    set: { type: 'string', multiple: true, valueName: 'key=value', describe: 'set a topic setting (Kafka name)' },
    'delete-config': { type: 'string', multiple: true, valueName: 'key', describe: "remove the topic's own value: the broker default applies again" },
    ...TARGET_FLAGS,
  },
  details: "Data directory only: Brook's server does not serve AlterConfigs, so stop the broker first (or use Kafka's own tools against Kafka).",
  async run(context) {
    const name = oneTopic(context, topicsAlter);
    const changes = configChanges(context.flags);
    const target = targetOf(topicsAlter.name, context.flags);
    if (target.kind === 'bootstrap-server') {
      throw new EngineError(
        'UNSUPPORTED_API',
        `topics alter needs --data-dir: Brook's server does not serve AlterConfigs or IncrementalAlterConfigs; stop the broker on ${target.address} and run brook topics alter ${name} --data-dir <its data directory>`,
      );
    }
    const after = await withTarget(target, {
      local: (broker) => {
        broker.alterTopicConfig(name, changes);
        return broker.describeTopic(name).config;
      },
      remote: () => [],
    });
    for (const key of Object.keys(changes)) {
      const entry = after.find((setting) => setting.name === key);
      context.print(`${key}=${settingText(entry?.value) ?? ''} (${entry?.source ?? 'unknown'})`);
    }
    context.print(`Altered topic ${name}.`);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// add-partitions

function refuseDecrease(name: string, current: number, wanted: number): void {
  if (wanted <= current) {
    throw new EngineError(
      'INVALID_PARTITIONS',
      `topic "${name}" has ${current} partitions; --partitions must be greater (got ${wanted}): partitions can be added, never removed`,
    );
  }
}

export const topicsAddPartitions: CommandSpec = {
  name: 'topics add-partitions',
  summary: "Raise a topic's partition count to --partitions (the new total). Partitions are never removed; keys may map to other partitions afterwards.",
  positionals: '<topic>',
  flags: {
    partitions: { type: 'string', valueName: 'n', describe: 'the new total partition count (required)' },
    ...TARGET_FLAGS,
  },
  async run(context) {
    const name = oneTopic(context, topicsAddPartitions);
    const { flags } = context;
    if (!flags.has('partitions')) throw new UsageError(topicsAddPartitions.name, '--partitions is required');
    const wanted = flags.integer('partitions', 0, 1, 10_000);
    const before = await withTarget(targetOf(topicsAddPartitions.name, flags), {
      local: async (broker) => {
        const current = broker.partitionCount(name);
        refuseDecrease(name, current, wanted);
        await broker.createPartitions(name, wanted);
        return current;
      },
      remote: async (client) => {
        const topic = (await client.topics([name]))[0];
        const current = topic?.partitions ?? 0;
        refuseDecrease(name, current, wanted);
        await client.createPartitions(name, wanted);
        return current;
      },
    });
    context.print(`Topic ${name} now has ${wanted} partitions (was ${before}).`);
    return 0;
  },
};
