import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { brook, brookServe, stopAllProcesses } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * `brook dump` and `brook verify`, run as the real binary on real segment files: dump shows each
 * batch where it lies and whether its CRC holds; after a byte is flipped or a tail cut off in a
 * file on disk, dump marks that batch and verify exits 1 naming file and position, without
 * changing a byte; an intact data directory verifies with exit 0.
 */

const directories: TempDir[] = [];

afterEach(() => {
  stopAllProcesses();
  for (const directory of directories.splice(0)) directory.remove();
});

const INPUT = Array.from({ length: 100 }, (_, index) => `key-${index % 5}:ledger entry ${index}`);

/** A one-partition topic of 100 records in batches of 10, over several small segments. */
async function ledger(): Promise<{ dataDir: string; partitionDir: string; segments: string[] }> {
  const directory = makeTempDir('brook-dump-');
  directories.push(directory);
  const broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
  await broker.createTopic('ledger', { partitions: 1, config: { 'segment.bytes': 1500, 'index.interval.bytes': 100 } });
  await broker.close();
  const produced = await brook(['produce', 'ledger', '--data-dir', directory.path, '--key-separator', ':', '--batch', '10'], { input: INPUT.join('\n') });
  expect(produced.code).toBe(0);
  const partitionDir = join(directory.path, 'ledger-0');
  const segments = readdirSync(partitionDir).filter((name) => name.endsWith('.log')).sort();
  return { dataDir: directory.path, partitionDir, segments };
}

interface DumpedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly position: number;
  readonly size: number;
  readonly crc: string;
  readonly line: string;
}

function parseBatches(out: string): DumpedBatch[] {
  return out
    .split('\n')
    .filter((line) => line.startsWith('baseOffset: '))
    .map((line) => {
      const field = (name: string): number => Number(new RegExp(`\\b${name}: (-?\\d+)`).exec(line)![1]);
      return {
        baseOffset: field('baseOffset'),
        lastOffset: field('lastOffset'),
        count: field('count'),
        position: field('position'),
        size: field('size'),
        crc: /crc: (0x[0-9a-f]{8} ok|CORRUPT)/.exec(line)![1]!,
        line,
      };
    });
}

/** Every file of a directory tree with its bytes, to prove a command changed nothing. */
function snapshot(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(join(entry.parentPath, entry.name), readFileSync(join(entry.parentPath, entry.name)));
  }
  return files;
}

function flipByte(path: string, position: number): void {
  const bytes = readFileSync(path);
  bytes[position]! ^= 0x20;
  writeFileSync(path, bytes);
}

