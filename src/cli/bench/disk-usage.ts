import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a run left on disk: bytes allocated (st_blocks × 512, what `du` counts: sparse or
 * preallocated index space that was never written is not counted), apparent bytes (file
 * lengths), the number of segments (`.log` files) and of files, under the given directories.
 */
export interface DiskUsage {
  readonly diskBytes: number;
  readonly apparentBytes: number;
  readonly segments: number;
  readonly files: number;
}

export function diskUsage(directories: ReadonlyArray<string>): DiskUsage {
  let diskBytes = 0;
  let apparentBytes = 0;
  let segments = 0;
  let files = 0;
  const pending = [...directories];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      if (!entry.isFile()) continue;
      let stats;
      try {
        stats = statSync(path);
      } catch {
        continue; // removed meanwhile (a retention delete)
      }
      files++;
      apparentBytes += stats.size;
      diskBytes += stats.blocks * 512;
      if (entry.name.endsWith('.log')) segments++;
    }
  }
  return { diskBytes, apparentBytes, segments, files };
}

/**
 * Open file descriptors of this process (entries of /proc/self/fd, less the one reading it), or
 * null where /proc is not available.
 */
export function openFileCount(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return null;
  }
}
