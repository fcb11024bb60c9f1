import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptSegmentError } from '../core/errors.js';
import { crc32c } from '../records/crc32c.js';

/**
 * The broker's topic table, one JSON file in the data directory (`topics.json`): each topic's
 * name, id, partition count and per-topic config overrides under Kafka's names. It is written
 * atomically (temporary file, fsync, rename, directory fsync) and carries a CRC-32C of its body,
 * so a torn or damaged file is refused loudly rather than read as "no topics".
 */
export const TOPICS_FILE = 'topics.json';
const VERSION = 1;

export interface TopicRecord {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly config: Readonly<Record<string, string | number>>;
}

interface TopicsFile {
  readonly version: number;
  readonly crc32c: number;
  readonly topics: ReadonlyArray<TopicRecord>;
}

export function readTopics(dataDir: string): TopicRecord[] {
  const path = join(dataDir, TOPICS_FILE);
  if (!existsSync(path)) return [];
  let parsed: TopicsFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as TopicsFile;
  } catch (error) {
    throw new CorruptSegmentError('CORRUPT_SEGMENT', `${path} is not valid JSON; restore it from a backup`, { cause: error });
  }
  const body = Buffer.from(JSON.stringify(parsed.topics));
  if (parsed.version !== VERSION || parsed.crc32c !== crc32c(body, 0, body.length)) {
    throw new CorruptSegmentError('CORRUPT_SEGMENT', `${path} fails its checksum; restore it from a backup`);
  }
  return [...parsed.topics];
}

export function writeTopics(dataDir: string, topics: ReadonlyArray<TopicRecord>): void {
  const path = join(dataDir, TOPICS_FILE);
  const body = Buffer.from(JSON.stringify(topics));
  const file: TopicsFile = { version: VERSION, crc32c: crc32c(body, 0, body.length), topics };
  const bytes = Buffer.from(`${JSON.stringify(file, null, 2)}\n`);
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, bytes, 0, bytes.length, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const directory = openSync(dataDir, 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}
