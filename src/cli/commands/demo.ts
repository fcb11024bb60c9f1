import type { CommandSpec } from '../command.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../records/record-batch.js';
import type { CompressionCodec, RecordInput } from '../../records/record.js';
import { Log } from '../../storage/log.js';

/**
 * `brook demo`: the main job on embedded defaults until the network server exists. Appends
 * records to a partition log, reads them back, closes, reopens and says what it did.
 */
export interface DemoOptions {
  readonly directory: string | null;
  readonly records: number;
  readonly recordsPerBatch: number;
  readonly valueBytes: number;
  readonly compression: CompressionCodec;
}

export async function runDemo(options: DemoOptions, print: (line: string) => void): Promise<void> {
  const root = options.directory ?? mkdtempSync(join(tmpdir(), 'brook-demo-'));
  const path = join(root, 'demo-0');
  print(`brook demo: partition log in ${path}`);
  const log = await Log.open(path, { config: { 'segment.bytes': 64 * 1024 * 1024 } });
  const startOffset = log.logEndOffset;
  const batches = Math.ceil(options.records / options.recordsPerBatch);
  const value = Buffer.alloc(options.valueBytes, 'x');
  let bytes = 0;
  const appendStarted = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let batchIndex = 0; batchIndex < batches; batchIndex++) {
    const count = Math.min(options.recordsPerBatch, options.records - batchIndex * options.recordsPerBatch);
    const records: RecordInput[] = [];
    for (let index = 0; index < count; index++) records.push({ key: `key-${index % 100}`, value });
    const batch = encodeRecordBatch(records, { compression: options.compression });
    bytes += batch.length;
    pending.push(log.append(batch));
  }
  await Promise.all(pending);
  const appendMs = performance.now() - appendStarted;
  print(
    `appended ${options.records} records (${options.valueBytes}-byte values, ${options.compression}) in ${batches} batches: ` +
      `${(bytes / 1e6).toFixed(1)} MB in ${appendMs.toFixed(0)} ms; offsets ${startOffset}..${log.logEndOffset - 1}`,
  );
  const readStarted = performance.now();
  let offset = startOffset;
  let read = 0;
  while (offset < log.logEndOffset) {
    const result = log.readRecords(offset, 1024 * 1024);
    read += result.records.length;
    offset = result.nextOffset;
  }
  print(`read back ${read} records from offset ${startOffset} in ${(performance.now() - readStarted).toFixed(0)} ms`);
  print(`log: ${log.segmentCount} segment(s), ${(log.sizeBytes / 1e6).toFixed(1)} MB, log end offset ${log.logEndOffset}`);
  await log.close();
  const reopened = await Log.open(path, { scheduleTasks: false });
  const report = reopened.recoveryReport;
  print(
    `reopened after a clean close: cleanShutdown=${report.cleanShutdown}, segments=${report.segmentsLoaded}, ` +
      `recovered=${report.segmentsRecovered}, in ${report.durationMs.toFixed(1)} ms`,
  );
  await reopened.close();
  if (options.directory === null) {
    rmSync(root, { recursive: true, force: true });
    print('removed the temporary directory (pass --dir to keep the data)');
  }
}

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'Append records to an embedded partition log, read them back, close it and reopen it.',
  flags: {
    dir: { type: 'string', valueName: 'path', describe: 'keep the data in <path>', defaultText: 'a temporary directory, removed after' },
    records: { type: 'string', valueName: 'n', describe: 'records to append', defaultText: '1000000' },
    batch: { type: 'string', valueName: 'n', describe: 'records per batch', defaultText: '1000' },
    'value-bytes': { type: 'string', valueName: 'n', describe: 'value size in bytes', defaultText: '100' },
    compression: { type: 'string', valueName: 'codec', describe: 'none or lz4', defaultText: 'none' },
  },
  async run({ flags, print }) {
    await runDemo(
      {
        directory: flags.string('dir') ?? null,
        records: flags.integer('records', 1_000_000, 1),
        recordsPerBatch: flags.integer('batch', 1000, 1),
        valueBytes: flags.integer('value-bytes', 100, 0),
        compression: flags.choice<CompressionCodec>('compression', ['none', 'lz4'], 'none'),
      },
      print,
    );
    return 0;
  },
};
