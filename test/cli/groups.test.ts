import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { brook, brookServe, stopAllProcesses, type ServeProcess } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

/** Records of orders-0 are timestamped T0, T0 + 1 s, … (one batch each). */
const T0 = Date.UTC(2024, 0, 1);

/**
 * A data directory with topic orders (partition 0: offsets 0..4, partition 1: 0..2) and group
 * billing, which committed 2 on partition 0 and 3 on partition 1, written through the group
 * coordinator in this process, then closed.
 */
async function seed(dataDir: string): Promise<void> {
  const broker = await Broker.open({ dataDir, scheduleTasks: false });
  await broker.createTopic('orders', { partitions: 2 });
  for (let index = 0; index < 5; index++) {
    await broker.append('orders', 0, encodeRecordBatch([{ value: `order ${index}` }], { timestamp: T0 + index * 1000 }));
  }
  for (let index = 0; index < 3; index++) await broker.append('orders', 1, encodeRecordBatch([{ value: `order ${index}` }]));
  const groups = await ConsumerGroups.open(broker, { 'offsets.retention.check.interval.ms': 0 });
  const response = await groups.coordinator.commitOffsets({
    groupId: 'billing',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: null },
          { partitionIndex: 1, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
    ],
  });
  expect(response.topics.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode))).toEqual(['NONE', 'NONE']);
  groups.close();
  await broker.close();
}

interface OffsetLine {
  readonly partition: number;
  readonly committed: string;
  readonly logEnd: string;
  readonly lag: string;
}

/** The rows of `groups describe`'s offsets table for topic orders. */
function offsetLines(out: string): OffsetLine[] {
  const start = out.indexOf('Offsets:');
  return out
    .slice(start)
    .split('\n')
    .filter((line) => /^\s+orders\s/.test(line))
    .map((line) => {
      const [, partition = '', committed = '', logEnd = '', lag = ''] = line.trim().split(/\s+/);
      return { partition: Number(partition), committed, logEnd, lag };
    });
}

/** The rows of reset-offsets' plan: partition → [current, new]. */
function planLines(out: string): Array<[number, string, string]> {
  return out
    .split('\n')
    .filter((line) => line.startsWith('billing '))
    .map((line) => {
      const [, , partition = '', current = '', target = ''] = line.trim().split(/\s+/);
      return [Number(partition), current, target];
    });
}

