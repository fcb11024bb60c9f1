import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * Data and committed offsets survive SIGKILL of a broker process. A child broker produces with
 * acks=all and commits group offsets; the test kills it at a random moment, reopens the data
 * directory in this process, and checks every acknowledged record and commit.
 */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(REPO_ROOT, 'dist', 'test', 'helpers', 'broker-child.js');
const KILLS = 5;

let directories: TempDir[] = [];
afterEach(() => {
  for (const directory of directories) directory.remove();
  directories = [];
});

interface Acks {
  records: Array<{ partition: number; offset: number; value: string }>;
  commits: Map<number, number>;
}

function runUntilKilled(directory: string, round: number, ackLines: number, acks: Acks): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, directory, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let lines = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const [kind, partition, offset, ...rest] = line.split(' ');
        if (kind === 'ack') acks.records.push({ partition: Number(partition), offset: Number(offset), value: rest.join(' ') });
        if (kind === 'committed') acks.commits.set(Number(partition), Math.max(acks.commits.get(Number(partition)) ?? 0, Number(offset)));
        if (++lines === ackLines) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe('Broker crash safety', () => {
  test('acknowledged records and committed offsets survive SIGKILL of a broker process', async () => {
    const directory = makeTempDir();
    directories.push(directory);
    const acks: Acks = { records: [], commits: new Map() };
    for (let round = 0; round < KILLS; round++) {
      await runUntilKilled(directory.path, round, 40 + ((round * 97) % 300), acks);
      const broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
      for (const ack of acks.records) {
        const [record] = broker.log('orders', ack.partition).readRecords(ack.offset).records;
        expect(record?.offset).toBe(ack.offset);
        expect(record?.value?.toString()).toBe(ack.value);
      }
      const groups = await ConsumerGroups.open(broker);
      const committed = new Map(groups.offsets.fetch('audit').map((entry) => [entry.partition, entry.offset]));
      for (const [partition, offset] of acks.commits) expect(committed.get(partition)).toBeGreaterThanOrEqual(offset);
      groups.close();
      await broker.close();
    }
    expect(acks.records.length).toBeGreaterThan(100);
  });
});
