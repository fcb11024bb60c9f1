import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import type { LogConfigInput } from '../../src/storage/config.js';
import { brook, BROOK_BIN, brookServe, stopAllProcesses } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { LongRunningProcess } from '../server/clients/client-process.js';

/**
 * `brook produce` and `brook consume`, run as the real binary against a temporary data directory
 * or a running `brook serve`: lines of stdin become records, partitioned as the embedded producer
 * partitions them, and come back out one per line, in order within each partition.
 */

const PARTITIONS = 3;
const directories: TempDir[] = [];

afterEach(() => {
  stopAllProcesses();
  for (const directory of directories.splice(0)) directory.remove();
});

async function dataDirWithTopic(topic: string, partitions = PARTITIONS, config: LogConfigInput = {}): Promise<string> {
  const directory = makeTempDir('brook-cli-');
  directories.push(directory);
  const broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
  await broker.createTopic(topic, { partitions, config });
  await broker.close();
  return directory.path;
}

/** 100 lines "key-(i mod 7):value-i". */
const keyedLines = (count: number): string[] => Array.from({ length: count }, (_, index) => `key-${index % 7}:value-${index}`);

interface Printed {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/** Lines of `--print-partition --print-offset --print-key` output. */
function parsePrinted(out: string): Printed[] {
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [partition, offset, key, value] = line.split('\t');
      expect(partition).toMatch(/^Partition:\d+$/);
      expect(offset).toMatch(/^Offset:\d+$/);
      return { partition: Number(partition!.slice(10)), offset: Number(offset!.slice(7)), key: key!, value: value! };
    });
}

/** The summary's "partition N: C records, offsets a..b" lines. */
function parseSummary(out: string): Map<number, { count: number; first: number; last: number }> {
  const summary = new Map<number, { count: number; first: number; last: number }>();
  for (const match of out.matchAll(/partition (\d+): (\d+) records?, offsets (\d+)\.\.(\d+)/g)) {
    summary.set(Number(match[1]), { count: Number(match[2]), first: Number(match[3]), last: Number(match[4]) });
  }
  return summary;
}

const lines = (out: string): string[] => out.split('\n').filter((line) => line !== '');

