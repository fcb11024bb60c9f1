import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The broker's data directory: one folder per topic-partition (`<topic>-<partition>`), the topic
 * table, and folders of deleted topics awaiting removal (`<topic>-<partition>.<topicId>-delete`,
 * Kafka's naming), which are removed when found at open.
 */
const DELETE_SUFFIX = '-delete';

export function ensureDataDir(path: string): void {
  mkdirSync(path, { recursive: true });
}

export function createTemporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'brook-'));
}

export function removeDataDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export function partitionDirectory(dataDir: string, topic: string, partition: number): string {
  return join(dataDir, `${topic}-${partition}`);
}

/** Rename a deleted partition's folder out of the way, then remove it. */
export function deletePartitionDirectory(dataDir: string, topic: string, partition: number, topicId: string): void {
  const from = partitionDirectory(dataDir, topic, partition);
  const to = join(dataDir, `${topic}-${partition}.${topicId}${DELETE_SUFFIX}`);
  renameSync(from, to);
  rmSync(to, { recursive: true, force: true });
}

/** Remove folders of topics whose deletion a crash interrupted. */
export function removeInterruptedDeletions(dataDir: string): number {
  let removed = 0;
  for (const name of readdirSync(dataDir)) {
    if (name.endsWith(DELETE_SUFFIX)) {
      rmSync(join(dataDir, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
