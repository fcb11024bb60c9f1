import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import type { RecoveryReport } from '../../src/storage/log.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { RECOVERY_CHILD_PARTITIONS, RECOVERY_CHILD_RECORDS_PER_BATCH, recoveryRecordValue } from './recovery-broker-child.js';

/**
 * A broker process with 2 workers (recovery-broker-child.ts) is SIGKILLed mid-produce; the data
 * directory is then reopened by a broker with `workers: 2`, whose recovery scans run on the pool,
 * and a copy of it by an inline broker. Both must recover the same way (reports, log end
 * offsets), and every acknowledged record must read back. Rounds reuse the directory, so later
 * rounds recover segments that hold earlier rounds' data as well.
 */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(REPO_ROOT, 'dist', 'test', 'pool', 'recovery-broker-child.js');
const ROUNDS = 3;

let directories: TempDir[] = [];
afterEach(() => {
  for (const directory of directories) directory.remove();
  directories = [];
});

interface Ack {
  readonly partition: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly round: number;
  readonly firstSequence: number;
}

function runUntilKilled(directory: string, round: number, ackLines: number, acks: Ack[]): Promise<void> {
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
        const [kind, partition, baseOffset, lastOffset, firstSequence] = buffered.slice(0, newline).split(' ');
        buffered = buffered.slice(newline + 1);
        if (kind !== 'ack') continue;
        acks.push({
          partition: Number(partition),
          baseOffset: Number(baseOffset),
          lastOffset: Number(lastOffset),
          round,
          firstSequence: Number(firstSequence),
        });
        if (++lines === ackLines) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

function comparable(report: RecoveryReport, dataDir: string): Omit<RecoveryReport, 'durationMs'> {
  const { durationMs: _durationMs, ...rest } = report;
  return JSON.parse(JSON.stringify(rest).replaceAll(dataDir, '<dir>')) as Omit<RecoveryReport, 'durationMs'>;
}

describe('Recovery on the pool after SIGKILL', () => {
  test('a SIGKILLed broker reopened with workers: 2 recovers as inline does and keeps every acknowledged record', async () => {
    const directory = makeTempDir();
    directories.push(directory);
    const acks: Ack[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await runUntilKilled(directory.path, round, 30 + ((round * 37) % 40), acks);
      const copy = makeTempDir();
      directories.push(copy);
      cpSync(directory.path, copy.path, { recursive: true });
      const inline = await Broker.open({ dataDir: copy.path, scheduleTasks: false, workers: 0 });
      const pooled = await Broker.open({ dataDir: directory.path, scheduleTasks: false, workers: 2 });
      try {
        expect(pooled.pool!.stats.offloadedTasks).toBeGreaterThan(0);
        for (let partition = 0; partition < RECOVERY_CHILD_PARTITIONS; partition++) {
          const pooledLog = pooled.log('events', partition);
          const inlineLog = inline.log('events', partition);
          expect(pooledLog.recoveryReport.cleanShutdown).toBe(false);
          expect(comparable(pooledLog.recoveryReport, directory.path)).toEqual(comparable(inlineLog.recoveryReport, copy.path));
          expect(pooledLog.logEndOffset).toBe(inlineLog.logEndOffset);
        }
        for (const ack of acks) {
          const records = pooled.log('events', ack.partition).readRecords(ack.baseOffset).records;
          expect(records[0]?.offset).toBe(ack.baseOffset);
          expect(ack.lastOffset - ack.baseOffset + 1).toBe(RECOVERY_CHILD_RECORDS_PER_BATCH);
          const last = records[RECOVERY_CHILD_RECORDS_PER_BATCH - 1];
          expect(last?.offset).toBe(ack.lastOffset);
          expect(last?.value?.toString()).toBe(recoveryRecordValue(ack.round, ack.firstSequence + RECOVERY_CHILD_RECORDS_PER_BATCH - 1));
        }
      } finally {
        await Promise.all([inline.close(), pooled.close()]);
      }
    }
    expect(acks.length).toBeGreaterThan(100);
  });
});
