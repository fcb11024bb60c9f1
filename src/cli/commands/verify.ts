import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EngineError } from '../../core/errors.js';
import { DECOMPRESSED_BYTES_LIMIT_DEFAULT, walkProducedBatch } from '../../records/record-batch.js';
import { parseBaseOffset } from '../../storage/file-names.js';
import { FileSegmentSource, isCorrupt, OffsetOrderCheck, scanSegment, type ScannedBatch } from '../../storage/segment-scan.js';
import { readTopics } from '../../storage/topic-metadata.js';
import { positionals, type CommandSpec } from '../command.js';
import { segmentFiles } from './dump.js';
import { DATA_DIR_DEFAULT } from '../broker-target.js';

/**
 * `brook verify`: check every stored byte of a data directory without changing any. For each
 * partition directory and each `.log` segment: every batch's length, magic and CRC-32C (over
 * attributes..end, as the codec computes it), its record count and records, offsets strictly
 * increasing across batches and segments, the first batch not below the file name's base offset,
 * and no bytes after the last batch. Also: the topic table's checksum and a directory for each
 * partition it lists.
 *
 * It reads files directly and never opens a Log: opening one runs recovery, which would cut a
 * corrupt tail, and a verifier must report, not repair.
 */
export interface Problem {
  /** File relative to the data directory. */
  readonly file: string;
  /** Byte position in the file, or -1 for the file as a whole. */
  readonly position: number;
  readonly what: string;
}

export interface PartitionReport {
  readonly name: string;
  readonly segments: number;
  readonly batches: number;
  readonly records: number;
  readonly bytes: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly problems: Problem[];
}

