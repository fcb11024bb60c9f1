import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EngineError } from '../../core/errors.js';
import { decodeRecordBatch } from '../../records/record-batch.js';
import type { Record } from '../../records/record.js';
import { INDEX_SUFFIX, LOG_SUFFIX, parseBaseOffset, TIME_INDEX_SUFFIX } from '../../storage/file-names.js';
import {
  checkOffsetIndex,
  checkTimeIndex,
  FileSegmentSource,
  isCorrupt,
  OffsetOrderCheck,
  parseOffsetIndex,
  parseTimeIndex,
  scanSegment,
  type IndexFinding,
  type ScannedBatch,
  type ScanTail,
} from '../../storage/segment-scan.js';
import { positionals, type CommandSpec } from '../command.js';

/**
 * `brook dump <segment.log | partition dir | .index | .timeindex>`, after Kafka's kafka-dump-log:
 * one line per batch (offsets, position, size, codec, CRC status, timestamps, producer), records
 * with --records, index entries checked against the log with --indexes, and a summary. It only
 * reads (no lock, nothing repaired), so it works beside a running broker; bytes being appended
 * at that moment may show as a truncated tail.
 */
const PREVIEW_CHARS = 80;

interface DumpOptions {
  readonly records: boolean;
  readonly indexes: boolean;
}

/** Totals over the segments dumped. */
class DumpTotals {
  segments = 0;
  batches = 0;
  records = 0;
  corruptBatches = 0;
  orderProblems = 0;
  tails = 0;
  indexProblems = 0;
  firstOffset = -1;
  lastOffset = -1;

  add(batch: ScannedBatch): void {
    this.batches++;
    this.records += Math.max(batch.count, 0);
    if (isCorrupt(batch)) this.corruptBatches++;
    if (this.firstOffset < 0) this.firstOffset = batch.baseOffset;
    this.lastOffset = Math.max(this.lastOffset, batch.lastOffset);
  }

