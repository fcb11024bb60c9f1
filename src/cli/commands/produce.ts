import type { Broker } from '../../broker/broker.js';
import { Partitioner } from '../../broker/partitioner.js';
import type { Acks, ProducerMessage } from '../../broker/producer.js';
import { EngineError } from '../../core/errors.js';
import { KiB, MiB } from '../../core/units.js';
import type { RemoteBroker } from '../../client/remote-broker.js';
import { encodeRecordBatch } from '../../records/record-batch.js';
import type { RecordInput } from '../../records/record.js';
import { positionals, UsageError, type CommandSpec } from '../command.js';
import { TARGET_FLAGS, targetOf, withTarget } from '../broker-target.js';
import { choosePartitions, localPartitionCount, remotePartitionCount } from './topic-target.js';

/**
 * `brook produce <topic>`: every line of stdin becomes one record (value = the line without its
 * newline; with --key-separator, the text before the first separator is the key). Lines are read
 * as they arrive and sent in groups of --batch lines, so stdin of any size streams through in
 * bounded memory. Partitions are chosen as the embedded producer chooses them (Kafka's rule):
 * --partition, else murmur2 of the key, else round-robin.
 */
const LINE_BYTES_MAX = 64 * MiB;
/** Records of one partition per RecordBatch sent to a remote broker, by uncompressed bytes. */
const REMOTE_BATCH_BYTES_MAX = 512 * KiB;
const RECORD_OVERHEAD_BYTES = 21;

interface ProduceSettings {
  readonly topic: string;
  readonly separator: Buffer | null;
  readonly partition: number | undefined;
  readonly compression: 'none' | 'lz4';
  readonly acks: Acks;
  readonly linesPerBatch: number;
}

/** Per partition: how many records went there and the offsets they got (unknown with acks=0). */
class ProduceTally {
  readonly #partitions = new Map<number, { count: number; first: number; last: number }>();
  total = 0;

  add(partition: number, count: number, firstOffset: number, lastOffset: number): void {
    const entry = this.#partitions.get(partition);
    this.total += count;
    if (entry === undefined) {
      this.#partitions.set(partition, { count, first: firstOffset, last: lastOffset });
      return;
    }
    entry.count += count;
    if (firstOffset >= 0) entry.first = entry.first < 0 ? firstOffset : Math.min(entry.first, firstOffset);
    entry.last = Math.max(entry.last, lastOffset);
  }

  lines(topic: string): string[] {
    const out = [`produced ${this.total} record${this.total === 1 ? '' : 's'} to topic ${topic}`];
    for (const [partition, entry] of [...this.#partitions].sort(([a], [b]) => a - b)) {
      const offsets = entry.first < 0 ? 'offsets not known (acks=0)' : `offsets ${entry.first}..${entry.last}`;
      out.push(`  partition ${partition}: ${entry.count} record${entry.count === 1 ? '' : 's'}, ${offsets}`);
    }
    return out;
  }
}

/** Lines of a byte stream, without their `\n` (or `\r\n`), read as the stream delivers them. */
export async function* readLines(stream: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let partsBytes = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    let start = 0;
    for (let newline = bytes.indexOf(10); newline >= 0; newline = bytes.indexOf(10, start)) {
      const piece = bytes.subarray(start, newline);
      const line = parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
      parts = [];
      partsBytes = 0;
      yield line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
      start = newline + 1;
    }
    if (start < bytes.length) {
      parts.push(bytes.subarray(start));
      partsBytes += bytes.length - start;
      if (partsBytes > LINE_BYTES_MAX) {
        throw new EngineError('RECORD_TOO_LARGE', `a line of stdin is longer than ${LINE_BYTES_MAX} bytes; split it (one record per line)`);
      }
    }
  }
  if (partsBytes > 0) {
    const line = Buffer.concat(parts);
    yield line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
  }
}

/** Lines grouped into arrays of up to `count`. */
async function* groups(lines: AsyncIterable<Buffer>, count: number): AsyncGenerator<Buffer[]> {
  let group: Buffer[] = [];
  for await (const line of lines) {
    group.push(line);
    if (group.length >= count) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

function splitKey(line: Buffer, separator: Buffer | null): { key: Buffer | null; value: Buffer } {
  if (separator === null) return { key: null, value: line };
  const at = line.indexOf(separator);
  if (at < 0) return { key: null, value: line };
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length) };
}

async function produceToDataDir(broker: Broker, settings: ProduceSettings, lines: AsyncIterable<Buffer[]>, tally: ProduceTally): Promise<void> {
  const producer = broker.producer({ acks: settings.acks, 'compression.type': settings.compression, 'batch.size': REMOTE_BATCH_BYTES_MAX });
  try {
    for await (const group of lines) {
      const messages: ProducerMessage[] = group.map((line) => {
        const { key, value } = splitKey(line, settings.separator);
        return settings.partition === undefined ? { key, value } : { key, value, partition: settings.partition };
      });
      const sent = await producer.send({ topic: settings.topic, messages });
      for (const metadata of sent) tally.add(metadata.partition, 1, metadata.offset, metadata.offset);
    }
  } finally {
    await producer.close();
  }
}