export interface DataDirReport {
  readonly dataDir: string;
  readonly partitions: PartitionReport[];
  /** Problems outside any partition directory (the topic table). */
  readonly problems: Problem[];
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : noun.endsWith('h') ? 'es' : 's'}`;

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

const batchName = (batch: ScannedBatch): string => `batch of offsets ${batch.baseOffset}..${batch.lastOffset}`;

/** Walk the records of a batch whose CRC holds: lengths, varints, offset deltas, count. */
function recordProblem(source: FileSegmentSource, batch: ScannedBatch): string | null {
  try {
    // snappy and zstd batches cannot be decompressed here: their CRC, checked already, covers them.
    walkProducedBatch(source.read(batch.position, batch.sizeBytes), 0, batch.sizeBytes, DECOMPRESSED_BYTES_LIMIT_DEFAULT);
    return null;
  } catch (error) {
    return `records of the ${batchName(batch)} do not decode: ${error instanceof Error ? error.message : String(error)}`;
  }
}

class PartitionCheck {
  segments = 0;
  batches = 0;
  records = 0;
  bytes = 0;
  firstOffset = -1;
  lastOffset = -1;
  readonly problems: Problem[] = [];

  segment(file: string, path: string, nameBaseOffset: number): void {
    this.segments++;
    const misplaced = OffsetOrderCheck.segmentName(nameBaseOffset, this.lastOffset);
    if (misplaced !== null) this.problems.push({ file, position: -1, what: misplaced });
    const order = new OffsetOrderCheck(nameBaseOffset, Math.max(this.lastOffset, nameBaseOffset - 1));
    const source = FileSegmentSource.open(path);
    try {
      this.bytes += source.sizeBytes;
      for (const entry of scanSegment(source)) {
        if (entry.kind === 'tail') {
          this.problems.push({ file, position: entry.position, what: `${entry.reason} (${entry.bytes} bytes to the end of the file; recovery would cut them)` });
          break;
        }
        this.#batch(file, source, order, entry);
      }
    } finally {
      source.close();
    }
    this.lastOffset = Math.max(this.lastOffset, order.lastOffset);
  }

  #batch(file: string, source: FileSegmentSource, order: OffsetOrderCheck, batch: ScannedBatch): void {
    this.batches++;
    this.records += Math.max(batch.count, 0);
    if (this.firstOffset < 0) this.firstOffset = batch.baseOffset;
    const at = (what: string): void => void this.problems.push({ file, position: batch.position, what });
    if (batch.crc === 'mismatch') at(`CRC-32C mismatch in the ${batchName(batch)} (stored ${hex(batch.crcStored)}, computed ${hex(batch.crcComputed)})`);
    for (const problem of batch.problems) at(`${problem} in the ${batchName(batch)}`);
    const disorder = order.check(batch);
    if (disorder !== null) at(disorder);
    if (!isCorrupt(batch)) {
      const records = recordProblem(source, batch);
      if (records !== null) at(records);
    }
  }
}

export function verifyPartition(dataDir: string, name: string): PartitionReport {
  const check = new PartitionCheck();
  const directory = join(dataDir, name);
  for (const path of segmentFiles(directory)) {
    check.segment(join(name, basename(path)), path, parseBaseOffset(basename(path))!);
  }
  const { segments, batches, records, bytes, firstOffset, lastOffset, problems } = check;
  return { name, segments, batches, records, bytes, firstOffset, lastOffset, problems };
}

/** Partition directories (`<topic>-<n>`), sorted by topic then partition number. */
export function partitionDirectories(dataDir: string): string[] {
  const split = (name: string): [string, number] => {
    const at = name.lastIndexOf('-');
    return [name.slice(0, at), Number(name.slice(at + 1))];
  };
  return readdirSync(dataDir)
    .filter((name) => /^.+-\d+$/.test(name) && statSync(join(dataDir, name)).isDirectory())
    .sort((a, b) => {
      const [topicA, partitionA] = split(a);
      const [topicB, partitionB] = split(b);
      return topicA === topicB ? partitionA - partitionB : topicA < topicB ? -1 : 1;
    });
}

export function verifyDataDir(dataDir: string): DataDirReport {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw new EngineError('CONFIG_INVALID', `data directory ${dataDir} does not exist: give the directory a broker uses with --data-dir`);
  }
  const problems: Problem[] = [];
  const names = partitionDirectories(dataDir);
  try {
    for (const topic of readTopics(dataDir)) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const name = `${topic.name}-${partition}`;
        if (!names.includes(name)) problems.push({ file: name, position: -1, what: `partition directory of topic "${topic.name}" (listed in topics.json) is missing` });
      }
    }
  } catch (error) {
    problems.push({ file: 'topics.json', position: -1, what: error instanceof Error ? error.message : String(error) });
  }
  return { dataDir, partitions: names.map((name) => verifyPartition(dataDir, name)), problems };
}

function problemLine(problem: Problem): string {
  return `  ${problem.file}${problem.position >= 0 ? ` position ${problem.position}` : ''}: ${problem.what}`;
}

function textReport(report: DataDirReport): string[] {
  const lines: string[] = [];
  const width = Math.max(0, ...report.partitions.map((partition) => partition.name.length));
  for (const partition of report.partitions) {
    const offsets = partition.batches === 0 ? 'empty' : `offsets ${partition.firstOffset}..${partition.lastOffset}`;
    const counts = `${plural(partition.segments, 'segment')}, ${plural(partition.batches, 'batch')}, ${plural(partition.records, 'record')}, ${offsets}, ${partition.bytes} bytes`;
    lines.push(`${partition.name.padEnd(width)}  ${partition.problems.length === 0 ? 'OK' : 'CORRUPT'}  ${counts}`);
    for (const problem of partition.problems) lines.push(problemLine(problem));
  }
  for (const problem of report.problems) lines.push(`CORRUPT${problemLine(problem).slice(1)}`);
  const corrupt = report.partitions.filter((partition) => partition.problems.length > 0).length;
  const total = (key: 'segments' | 'batches' | 'records'): number => report.partitions.reduce((sum, partition) => sum + partition[key], 0);
  const verdict = corrupt === 0 && report.problems.length === 0 ? 'all OK' : `${corrupt} corrupt partition${corrupt === 1 ? '' : 's'}${report.problems.length > 0 ? `, ${report.problems.length} other problem${report.problems.length === 1 ? '' : 's'}` : ''}`;
  lines.push(`verified ${report.partitions.length} partitions (${total('segments')} segments, ${total('batches')} batches, ${total('records')} records) in ${report.dataDir}: ${verdict}`);
  return lines;
}

export const verifyCommand: CommandSpec = {
  name: 'verify',
  summary: 'Check every batch of every segment of a data directory (length, magic, CRC-32C, records, offset order); exit 1 if anything is corrupt.',
  flags: {
    'data-dir': { type: 'string', valueName: 'path', describe: 'data directory to check', defaultText: DATA_DIR_DEFAULT },
    json: { type: 'boolean', describe: 'print the report as one JSON document' },
  },
  details: [
    'Read-only: files are read directly (no lock taken, no log opened, nothing truncated or repaired), so it can',
    'run beside a broker, although bytes being appended at that moment may show as a truncated tail.',
    'Exit code: 0 when everything is intact, 1 when something is corrupt (each problem names file and position).',
  ].join('\n'),
  async run(context) {
    positionals(context, verifyCommand, 0);
    const report = verifyDataDir(context.flags.string('data-dir', DATA_DIR_DEFAULT));
    const ok = report.problems.length === 0 && report.partitions.every((partition) => partition.problems.length === 0);
    if (context.flags.boolean('json')) {
      const partitions = report.partitions.map((partition) => ({ ...partition, ok: partition.problems.length === 0 }));
      context.print(JSON.stringify({ dataDir: report.dataDir, ok, partitions, problems: report.problems }, null, 2));
    } else {
      for (const line of textReport(report)) context.print(line);
    }
    return ok ? 0 : 1;
  },
};
