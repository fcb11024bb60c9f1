import type { Broker } from '../../broker/broker.js';
import { EngineError } from '../../core/errors.js';
import { MiB } from '../../core/units.js';
import { EARLIEST, KafkaResponseError, LATEST, type RemoteBroker } from '../../client/remote-broker.js';
import { ConsumerGroups } from '../../groups/consumer-groups.js';
import { BATCH_LENGTH_OFFSET, CONTROL_MASK, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_MASK } from '../../records/batch-layout.js';
import { decodeRecordBatch } from '../../records/record-batch.js';
import type { Record } from '../../records/record.js';
import { positionals, UsageError, type CommandSpec, type Flags } from '../command.js';
import { TARGET_FLAGS, targetOf, withTarget, type Target } from '../broker-target.js';
import { choosePartitions, localPartitionCount, remotePartitionCount } from './topic-target.js';

/**
 * `brook consume <topic>`: print records, one line each, like Kafka's console consumer.
 *
 * Where reading starts, per partition: --offset (with --partition); else the group's committed
 * offset (with --group); else the log start with --from-beginning; else the end (only records
 * produced from now on). When it stops: on a data directory, at the end of the log (nothing can
 * be appended while this process holds it); on a running broker, after --max-messages, after
 * --timeout-ms without a new record, or on SIGINT/SIGTERM. With --group the offsets after the
 * records printed are committed before exit, so a second run continues where this one stopped.
 */
type TimestampType = 'CreateTime' | 'LogAppendTime';

interface PrintFormat {
  readonly key: boolean;
  readonly timestamp: boolean;
  readonly partition: boolean;
  readonly offset: boolean;
  readonly separator: string;
}

interface ConsumeSettings {
  readonly topic: string;
  readonly fromBeginning: boolean;
  readonly group: string | undefined;
  readonly partition: number | undefined;
  readonly offset: number | undefined;
  readonly maxMessages: number;
  readonly timeoutMs: number | undefined;
}

const FETCH_WAIT_MS_MAX = 500;
const PARTITION_FETCH_BYTES = MiB;
const FETCH_BYTES = 16 * MiB;

const text = (bytes: Buffer | null): string => (bytes === null ? 'null' : bytes.toString('utf8'));

/** Formats records, counts them against --max-messages, and writes a fetch's lines at once. */
class RecordPrinter {
  printed = 0;
  readonly #format: PrintFormat;
  readonly #maxMessages: number;
  readonly #emit: (text: string) => void;

  constructor(format: PrintFormat, maxMessages: number, emit: (text: string) => void) {
    this.#format = format;
    this.#maxMessages = maxMessages;
    this.#emit = emit;
  }

  get done(): boolean {
    return this.printed >= this.#maxMessages;
  }

