import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { partitionName, readOffsetCheckpoint, writeOffsetCheckpoint } from '../../src/storage/checkpoint.js';
import { type FileIO, nodeFileIO } from '../../src/storage/file-io.js';
import { RECOVERY_POINT_CHECKPOINT_FILE } from '../../src/storage/file-names.js';
import { Prng } from '../helpers/prng.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const FILE = RECOVERY_POINT_CHECKPOINT_FILE;

describe('partitionName', () => {
  test.each([
    ['orders-0', 'orders', 0],
    ['orders-17', 'orders', 17],
    ['my-topic-name-12', 'my-topic-name', 12],
    ['__consumer_offsets-49', '__consumer_offsets', 49],
    ['a-b-0-3', 'a-b-0', 3],
    ['standalone', 'standalone', 0],
    ['orders-', 'orders-', 0],
    ['orders-x', 'orders-x', 0],
  ])('the directory %j is topic %j, partition %i', (name, topic, partition) => {
    expect(partitionName(join('/data', name))).toEqual({ topic, partition });
  });
});

describe('offset checkpoint', () => {
  let root: TempDir;

  function partitionDir(name: string): string {
    const path = join(root.path, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  beforeEach(() => {
    root = makeTempDir('brook-checkpoint-');
  });

  afterEach(() => {
    root.remove();
  });

  test('the file is Kafka\'s text format: version 0, one entry, then "topic partition offset"', () => {
    const dir = partitionDir('orders-3');
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 368_769);
    expect(readFileSync(join(dir, FILE), 'utf8')).toBe('0\n1\norders 3 368769\n');
  });

  test('a topic name containing dashes keeps them; only the last -<number> is the partition', () => {
    const dir = partitionDir('my-topic-name-12');
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 42);
    expect(readFileSync(join(dir, FILE), 'utf8')).toBe('0\n1\nmy-topic-name 12 42\n');
  });

  test('a directory without a partition suffix is written as partition 0', () => {
    const dir = partitionDir('standalone');
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 7);
    expect(readFileSync(join(dir, FILE), 'utf8')).toBe('0\n1\nstandalone 0 7\n');
  });

  test('a written offset reads back, and a newer write replaces it', () => {
    const dir = partitionDir('orders-0');
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 0);
    expect(readOffsetCheckpoint(nodeFileIO, dir, FILE)).toBe(0);
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, Number.MAX_SAFE_INTEGER);
    expect(readOffsetCheckpoint(nodeFileIO, dir, FILE)).toBe(Number.MAX_SAFE_INTEGER);
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 5);
    expect(readOffsetCheckpoint(nodeFileIO, dir, FILE)).toBe(5);
  });

  test('a write leaves no .tmp file behind', () => {
    const dir = partitionDir('orders-0');
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 1);
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 2);
    expect(readdirSync(dir)).toEqual([FILE]);
  });

  test('a write goes to <name>.tmp, fsynced and closed, is renamed over the file, then the dir is fsynced', () => {
    const dir = partitionDir('orders-0');
    const calls: string[] = [];
    const recording: FileIO = {
      ...nodeFileIO,
      open: (path, flags) => {
        calls.push(`open ${path.slice(dir.length + 1)}`);
        return nodeFileIO.open(path, flags);
      },
      write: (fd, buffer, offset, length, position) => {
        calls.push('write');
        nodeFileIO.write(fd, buffer, offset, length, position);
      },
      datasyncSync: (fd) => {
        calls.push('datasync');
        nodeFileIO.datasyncSync(fd);
      },
      close: (fd) => {
        calls.push('close');
        nodeFileIO.close(fd);
      },
      rename: (from, to) => {
        calls.push(`rename ${from.slice(dir.length + 1)} → ${to.slice(dir.length + 1)}`);
        nodeFileIO.rename(from, to);
      },
      syncDirectory: (path) => {
        calls.push(`sync dir ${path === dir ? '<partition>' : path}`);
        nodeFileIO.syncDirectory(path);
      },
    };
    writeOffsetCheckpoint(recording, dir, FILE, 9);
    expect(calls).toEqual([
      `open ${FILE}.tmp`,
      'write',
      'datasync',
      'close',
      `rename ${FILE}.tmp → ${FILE}`,
      'sync dir <partition>',
    ]);
  });

  test('a write that fails before the rename leaves the previous checkpoint intact', () => {
    const dir = partitionDir('orders-0');
    writeOffsetCheckpoint(nodeFileIO, dir, FILE, 100);
    const failingSync: FileIO = {
      ...nodeFileIO,
      datasyncSync: () => {
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    };
    expect(() => writeOffsetCheckpoint(failingSync, dir, FILE, 200)).toThrow('EIO');
    expect(readOffsetCheckpoint(nodeFileIO, dir, FILE)).toBe(100);
  });

  test('a missing file reads as null', () => {
    expect(readOffsetCheckpoint(nodeFileIO, partitionDir('orders-0'), FILE)).toBeNull();
  });

  test.each([
    ['an empty file', ''],
    ['text that is not a checkpoint', 'hello world\n'],
    ['another version', '1\n1\norders 0 5\n'],
    ['an entry count other than 1', '0\n2\norders 0 5\norders 1 6\n'],
    ['no entry line', '0\n1\n'],
    ['too few fields', '0\n1\norders 5\n'],
    ['an offset that is not a number', '0\n1\norders 0 abc\n'],
    ['a negative offset', '0\n1\norders 0 -1\n'],
    ['a fractional offset', '0\n1\norders 0 1.5\n'],
    ['an offset above 2^53', '0\n1\norders 0 9223372036854775807\n'],
  ])('%s reads as null', (_description, text) => {
    const dir = partitionDir('orders-0');
    writeFileSync(join(dir, FILE), text);
    expect(readOffsetCheckpoint(nodeFileIO, dir, FILE)).toBeNull();
  });

  test('random garbage reads as null (seeded)', () => {
    const seed = 0xc4ec_0001;
    const prng = new Prng(seed);
    const dir = partitionDir('orders-0');
    for (let run = 0; run < 200; run++) {
      writeFileSync(join(dir, FILE), prng.bytes(prng.nextInt(64)));
      expect(readOffsetCheckpoint(nodeFileIO, dir, FILE), `seed ${seed} run ${run}`).toBeNull();
    }
  });

  test('an entry that Kafka would refuse reads as null', () => {
    const dir = partitionDir('orders-0');
    const texts = [
      '0\n1\norders 0 \n',
      '0\n1\norders 0 0x10\n',
      '0\n1\norders 0 1e3\n',
      '0\n1\norders 0 extra 5\n',
      '0\n1\norders 0 5\norders 1 6\n',
    ];
    const results = texts.map((text) => {
      writeFileSync(join(dir, FILE), text);
      return readOffsetCheckpoint(nodeFileIO, dir, FILE);
    });
    expect(results).toEqual(texts.map(() => null));
  });
});