describe('brook dump', () => {
  test('shows each batch of a segment at its position, back to back, with its offsets and CRC ok', async () => {
    const { partitionDir, segments } = await ledger();
    expect(segments.length).toBeGreaterThan(1);
    const file = join(partitionDir, segments[0]!);
    const result = await brook(['dump', file]);
    expect(result.code).toBe(0);
    const batches = parseBatches(result.out);
    expect(batches.length).toBeGreaterThan(1);
    let position = 0;
    let offset = Number(segments[0]!.slice(0, 20));
    for (const batch of batches) {
      expect(batch.position).toBe(position);
      expect(batch.baseOffset).toBe(offset);
      expect(batch.count).toBe(10);
      expect(batch.lastOffset).toBe(offset + 9);
      expect(batch.crc).toMatch(/ok$/);
      position += batch.size;
      offset += 10;
    }
    expect(position).toBe(statSync(file).size);
    expect(result.out).toMatch(new RegExp(`Summary \\(segment\\): ${batches.length} batches, ${batches.length * 10} records, offsets 0\\.\\.${offset - 1}; 0 corrupt batches`));
  });

  test('a partition directory is dumped segment by segment, offsets running on from 0 to 99', async () => {
    const { partitionDir, segments } = await ledger();
    const result = await brook(['dump', partitionDir]);
    expect(result.code).toBe(0);
    const starts = [...result.out.matchAll(/^Starting offset: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(starts).toEqual(segments.map((name) => Number(name.slice(0, 20))));
    const batches = parseBatches(result.out);
    expect(batches.map((batch) => batch.baseOffset)).toEqual(Array.from({ length: 10 }, (_, index) => index * 10));
    expect(result.out).toMatch(new RegExp(`Summary \\(partition ledger-0\\): ${segments.length} segments, 10 batches, 100 records, offsets 0\\.\\.99; 0 corrupt batches`));
  });

  test('--records decodes every record: offset, key and value', async () => {
    const { partitionDir } = await ledger();
    const result = await brook(['dump', partitionDir, '--records']);
    const records = [...result.out.matchAll(/^\| offset: (\d+) .* key: "([^"]*)" value: "([^"]*)"/gm)].map((match) => `${match[2]}:${match[3]}`);
    expect(records).toEqual(INPUT);
    const offsets = [...result.out.matchAll(/^\| offset: (\d+) /gm)].map((match) => Number(match[1]));
    expect(offsets).toEqual(Array.from({ length: 100 }, (_, index) => index));
  });

  test('--indexes lists index entries that match the log, and reports one pointing to the wrong position', async () => {
    const { partitionDir, segments } = await ledger();
    const logPath = join(partitionDir, segments[0]!);
    const clean = await brook(['dump', logPath, '--indexes']);
    const entries = [...clean.out.matchAll(/^offset: (\d+) position: (\d+)$/gm)].map((match) => ({ offset: Number(match[1]), position: Number(match[2]) }));
    expect(entries.length).toBeGreaterThan(0);
    const batches = parseBatches(clean.out);
    for (const entry of entries) {
      expect(batches.find((batch) => batch.position === entry.position)?.lastOffset).toBe(entry.offset);
    }
    expect(clean.out).toMatch(/^timestamp: \d+ offset: \d+$/m);
    expect(clean.out).not.toMatch(/MISMATCH/);

    const indexPath = logPath.replace(/\.log$/, '.index');
    const index = readFileSync(indexPath);
    index.writeInt32BE(entries[0]!.position + 3, 4);
    writeFileSync(indexPath, index);
    const broken = await brook(['dump', indexPath]);
    expect(broken.code).toBe(0);
    expect(broken.out).toContain(`MISMATCH entry 0: offset ${entries[0]!.offset} → position ${entries[0]!.position + 3}: no batch starts at position ${entries[0]!.position + 3}`);
    expect(broken.out).toMatch(/1 index problem/);
  });

  test('a flipped byte on disk shows as CORRUPT at exactly that batch', async () => {
    const { partitionDir, segments } = await ledger();
    const file = join(partitionDir, segments[0]!);
    const before = parseBatches((await brook(['dump', file])).out);
    const target = before[1]!;
    flipByte(file, target.position + target.size - 4);
    const result = await brook(['dump', file]);
    expect(result.code).toBe(0);
    const after = parseBatches(result.out);
    expect(after.map((batch) => batch.position)).toEqual(before.map((batch) => batch.position));
    expect(after.map((batch) => batch.crc === 'CORRUPT')).toEqual(before.map((_, index) => index === 1));
    expect(after[1]!.line).toMatch(/crc: CORRUPT \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
    expect(result.out).toMatch(/; 1 corrupt batch\b/);
  });

  test('a cut-off last batch is reported as a truncated tail at its position', async () => {
    const { partitionDir, segments } = await ledger();
    const file = join(partitionDir, segments[segments.length - 1]!);
    const batches = parseBatches((await brook(['dump', file])).out);
    const last = batches[batches.length - 1]!;
    truncateSync(file, last.position + 30);
    const result = await brook(['dump', file]);
    expect(result.code).toBe(0);
    expect(parseBatches(result.out)).toHaveLength(batches.length - 1);
    expect(result.out).toContain(`TRUNCATED/GARBAGE TAIL at position ${last.position} (30 bytes to the end)`);
  });

  test('a path that is not a segment is refused with a pointer to what to give', async () => {
    const { dataDir } = await ledger();
    const missing = await brook(['dump', join(dataDir, 'nope.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const root = await brook(['dump', dataDir]);
    expect(root.code).toBe(1);
    expect(root.stderr).toMatch(/holds no segment files/);
  });

  test('works on the files of a data directory a running broker holds', async () => {
    const { dataDir, partitionDir } = await ledger();
    const served = await brookServe(['--data-dir', dataDir]);
    const result = await brook(['dump', partitionDir]);
    expect(result.code).toBe(0);
    expect(parseBatches(result.out)).toHaveLength(10);
    const verified = await brook(['verify', '--data-dir', dataDir]);
    expect(verified.code).toBe(0);
    expect(await served.stop()).toBe(0);
  });
});

describe('brook verify', () => {
  test('an intact data directory verifies with exit 0', async () => {
    const { dataDir, segments } = await ledger();
    const result = await brook(['verify', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(new RegExp(`^ledger-0  OK  ${segments.length} segments, 10 batches, 100 records, offsets 0\\.\\.99`, 'm'));
    expect(result.out).toMatch(/: all OK$/m);
  });

  test('a flipped byte makes verify exit 1 naming file and position, and nothing on disk changes', async () => {
    const { dataDir, partitionDir, segments } = await ledger();
    const name = segments[1]!;
    const file = join(partitionDir, name);
    const target = parseBatches((await brook(['dump', file])).out)[0]!;
    flipByte(file, target.position + 70);
    const before = snapshot(dataDir);
    const result = await brook(['verify', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^ledger-0  CORRUPT/m);
    expect(result.out).toContain(`ledger-0/${name} position ${target.position}: CRC-32C mismatch in the batch of offsets ${target.baseOffset}..${target.lastOffset}`);
    expect(result.out).toMatch(/1 corrupt partition/);
    expect(snapshot(dataDir)).toEqual(before);

    const json = await brook(['verify', '--data-dir', dataDir, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as { ok: boolean; partitions: Array<{ name: string; ok: boolean; problems: Array<{ file: string; position: number; what: string }> }> };
    expect(report.ok).toBe(false);
    const partition = report.partitions.find((entry) => entry.name === 'ledger-0')!;
    expect(partition.ok).toBe(false);
    expect(partition.problems).toEqual([{ file: `ledger-0/${name}`, position: target.position, what: expect.stringMatching(/^CRC-32C mismatch/) as unknown as string }]);
  });

  test('a torn tail is corruption too, and verify leaves the bytes for recovery to deal with', async () => {
    const { dataDir, partitionDir, segments } = await ledger();
    const name = segments[segments.length - 1]!;
    const file = join(partitionDir, name);
    const batches = parseBatches((await brook(['dump', file])).out);
    const last = batches[batches.length - 1]!;
    truncateSync(file, last.position + last.size - 1);
    const result = await brook(['verify', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`ledger-0/${name} position ${last.position}: truncated batch`);
    expect(statSync(file).size).toBe(last.position + last.size - 1);
  });

  test('a missing data directory is an error, not a clean bill of health', async () => {
    const directory = makeTempDir();
    directories.push(directory);
    const result = await brook(['verify', '--data-dir', join(directory.path, 'absent')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/does not exist/);
  });
});