  line(partition: number, record: Record, timestampType: TimestampType): string {
    const fields: string[] = [];
    if (this.#format.timestamp) fields.push(record.timestamp < 0 ? 'NO_TIMESTAMP' : `${timestampType}:${record.timestamp}`);
    if (this.#format.partition) fields.push(`Partition:${partition}`);
    if (this.#format.offset) fields.push(`Offset:${record.offset}`);
    if (this.#format.key) fields.push(text(record.key));
    fields.push(text(record.value));
    return fields.join(this.#format.separator);
  }

  /**
   * Print the records at or after `from` until --max-messages; returns the offset to read (and
   * commit) next: `batchEnd` when every record went out, else the one after the last printed.
   */
  print(partition: number, records: ReadonlyArray<Record>, timestampType: TimestampType, from: number, batchEnd: number): number {
    const lines: string[] = [];
    let next = from;
    let complete = true;
    for (const record of records) {
      if (record.offset < from) continue;
      if (this.printed >= this.#maxMessages) {
        complete = false;
        break;
      }
      lines.push(this.line(partition, record, timestampType));
      this.printed++;
      next = record.offset + 1;
    }
    if (lines.length > 0) this.#emit(`${lines.join('\n')}\n`);
    return complete ? Math.max(next, batchEnd) : next;
  }
}

interface FetchedBatch {
  readonly records: Record[];
  readonly timestampType: TimestampType;
  readonly control: boolean;
  /** One past the batch's last offset. */
  readonly end: number;
}

/** The whole batches in fetched bytes (a fetch may end with part of a batch; it is left out). */
function* batchesIn(bytes: Buffer): Generator<FetchedBatch> {
  let at = 0;
  while (bytes.length - at >= RECORD_BATCH_OVERHEAD) {
    const size = bytes.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    if (size > bytes.length - at) return;
    const { header, records } = decodeRecordBatch(bytes.subarray(at, at + size));
    yield {
      records,
      timestampType: (header.attributes & TIMESTAMP_TYPE_MASK) === 0 ? 'CreateTime' : 'LogAppendTime',
      control: (header.attributes & CONTROL_MASK) !== 0,
      end: header.baseOffset + header.lastOffsetDelta + 1,
    };
    at += size;
  }
}

/** Print what a partition's fetch brought; returns the partition's next position. */
function printFetched(printer: RecordPrinter, partition: number, bytes: Buffer, position: number): number {
  for (const batch of batchesIn(bytes)) {
    if (printer.done) break;
    // Transaction markers hold no application records: skipped, as consumers do.
    position = batch.control ? Math.max(position, batch.end) : printer.print(partition, batch.records, batch.timestampType, position, batch.end);
  }
  return position;
}

/** SIGINT/SIGTERM ask the loop to stop (and commit); a second one kills as usual. */
class StopRequest {
  requested = false;
  readonly #stop = (): void => {
    this.requested = true;
  };

  constructor() {
    process.once('SIGINT', this.#stop);
    process.once('SIGTERM', this.#stop);
  }

  dispose(): void {
    process.off('SIGINT', this.#stop);
    process.off('SIGTERM', this.#stop);
  }
}

// -------------------------------------------------------------------------------------------------
// Data directory

/** Read each partition's log to its end. */
async function consumeLogs(broker: Broker, settings: ConsumeSettings, printer: RecordPrinter, stop: StopRequest): Promise<void> {
  const { topic } = settings;
  const partitions = choosePartitions(topic, broker.partitionCount(topic), settings.partition);
  const positions = new Map<number, number>();
  for (const partition of partitions) {
    const log = broker.log(topic, partition);
    const start = settings.offset ?? (settings.fromBeginning ? log.logStartOffset : log.highWatermark);
    positions.set(partition, Math.min(Math.max(start, log.logStartOffset), log.highWatermark));
  }
  let active = partitions;
  while (active.length > 0 && !printer.done && !stop.requested) {
    const next: number[] = [];
    for (const partition of active) {
      const log = broker.log(topic, partition);
      const position = positions.get(partition)!;
      const read = log.read(position, PARTITION_FETCH_BYTES, log.highWatermark);
      if (read.records.length === 0) continue;
      const advanced = printFetched(printer, partition, read.records, position);
      if (printer.done) return;
      // Positions only move forward, so the loop ends at each log's end.
      if (advanced <= position) continue;
      positions.set(partition, advanced);
      next.push(partition);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    active = next;
  }
}

/** A real group member: joins, reads from the committed offsets, commits what it printed. */
async function consumeAsGroup(broker: Broker, groupId: string, settings: ConsumeSettings, printer: RecordPrinter, stop: StopRequest): Promise<void> {
  const { topic } = settings;
  const timestampType = broker.describeTopic(topic).config.find((entry) => entry.name === 'message.timestamp.type')?.value === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime';
  const groups = await ConsumerGroups.open(broker, { 'offsets.retention.check.interval.ms': 0 });
  const consumed = new Map<number, number>();
  try {
    const consumer = groups.consumer({
      groupId,
      clientId: 'brook-cli',
      'auto.offset.reset': settings.fromBeginning ? 'earliest' : 'latest',
      'fetch.max.wait.ms': 0,
      'enable.auto.commit': false,
    });
    try {
      await consumer.subscribe({ topics: [topic] });
      while (!printer.done && !stop.requested) {
        const batches = await consumer.poll();
        if (batches.length === 0) break;
        for (const batch of batches) {
          // Once --max-messages is reached the rest is not printed, and the position to commit
          // stays at its first record (print returns `from`).
          if (batch.records.length === 0 || (printer.done && consumed.has(batch.partition))) continue;
          consumed.set(batch.partition, printer.print(batch.partition, batch.records, timestampType, batch.records[0]!.offset, batch.nextOffset));
        }
      }
    } finally {
      await consumer.close();
    }
    // Leaving committed the consumer's positions, which may run past the last record printed
    // (--max-messages stops inside a fetch); with no member left, commit exactly what was printed.
    if (consumed.size > 0) {
      const response = await groups.coordinator.commitOffsets({
        groupId,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [...consumed].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: null })) }],
      });
      const failed = response.topics.flatMap((entry) => entry.partitions).filter((entry) => entry.errorCode !== 'NONE');
      if (failed.length > 0) {
        throw new EngineError('REBALANCE_IN_PROGRESS', `committing the offsets of group "${groupId}" failed: ${failed.map((entry) => entry.errorCode).join(', ')}`);
      }
    }
  } finally {
    groups.close();
  }
}

// -------------------------------------------------------------------------------------------------
// Running broker

async function startPositions(remote: RemoteBroker, settings: ConsumeSettings, partitions: number[]): Promise<Map<number, number>> {
  const positions = new Map<number, number>();
  if (settings.offset !== undefined) {
    for (const partition of partitions) positions.set(partition, settings.offset);
    return positions;
  }
  if (settings.group !== undefined) {
    const committed = await remote.committedOffsets(settings.group, [{ name: settings.topic, partitions }]);
    for (const entry of committed) if (entry.topic === settings.topic && entry.offset >= 0) positions.set(entry.partition, entry.offset);
  }
  const missing = partitions.filter((partition) => !positions.has(partition));
  if (missing.length > 0) {
    const offsets = await remote.listOffsets(settings.topic, missing, settings.fromBeginning ? EARLIEST : LATEST);
    for (const partition of missing) positions.set(partition, offsets.get(partition) ?? 0);
  }
  return positions;
}

/** An offset out of range (retention, or --offset past the end): move into [start, end]. */
async function clampPositions(remote: RemoteBroker, topic: string, positions: Map<number, number>): Promise<void> {
  const partitions = [...positions.keys()];
  const earliest = await remote.listOffsets(topic, partitions, EARLIEST);
  const latest = await remote.listOffsets(topic, partitions, LATEST);
  for (const partition of partitions) {
    const position = positions.get(partition)!;
    positions.set(partition, Math.min(Math.max(position, earliest.get(partition) ?? 0), latest.get(partition) ?? position));
  }
}

async function consumeRemote(remote: RemoteBroker, partitionCount: number, settings: ConsumeSettings, printer: RecordPrinter, stop: StopRequest): Promise<Map<number, number>> {
  const { topic } = settings;
  const partitions = choosePartitions(topic, partitionCount, settings.partition);
  const positions = await startPositions(remote, settings, partitions);
  let lastNewMs = Date.now();
  while (!printer.done && !stop.requested) {
    const quietMs = Date.now() - lastNewMs;
    if (settings.timeoutMs !== undefined && quietMs >= settings.timeoutMs) break;
    const waitMs = settings.timeoutMs === undefined ? FETCH_WAIT_MS_MAX : Math.min(FETCH_WAIT_MS_MAX, settings.timeoutMs - quietMs);
    let fetched;
    try {
      fetched = await remote.fetch(topic, [...positions].map(([partition, offset]) => ({ partition, offset })), {
        maxWaitMs: waitMs,
        minBytes: 1,
        maxBytes: FETCH_BYTES,
        partitionMaxBytes: PARTITION_FETCH_BYTES,
      });
    } catch (error) {
      if (!(error instanceof KafkaResponseError && error.kafkaCode === 1)) throw error;
      await clampPositions(remote, topic, positions);
      continue;
    }
    const printedBefore = printer.printed;
    for (const data of fetched) {
      const position = positions.get(data.partition);
      if (position === undefined || data.records.length === 0) continue;
      positions.set(data.partition, printFetched(printer, data.partition, data.records, position));
      if (printer.done) break;
    }
    if (printer.printed > printedBefore) lastNewMs = Date.now();
  }
  return positions;
}

// -------------------------------------------------------------------------------------------------

function readSettings(topic: string, flags: Flags): ConsumeSettings {
  const group = flags.string('group');
  const partition = flags.has('partition') ? flags.integer('partition', 0, 0, 1_000_000) : undefined;
  const offset = flags.has('offset') ? flags.integer('offset', 0, 0) : undefined;
  if (group === '') throw new UsageError('consume', '--group needs a group id');
  if (offset !== undefined && partition === undefined) throw new UsageError('consume', '--offset needs --partition (the offset is of one partition)');
  if (group !== undefined && (partition !== undefined || offset !== undefined)) {
    throw new UsageError('consume', '--group reads the partitions the group is given from its committed offsets; leave out --partition and --offset');
  }
  if (offset !== undefined && flags.boolean('from-beginning')) throw new UsageError('consume', 'give --offset or --from-beginning, not both');
  return {
    topic,
    fromBeginning: flags.boolean('from-beginning'),
    group,
    partition,
    offset,
    maxMessages: flags.has('max-messages') ? flags.integer('max-messages', 1, 1) : Number.POSITIVE_INFINITY,
    timeoutMs: flags.has('timeout-ms') ? flags.integer('timeout-ms', 0, 0) : undefined,
  };
}

function consumeFrom(target: Target, settings: ConsumeSettings, printer: RecordPrinter, stop: StopRequest): Promise<void> {
  const { topic, group } = settings;
  return withTarget(target, {
    local: async (broker) => {
      localPartitionCount(broker, topic, target);
      if (group === undefined) await consumeLogs(broker, settings, printer, stop);
      else await consumeAsGroup(broker, group, settings, printer, stop);
    },
    remote: async (client) => {
      const positions = await consumeRemote(client, await remotePartitionCount(client, topic, target), settings, printer, stop);
      if (group !== undefined) {
        await client.commitOffsets(group, [...positions].map(([partition, offset]) => ({ topic, partition, offset })));
      }
    },
  });
}

export const consumeCommand: CommandSpec = {
  name: 'consume',
  summary: 'Print the records of a topic, one line each (value as UTF-8 text; a null key or value prints as null).',
  positionals: '<topic>',
  flags: {
    ...TARGET_FLAGS,
    'from-beginning': { type: 'boolean', describe: 'start at the log start when there is no committed offset (default: only new records)' },
    group: { type: 'string', valueName: 'id', describe: 'start at this group\'s committed offsets and commit what was printed. On a data dir the consumer joins the group; against a broker it reads and commits as a simple consumer (no membership: it reads every partition, and its commit is refused while the group has live members)' },
    partition: { type: 'string', valueName: 'n', describe: 'read only this partition', defaultText: 'all' },
    offset: { type: 'string', valueName: 'n', describe: 'start at this offset (needs --partition)' },
    'max-messages': { type: 'string', valueName: 'n', describe: 'stop after printing n records' },
    'timeout-ms': { type: 'string', valueName: 'ms', describe: 'with --bootstrap-server: stop after ms without a new record', defaultText: 'keep following' },
    'print-key': { type: 'boolean', describe: 'print the key before the value' },
    'print-timestamp': { type: 'boolean', describe: 'print CreateTime:<ms> or LogAppendTime:<ms> first' },
    'print-partition': { type: 'boolean', describe: 'print Partition:<n>' },
    'print-offset': { type: 'boolean', describe: 'print Offset:<n>' },
    'key-separator': { type: 'string', valueName: 'sep', describe: 'between the printed fields', defaultText: 'a tab' },
  },
  details: [
    'On a data directory consume stops at the end of the log; on a running broker it follows new records until',
    '--max-messages, --timeout-ms or Ctrl-C. The record count goes to stderr.',
    '',
    'Examples:',
    '  brook consume orders --data-dir ./data --from-beginning --print-key',
    '  brook consume orders --bootstrap-server 127.0.0.1:9092 --group billing --timeout-ms 5000',
  ].join('\n'),
  async run(context) {
    const [topic] = positionals(context, consumeCommand, 1) as [string];
    const { flags } = context;
    const settings = readSettings(topic, flags);
    const target = targetOf('consume', flags);
    const format: PrintFormat = {
      key: flags.boolean('print-key'),
      timestamp: flags.boolean('print-timestamp'),
      partition: flags.boolean('print-partition'),
      offset: flags.boolean('print-offset'),
      separator: flags.string('key-separator', '\t'),
    };
    const printer = new RecordPrinter(format, settings.maxMessages, (lines) => context.io.out(lines));
    const stop = new StopRequest();
    try {
      await consumeFrom(target, settings, printer, stop);
    } finally {
      stop.dispose();
    }
    context.io.err(`consumed ${printer.printed} record${printer.printed === 1 ? '' : 's'}\n`);
    return 0;
  },
};