  line(scope: string): string {
    const offsets = this.batches === 0 ? 'no offsets' : `offsets ${this.firstOffset}..${this.lastOffset}`;
    const trouble = [
      `${this.corruptBatches} corrupt batch${this.corruptBatches === 1 ? '' : 'es'}`,
      ...(this.orderProblems > 0 ? [`${this.orderProblems} offset order problem${this.orderProblems === 1 ? '' : 's'}`] : []),
      ...(this.tails > 0 ? [`${this.tails} truncated or garbage tail${this.tails === 1 ? '' : 's'}`] : []),
      ...(this.indexProblems > 0 ? [`${this.indexProblems} index problem${this.indexProblems === 1 ? '' : 's'}`] : []),
    ];
    const segments = scope.startsWith('partition') ? `${this.segments} segment${this.segments === 1 ? '' : 's'}, ` : '';
    return `Summary (${scope}): ${segments}${this.batches} batch${this.batches === 1 ? '' : 'es'}, ${this.records} records, ${offsets}; ${trouble.join(', ')}`;
  }
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

export function batchLine(batch: ScannedBatch): string {
  const crc = batch.crc === 'ok' ? `crc: ${hex(batch.crcStored)} ok` : `crc: CORRUPT (stored ${hex(batch.crcStored)}, computed ${hex(batch.crcComputed)})`;
  const timestamps = `${batch.deleteHorizon ? 'deleteHorizonMs' : batch.timestampType === 'CreateTime' ? 'firstTimestamp' : 'baseTimestamp'}: ${batch.firstTimestamp} maxTimestamp: ${batch.maxTimestamp} (${batch.timestampType})`;
  return [
    `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.count}`,
    `position: ${batch.position} size: ${batch.sizeBytes} magic: ${batch.magic} codec: ${batch.codec} ${crc}`,
    timestamps,
    `producerId: ${batch.producerId} producerEpoch: ${batch.producerEpoch} baseSequence: ${batch.baseSequence}`,
    `partitionLeaderEpoch: ${batch.partitionLeaderEpoch} isTransactional: ${batch.transactional} isControl: ${batch.control}`,
  ].join(' ');
}

function preview(bytes: Buffer | null): string {
  if (bytes === null) return 'null';
  const text = bytes.toString('utf8');
  return text.length > PREVIEW_CHARS ? `${JSON.stringify(text.slice(0, PREVIEW_CHARS))}…` : JSON.stringify(text);
}

function recordLine(record: Record): string {
  const headers = record.headers.map((header) => `${header.key}=${preview(header.value)}`).join(', ');
  return (
    `| offset: ${record.offset} timestamp: ${record.timestamp} keySize: ${record.key?.length ?? -1} valueSize: ${record.value?.length ?? -1} ` +
    `key: ${preview(record.key)} value: ${preview(record.value)} headers: [${headers}]`
  );
}

function tailLine(tail: ScanTail): string {
  return `TRUNCATED/GARBAGE TAIL at position ${tail.position} (${tail.bytes} bytes to the end): ${tail.reason}`;
}

/** Dump one `.log`; returns its last offset (for the order check of the next segment). */
function dumpSegment(path: string, previousLastOffset: number, options: DumpOptions, totals: DumpTotals, print: (line: string) => void): number {
  const nameBaseOffset = parseBaseOffset(basename(path)) ?? 0;
  print(`Dumping ${path}`);
  print(`Starting offset: ${nameBaseOffset}`);
  totals.segments++;
  const misplaced = OffsetOrderCheck.segmentName(nameBaseOffset, previousLastOffset);
  if (misplaced !== null) {
    totals.orderProblems++;
    print(`ORDER: ${misplaced}`);
  }
  const order = new OffsetOrderCheck(nameBaseOffset, Math.max(previousLastOffset, nameBaseOffset - 1));
  const batches: ScannedBatch[] = [];
  const source = FileSegmentSource.open(path);
  try {
    for (const entry of scanSegment(source)) {
      if (entry.kind === 'tail') {
        totals.tails++;
        print(tailLine(entry));
        break;
      }
      totals.add(entry);
      if (options.indexes) batches.push(entry);
      print(batchLine(entry));
      for (const problem of entry.problems) print(`CORRUPT: batch at position ${entry.position}: ${problem}`);
      const disorder = order.check(entry);
      if (disorder !== null) {
        totals.orderProblems++;
        print(`ORDER: batch at position ${entry.position}: ${disorder}`);
      }
      if (options.records) printRecords(source, entry, print);
    }
    if (options.indexes) dumpIndexes(path, nameBaseOffset, batches, source.sizeBytes, totals, print);
  } finally {
    source.close();
  }
  return order.lastOffset;
}

function printRecords(source: FileSegmentSource, batch: ScannedBatch, print: (line: string) => void): void {
  if (isCorrupt(batch)) {
    // Its bytes cannot be trusted: decoding them would print damage as if it were data.
    print('| records not decoded: the batch is corrupt (see above)');
    return;
  }
  try {
    const { records } = decodeRecordBatch(source.read(batch.position, batch.sizeBytes), 0, { crcChecked: true });
    for (const record of records) print(recordLine(record));
  } catch (error) {
    print(`| records cannot be decoded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function dumpIndexes(logPath: string, baseOffset: number, batches: ScannedBatch[], logBytes: number, totals: DumpTotals, print: (line: string) => void): void {
  const stem = logPath.slice(0, -LOG_SUFFIX.length);
  const report = (findings: IndexFinding[]): void => {
    totals.indexProblems += findings.length;
    for (const finding of findings) print(`MISMATCH${finding.entry >= 0 ? ` entry ${finding.entry}` : ''}: ${finding.what}`);
    if (findings.length === 0) print('index matches the log');
  };
  const indexPath = stem + INDEX_SUFFIX;
  if (existsSync(indexPath)) {
    print(`Dumping ${indexPath}`);
    const index = parseOffsetIndex(readFileSync(indexPath), baseOffset);
    for (const entry of index.entries) print(`offset: ${entry.offset} position: ${entry.position}`);
    report(checkOffsetIndex(index, batches, logBytes));
  } else {
    print(`No ${basename(indexPath)} (indexes are rebuilt from the log when missing)`);
  }
  const timeIndexPath = stem + TIME_INDEX_SUFFIX;
  if (existsSync(timeIndexPath)) {
    print(`Dumping ${timeIndexPath}`);
    const index = parseTimeIndex(readFileSync(timeIndexPath), baseOffset);
    for (const entry of index.entries) print(`timestamp: ${entry.timestamp} offset: ${entry.offset}`);
    report(checkTimeIndex(index, batches));
  } else {
    print(`No ${basename(timeIndexPath)} (indexes are rebuilt from the log when missing)`);
  }
}

/** The `.log` files of a partition directory, by base offset. */
export function segmentFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(LOG_SUFFIX) && parseBaseOffset(name) !== null && /^\d+\.log$/.test(name))
    .sort((a, b) => parseBaseOffset(a)! - parseBaseOffset(b)!)
    .map((name) => join(directory, name));
}

/** What the path names: segments of a directory, one segment, or one index (with its log). */
function resolvePath(path: string, options: DumpOptions): { logs: string[]; options: DumpOptions; directory: boolean } {
  if (!existsSync(path)) throw new EngineError('CONFIG_INVALID', `${path} does not exist: give a segment file (*.log) or a partition directory (<data-dir>/<topic>-<partition>)`);
  if (statSync(path).isDirectory()) {
    const logs = segmentFiles(path);
    if (logs.length === 0) {
      throw new EngineError('CONFIG_INVALID', `${path} holds no segment files (*.log): give a partition directory such as <data-dir>/<topic>-<partition>, or a .log file`);
    }
    return { logs, options, directory: true };
  }
  for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
    if (path.endsWith(suffix)) {
      const log = path.slice(0, -suffix.length) + LOG_SUFFIX;
      if (!existsSync(log)) throw new EngineError('CONFIG_INVALID', `${path} has no segment ${basename(log)} beside it to check its entries against`);
      return { logs: [log], options: { ...options, indexes: true }, directory: false };
    }
  }
  if (!path.endsWith(LOG_SUFFIX)) {
    throw new EngineError('CONFIG_INVALID', `${path} is not a segment file: give a *.log, *.index or *.timeindex file, or a partition directory`);
  }
  return { logs: [path], options, directory: false };
}

export const dumpCommand: CommandSpec = {
  name: 'dump',
  summary: 'Print the batches of a segment file or partition directory: offsets, position, size, codec, CRC status, timestamps, producer (like kafka-dump-log).',
  positionals: '<segment.log | partition-dir | .index | .timeindex>',
  flags: {
    records: { type: 'boolean', describe: 'also decode each batch\'s records: offset, timestamp, key, value (first 80 characters), headers' },
    indexes: { type: 'boolean', describe: 'also print the .index and .timeindex entries and check each against the log' },
  },
  details: [
    'Read-only: it takes no lock and changes nothing, so it works while a broker runs. A batch whose CRC-32C',
    'fails shows "crc: CORRUPT"; bytes where no batch can start show as a truncated or garbage tail. The exit',
    'code is 0 whatever it finds; `brook verify` checks a whole data directory and exits 1 on corruption.',
    '',
    'Example: brook dump ./data/orders-0 --indexes',
  ].join('\n'),
  async run(context) {
    const [path] = positionals(context, dumpCommand, 1) as [string];
    const resolved = resolvePath(path, { records: context.flags.boolean('records'), indexes: context.flags.boolean('indexes') });
    const partition = new DumpTotals();
    let previousLastOffset = -1;
    for (const log of resolved.logs) {
      const segment = new DumpTotals();
      const lastOffset = dumpSegment(log, previousLastOffset, resolved.options, segment, context.print);
      context.print(segment.line('segment'));
      if (resolved.logs.length > 1) context.print('');
      previousLastOffset = Math.max(previousLastOffset, lastOffset);
      mergeInto(partition, segment);
    }
    if (resolved.directory) context.print(partition.line(`partition ${basename(path.replace(/[\\/]+$/, '')) || dirname(path)}`));
    return 0;
  },
};

function mergeInto(total: DumpTotals, part: DumpTotals): void {
  total.segments += part.segments;
  total.batches += part.batches;
  total.records += part.records;
  total.corruptBatches += part.corruptBatches;
  total.orderProblems += part.orderProblems;
  total.tails += part.tails;
  total.indexProblems += part.indexProblems;
  if (total.firstOffset < 0) total.firstOffset = part.firstOffset;
  total.lastOffset = Math.max(total.lastOffset, part.lastOffset);
}