async function produceToRemote(remote: RemoteBroker, partitionCount: number, settings: ProduceSettings, lines: AsyncIterable<Buffer[]>, tally: ProduceTally): Promise<void> {
  const partitioner = new Partitioner('round-robin', REMOTE_BATCH_BYTES_MAX);
  const acks = settings.acks === 'all' ? -1 : settings.acks;
  for await (const group of lines) {
    const byPartition = new Map<number, RecordInput[][]>();
    const bytesOpen = new Map<number, number>();
    for (const line of group) {
      const { key, value } = splitKey(line, settings.separator);
      const recordBytes = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + value.length;
      const partition = partitioner.partition(settings.topic, partitionCount, key, settings.partition, recordBytes);
      const batches = byPartition.get(partition) ?? [[]];
      byPartition.set(partition, batches);
      if ((bytesOpen.get(partition) ?? 0) + recordBytes > REMOTE_BATCH_BYTES_MAX && batches[batches.length - 1]!.length > 0) {
        batches.push([]);
        bytesOpen.set(partition, 0);
      }
      batches[batches.length - 1]!.push({ key, value });
      bytesOpen.set(partition, (bytesOpen.get(partition) ?? 0) + recordBytes);
    }
    // Partitions in parallel; the batches of one partition in order.
    await Promise.all(
      [...byPartition].map(async ([partition, batches]) => {
        for (const records of batches) {
          const batch = encodeRecordBatch(records, { compression: settings.compression });
          const baseOffset = await remote.produce(settings.topic, partition, batch, acks);
          tally.add(partition, records.length, baseOffset, baseOffset < 0 ? -1 : baseOffset + records.length - 1);
        }
      }),
    );
  }
}

export const produceCommand: CommandSpec = {
  name: 'produce',
  summary: 'Produce the lines of stdin to a topic, one record per line, and print how many went to which partitions and offsets.',
  positionals: '<topic>',
  flags: {
    ...TARGET_FLAGS,
    'key-separator': { type: 'string', valueName: 'sep', describe: 'split each line at the first sep: key before, value after (lines without it get a null key)' },
    partition: { type: 'string', valueName: 'n', describe: 'send every record to this partition', defaultText: 'by key (murmur2), round-robin without a key' },
    compression: { type: 'string', valueName: 'none|lz4', describe: 'batch compression', defaultText: 'none' },
    acks: { type: 'string', valueName: '0|1|all', describe: 'acknowledgement to wait for', defaultText: 'all' },
    batch: { type: 'string', valueName: 'n', describe: 'lines read before sending them', defaultText: '1000' },
  },
  details: [
    'Examples:',
    '  seq 1 100 | brook produce orders --data-dir ./data',
    "  printf 'user1:clicked\\nuser2:bought\\n' | brook produce events --key-separator : --bootstrap-server 127.0.0.1:9092",
  ].join('\n'),
  async run(context) {
    const [topic] = positionals(context, produceCommand, 1) as [string];
    const { flags } = context;
    const separatorText = flags.string('key-separator');
    if (separatorText === '') throw new UsageError('produce', '--key-separator needs at least one character');
    const acksText = flags.choice('acks', ['0', '1', 'all', '-1'], 'all');
    const settings: ProduceSettings = {
      topic,
      separator: separatorText === undefined ? null : Buffer.from(separatorText),
      partition: flags.has('partition') ? flags.integer('partition', 0, 0, 1_000_000) : undefined,
      compression: flags.choice('compression', ['none', 'lz4'], 'none'),
      acks: acksText === 'all' || acksText === '-1' ? 'all' : acksText === '1' ? 1 : 0,
      linesPerBatch: flags.integer('batch', 1000, 1, 1_000_000),
    };
    const target = targetOf('produce', flags);
    const tally = new ProduceTally();
    const lines = groups(readLines(context.io.stdin), settings.linesPerBatch);
    await withTarget(target, {
      local: async (broker) => {
        choosePartitions(topic, localPartitionCount(broker, topic, target), settings.partition);
        await produceToDataDir(broker, settings, lines, tally);
      },
      remote: async (client) => {
        const partitions = await remotePartitionCount(client, topic, target);
        choosePartitions(topic, partitions, settings.partition);
        await produceToRemote(client, partitions, settings, lines, tally);
      },
    });
    for (const line of tally.lines(topic)) context.print(line);
    return 0;
  },
};