describe('brook groups', () => {
  let dir: TempDir;
  let served: ServeProcess | null = null;
  let consumer: Consumer | null = null;
  afterEach(async () => {
    await consumer?.disconnect().catch(() => undefined);
    consumer = null;
    await served?.stop();
    served = null;
    stopAllProcesses();
    dir?.remove();
  });

  it('lists the groups a data directory holds offsets for', async () => {
    dir = makeTempDir();
    await seed(dir.path);
    const listed = await brook(['groups', 'list', '--data-dir', dir.path]);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^billing\s+Empty/m);
  });

  it("describes a group: each partition's committed offset, log end offset and lag", async () => {
    dir = makeTempDir();
    await seed(dir.path);
    const described = await brook(['groups', 'describe', 'billing', '--data-dir', dir.path]);
    expect(described.stderr).toBe('');
    expect(described.code).toBe(0);
    expect(described.out).toContain('Group: billing  State: Empty');
    expect(described.out).toContain('(none: no consumer is in the group)');
    expect(offsetLines(described.out)).toEqual([
      { partition: 0, committed: '2', logEnd: '5', lag: '3' },
      { partition: 1, committed: '3', logEnd: '3', lag: '0' },
    ]);
    const json = JSON.parse((await brook(['groups', 'describe', 'billing', '--json', '--data-dir', dir.path])).out) as { offsets: Array<{ lag: number }> };
    expect(json.offsets.map((row) => row.lag)).toEqual([3, 0]);
    const missing = await brook(['groups', 'describe', 'nobody', '--data-dir', dir.path]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('GROUP_ID_NOT_FOUND');
  });

  it('plans a reset without --execute and changes nothing; with --execute commits it, clamped to the log', async () => {
    dir = makeTempDir();
    await seed(dir.path);
    const dryRun = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--data-dir', dir.path]);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
    expect(planLines(dryRun.out)).toEqual([
      [0, '2', '0'],
      [1, '3', '0'],
    ]);
    expect(dryRun.out).toContain('Dry run: nothing changed');
    const unchanged = await brook(['groups', 'describe', 'billing', '--data-dir', dir.path]);
    expect(offsetLines(unchanged.out).map((row) => row.committed)).toEqual(['2', '3']);

    const executed = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-offset', '4', '--execute', '--data-dir', dir.path]);
    expect(executed.code).toBe(0);
    expect(planLines(executed.out)).toEqual([
      [0, '2', '4'],
      [1, '3', '3'],
    ]);
    expect(executed.out).toContain('4 is past the log end offset: clamped');
    expect(executed.out).toContain('Committed 2 offsets for group billing');
    const after = await brook(['groups', 'describe', 'billing', '--data-dir', dir.path]);
    expect(offsetLines(after.out)).toEqual([
      { partition: 0, committed: '4', logEnd: '5', lag: '1' },
      { partition: 1, committed: '3', logEnd: '3', lag: '0' },
    ]);
  });

  it('resets by time and by a shift, on chosen partitions or on every committed one', async () => {
    dir = makeTempDir();
    await seed(dir.path);
    const at = new Date(T0 + 2500).toISOString();
    const byTime = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders:0', '--to-datetime', at, '--execute', '--data-dir', dir.path]);
    expect(byTime.stderr).toBe('');
    expect(planLines(byTime.out)).toEqual([[0, '2', '3']]);
    const shifted = await brook(['groups', 'reset-offsets', 'billing', '--all-topics', '--shift-by=-1', '--execute', '--data-dir', dir.path]);
    expect(shifted.code).toBe(0);
    expect(planLines(shifted.out)).toEqual([
      [0, '3', '2'],
      [1, '3', '2'],
    ]);
    const after = await brook(['groups', 'describe', 'billing', '--data-dir', dir.path]);
    expect(offsetLines(after.out).map((row) => row.committed)).toEqual(['2', '2']);
  });

  it('refuses unclear reset requests with exit 2', async () => {
    dir = makeTempDir();
    await seed(dir.path);
    const noTarget = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--data-dir', dir.path]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('give exactly one of --to-earliest');
    const twoTargets = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--to-latest', '--data-dir', dir.path]);
    expect(twoTargets.code).toBe(2);
    const noScope = await brook(['groups', 'reset-offsets', 'billing', '--to-latest', '--data-dir', dir.path]);
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('--all-topics');
    const badTime = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', 'yesterday', '--data-dir', dir.path]);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('ISO 8601');
  });

  it('answers --help on every groups command', async () => {
    for (const command of ['list', 'describe', 'reset-offsets']) {
      const result = await brook(['groups', command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.out, command).toContain(`Usage: brook groups ${command}`);
    }
  });

  it('describes and resets through a running broker; a reset is refused while the group has members', async () => {
    dir = makeTempDir();
    await seed(dir.path);
    served = await brookServe(['--data-dir', dir.path]);
    const remote = ['--bootstrap-server', served.address];
    const locked = await brook(['groups', 'describe', 'billing', '--data-dir', dir.path]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('DATA_DIR_LOCKED');
    // Known to the served coordinator only by the offsets it read at startup: listed as Empty.
    const listed = await brook(['groups', 'list', ...remote]);
    expect(listed.stderr).toBe('');
    expect(listed.out).toMatch(/^billing\s+Empty/m);
    const described = await brook(['groups', 'describe', 'billing', ...remote]);
    expect(described.stderr).toBe('');
    expect(offsetLines(described.out)).toEqual([
      { partition: 0, committed: '2', logEnd: '5', lag: '3' },
      { partition: 1, committed: '3', logEnd: '3', lag: '0' },
    ]);
    const executed = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-latest', '--execute', ...remote]);
    expect(executed.stderr).toBe('');
    expect(planLines(executed.out)).toEqual([
      [0, '2', '5'],
      [1, '3', '3'],
    ]);

    const kafka = new Kafka({ clientId: 'cli-test-consumer', brokers: [served.address], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders' });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    const stable = await waitFor('billing to become Stable', async () => {
      const result = await brook(['groups', 'describe', 'billing', ...remote]);
      return result.out.includes('State: Stable') ? result.out : undefined;
    });
    expect(stable).toContain('Members: 1');
    expect(stable).toMatch(/cli-test-consumer\s+\S+\s+orders:0,1/);
    const refused = await brook(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', ...remote]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NON_EMPTY_GROUP');
    expect(refused.stderr).toContain('stop its consumers first');
  });
});
