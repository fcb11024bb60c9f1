import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../core/errors.js';

/**
 * One broker process per data directory, as Kafka's `.lock` file ensures: two processes writing
 * the same segments would corrupt them. The lock file holds the owner's pid; a lock left by a
 * process that no longer runs (a crash, SIGKILL) is taken over. Opens within one process are
 * counted, so an embedding application (or a test) may open the same directory again.
 */
export const LOCK_FILE = '.lock';

const heldHere = new Map<string, number>();

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Take the data directory's lock, or throw DATA_DIR_LOCKED naming the process that holds it. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const held = heldHere.get(path) ?? 0;
  if (held === 0) {
    const owner = ownerOf(path);
    if (owner !== null && owner !== process.pid && processRuns(owner)) {
      throw new EngineError(
        'DATA_DIR_LOCKED',
        `data directory ${dataDir} is in use by process ${owner} (a running brook serve or embedding app); ` +
          'stop that process first, or talk to it over the network with --bootstrap-server host:port',
      );
    }
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
  }
  heldHere.set(path, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const remaining = (heldHere.get(path) ?? 1) - 1;
    if (remaining > 0) {
      heldHere.set(path, remaining);
      return;
    }
    heldHere.delete(path);
    if (ownerOf(path) === process.pid) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone (the directory was removed): nothing to release.
      }
    }
  };
}