describe('brook produce and consume on a data directory', () => {
  test('keyed lines go to their murmur2 partition and come back in per-partition order', async () => {
    const dataDir = await dataDirWithTopic('orders');
    const input = keyedLines(100);
    const produced = await brook(['produce', 'orders', '--data-dir', dataDir, '--key-separator', ':', '--batch', '9'], { input: `${input.join('\n')}\n` });
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    expect(produced.out).toMatch(/produced 100 records to topic orders/);
    const summary = parseSummary(produced.out);
    expect([...summary.values()].reduce((sum, entry) => sum + entry.count, 0)).toBe(100);

    const consumed = await brook(['consume', 'orders', '--data-dir', dataDir, '--from-beginning', '--print-partition', '--print-offset', '--print-key']);
    expect(consumed.code).toBe(0);
    expect(consumed.stderr).toMatch(/consumed 100 records/);
    const printed = parsePrinted(consumed.out);
    expect(printed).toHaveLength(100);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const expected = input
        .filter((line) => partitionForKey(Buffer.from(line.split(':')[0]!), PARTITIONS) === partition)
        .map((line, offset) => ({ partition, offset, key: line.split(':')[0]!, value: line.split(':')[1]! }));
      expect(printed.filter((record) => record.partition === partition)).toEqual(expected);
      expect(summary.get(partition) ?? { count: 0 }).toEqual(expected.length === 0 ? { count: 0 } : { count: expected.length, first: 0, last: expected.length - 1 });
    }
  });

  test('every record of a key lands in one partition, which --partition reads alone', async () => {
    const dataDir = await dataDirWithTopic('clicks');
    await brook(['produce', 'clicks', '--data-dir', dataDir, '--key-separator', ':'], { input: keyedLines(70).join('\n') });
    const seen = new Map<string, Set<number>>();
    let total = 0;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const result = await brook(['consume', 'clicks', '--data-dir', dataDir, '--partition', String(partition), '--from-beginning', '--print-key', '--key-separator', '|']);
      expect(result.code).toBe(0);
      for (const line of lines(result.out)) {
        const [key] = line.split('|');
        seen.set(key!, new Set([...(seen.get(key!) ?? []), partition]));
        total++;
      }
    }
    expect(total).toBe(70);
    expect(seen.size).toBe(7);
    for (const partitions of seen.values()) expect(partitions.size).toBe(1);
  });

  test('lines without a key go round-robin; --partition sends them all to one partition', async () => {
    const dataDir = await dataDirWithTopic('plain');
    const roundRobin = await brook(['produce', 'plain', '--data-dir', dataDir], { input: 'a\nb\nc\nd\ne\nf\n' });
    expect(roundRobin.code).toBe(0);
    expect([...parseSummary(roundRobin.out).values()].map((entry) => entry.count)).toEqual([2, 2, 2]);
    const pinned = await brook(['produce', 'plain', '--data-dir', dataDir, '--partition', '2'], { input: 'x\ny\n' });
    expect(parseSummary(pinned.out)).toEqual(new Map([[2, { count: 2, first: 2, last: 3 }]]));
    const partition2 = await brook(['consume', 'plain', '--data-dir', dataDir, '--partition', '2', '--offset', '2', '--print-key']);
    expect(partition2.out).toBe('null\tx\nnull\ty\n');
  });

  test('--max-messages stops after that many records', async () => {
    const dataDir = await dataDirWithTopic('limited', 1);
    await brook(['produce', 'limited', '--data-dir', dataDir], { input: Array.from({ length: 30 }, (_, index) => `line ${index}`).join('\n') });
    const result = await brook(['consume', 'limited', '--data-dir', dataDir, '--from-beginning', '--max-messages', '7']);
    expect(result.code).toBe(0);
    expect(lines(result.out)).toEqual(Array.from({ length: 7 }, (_, index) => `line ${index}`));
  });

  test('without --from-beginning a consumer starts at the end and prints nothing old', async () => {
    const dataDir = await dataDirWithTopic('old');
    await brook(['produce', 'old', '--data-dir', dataDir], { input: 'one\ntwo\n' });
    const result = await brook(['consume', 'old', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.out).toBe('');
  });

  test('a group resumes where its last run stopped, and has nothing new after reading everything', async () => {
    const dataDir = await dataDirWithTopic('jobs');
    const input = keyedLines(100);
    await brook(['produce', 'jobs', '--data-dir', dataDir, '--key-separator', ':'], { input: input.join('\n') });
    const args = ['consume', 'jobs', '--data-dir', dataDir, '--group', 'workers', '--from-beginning', '--print-partition', '--print-offset', '--print-key'];
    const first = await brook([...args, '--max-messages', '40']);
    expect(first.code).toBe(0);
    const second = await brook(args);
    expect(second.code).toBe(0);
    const third = await brook(args);
    expect(third.code).toBe(0);
    expect(third.out).toBe('');
    const firstPrinted = parsePrinted(first.out);
    const secondPrinted = parsePrinted(second.out);
    expect(firstPrinted).toHaveLength(40);
    expect(secondPrinted).toHaveLength(60);
    const all = [...firstPrinted, ...secondPrinted].map((record) => `${record.key}:${record.value}`).sort();
    expect(all).toEqual([...input].sort());
  });

  test('lz4 batches are written compressed and read back intact', async () => {
    const dataDir = await dataDirWithTopic('packed', 1);
    const input = Array.from({ length: 200 }, (_, index) => `compressible text line number ${index} ${'abc'.repeat(10)}`);
    const produced = await brook(['produce', 'packed', '--data-dir', dataDir, '--compression', 'lz4'], { input: input.join('\n') });
    expect(produced.code).toBe(0);
    const dump = await brook(['dump', `${dataDir}/packed-0`]);
    expect(dump.out).toMatch(/codec: lz4/);
    expect(dump.out).not.toMatch(/codec: none/);
    const consumed = await brook(['consume', 'packed', '--data-dir', dataDir, '--from-beginning']);
    expect(lines(consumed.out)).toEqual(input);
  });

  test('producing to a missing topic fails with exit 1 and says how to create it', async () => {
    const dataDir = await dataDirWithTopic('exists');
    const result = await brook(['produce', 'missing', '--data-dir', dataDir], { input: 'hello\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/UNKNOWN_TOPIC_OR_PARTITION: topic "missing" does not exist/);
    expect(result.stderr).toContain(`brook topics create missing --data-dir ${dataDir}`);
    const consumed = await brook(['consume', 'missing', '--data-dir', dataDir]);
    expect(consumed.code).toBe(1);
    expect(consumed.stderr).toContain('brook topics create missing');
  });

  test('contradictory flags are usage errors (exit 2)', async () => {
    const dataDir = await dataDirWithTopic('flags');
    const offsetWithoutPartition = await brook(['consume', 'flags', '--data-dir', dataDir, '--offset', '3']);
    expect(offsetWithoutPartition.code).toBe(2);
    expect(offsetWithoutPartition.stderr).toMatch(/--offset needs --partition/);
    const both = await brook(['produce', 'flags', '--data-dir', dataDir, '--bootstrap-server', '127.0.0.1:1']);
    expect(both.code).toBe(2);
    const badAcks = await brook(['produce', 'flags', '--data-dir', dataDir, '--acks', '2']);
    expect(badAcks.code).toBe(2);
    expect(badAcks.stderr).toMatch(/--acks=2 is invalid/);
  });

  test('--help describes each command', async () => {
    for (const [command, flag] of [['produce', '--key-separator'], ['consume', '--from-beginning'], ['dump', '--indexes'], ['verify', '--json']] as const) {
      const result = await brook([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.out).toMatch(new RegExp(`^Usage: brook ${command}`));
      expect(result.out).toContain(flag);
    }
  });
});

describe('brook produce and consume against a running broker', () => {
  test('records produced over the wire are consumed over the wire, and a group commits its progress', async () => {
    const dataDir = await dataDirWithTopic('remote');
    const served = await brookServe(['--data-dir', dataDir]);
    const input = keyedLines(50);
    const produced = await brook(['produce', 'remote', '--bootstrap-server', served.address, '--key-separator', ':', '--batch', '8'], { input: input.join('\n') });
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    expect(produced.out).toMatch(/produced 50 records/);

    const all = await brook(['consume', 'remote', '--bootstrap-server', served.address, '--from-beginning', '--timeout-ms', '1000', '--print-partition', '--print-offset', '--print-key']);
    expect(all.code).toBe(0);
    const printed = parsePrinted(all.out);
    expect(printed.map((record) => `${record.key}:${record.value}`).sort()).toEqual([...input].sort());
    for (const record of printed) expect(record.partition).toBe(partitionForKey(Buffer.from(record.key), PARTITIONS));

    const group = ['consume', 'remote', '--bootstrap-server', served.address, '--group', 'readers', '--from-beginning', '--timeout-ms', '800'];
    const first = await brook([...group, '--max-messages', '20']);
    expect(lines(first.out)).toHaveLength(20);
    const second = await brook(group);
    expect(lines(second.out)).toHaveLength(30);
    const third = await brook(group);
    expect(third.code).toBe(0);
    expect(third.out).toBe('');
    expect([...lines(first.out), ...lines(second.out)].sort()).toEqual(input.map((line) => line.split(':')[1]!).sort());

    const missing = await brook(['produce', 'nothing-here', '--bootstrap-server', served.address], { input: 'x\n' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`brook topics create nothing-here --bootstrap-server ${served.address}`);
    expect(await served.stop()).toBe(0);
  });

  test('produce sends lines as they arrive on stdin; consume follows new records until SIGINT and commits', async () => {
    const dataDir = await dataDirWithTopic('live', 1);
    const served = await brookServe(['--data-dir', dataDir]);
    const follower = new LongRunningProcess(process.execPath, [BROOK_BIN, 'consume', 'live', '--bootstrap-server', served.address, '--group', 'tail']);
    const producer = new LongRunningProcess(process.execPath, [BROOK_BIN, 'produce', 'live', '--bootstrap-server', served.address, '--batch', '1']);
    // The follower may join after the first line was sent: it starts at the end. So lines keep
    // coming until it has printed one, while the producer's stdin stays open (streamed, not slurped).
    let sent = 0;
    await waitFor(
      () => `the follower to print a line (stdout: ${follower.stdout}, stderr: ${follower.stderr}${producer.stderr})`,
      () => {
        producer.write(`event ${sent++}\n`);
        return follower.stdout.includes('event ');
      },
      20_000,
      200,
    );
    producer.closeStdin();
    expect((await producer.waitForExit(10_000)).code).toBe(0);
    expect(producer.stdout).toContain(`produced ${sent} records`);
    const firstSeen = Number(/event (\d+)/.exec(follower.stdout)![1]);
    await waitFor('the follower to print the last line', () => follower.stdout.includes(`event ${sent - 1}\n`), 10_000);
    follower.signal('SIGINT');
    expect((await follower.waitForExit(10_000)).code).toBe(0);
    expect(lines(follower.stdout)).toEqual(Array.from({ length: sent - firstSeen }, (_, index) => `event ${firstSeen + index}`));
    const again = await brook(['consume', 'live', '--bootstrap-server', served.address, '--group', 'tail', '--timeout-ms', '500']);
    expect(again.out).toBe('');
    expect(await served.stop()).toBe(0);
  });
});
