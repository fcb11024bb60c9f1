import { basename, join } from 'node:path';
import type { FileIO } from './file-io.js';

/**
 * Offset checkpoint files in Kafka's text format (CheckpointFile):
 *
 *   0                       ← version
 *   1                       ← entry count
 *   <topic> <partition> <offset>
 *
 * A log keeps its own files in its directory, with the one entry for its partition; the topic and
 * partition come from the directory name `<topic>-<partition>` (or the whole name and 0).
 * Writes are atomic: a `.tmp` file is written, fsynced and renamed over the old one, and the
 * directory is fsynced. A file that does not parse reads as missing, which only ever makes
 * recovery do more work, never less.
 */
const VERSION = 0;

export function partitionName(directory: string): { topic: string; partition: number } {
  const name = basename(directory);
  const match = /^(.*)-(\d+)$/.exec(name);
  return match === null ? { topic: name, partition: 0 } : { topic: match[1]!, partition: Number(match[2]) };
}

export function writeOffsetCheckpoint(io: FileIO, directory: string, fileName: string, offset: number): void {
  const { topic, partition } = partitionName(directory);
  const path = join(directory, fileName);
  const temporary = `${path}.tmp`;
  const text = `${VERSION}\n1\n${topic} ${partition} ${offset}\n`;
  const fd = io.open(temporary, 'w');
  try {
    const bytes = Buffer.from(text, 'utf8');
    io.write(fd, bytes, 0, bytes.length, 0);
    io.datasyncSync(fd);
  } finally {
    io.close(fd);
  }
  io.rename(temporary, path);
  io.syncDirectory(directory);
}

export function readOffsetCheckpoint(io: FileIO, directory: string, fileName: string): number | null {
  const path = join(directory, fileName);
  if (!io.exists(path)) return null;
  const lines = io.readFile(path).toString('utf8').split('\n');
  // Exactly: version, count 1, one entry of three fields with a decimal offset, a final newline.
  if (lines.length !== 4 || lines[0] !== String(VERSION) || lines[1] !== '1' || lines[3] !== '') return null;
  const fields = lines[2]!.split(' ');
  if (fields.length !== 3 || !/^\d+$/.test(fields[1]!) || !/^\d+$/.test(fields[2]!)) return null;
  const offset = Number(fields[2]);
  return Number.isSafeInteger(offset) ? offset : null;
}
