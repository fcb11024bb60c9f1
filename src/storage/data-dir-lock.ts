import { closeSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../core/errors.js';

/**
 * One broker per data directory, as Kafka's `.lock` file ensures: two writers of the same segments
 * would corrupt them. The lock file holds the owner's pid and is created exclusively (O_EXCL), so
 * of two processes starting together one wins. A lock left by a process that no longer runs (a
 * crash, SIGKILL) is taken over by an atomic rename. Node has no flock, so two processes that
 * both find the same stale lock in the same instant could both take it over; the owner is read
 * back after the rename to make that window as small as it can be.
 *
 * Within one process a directory can be open once: a second Broker on it gets the same error as
 * another process would (directories are compared by their real path).
 */
export const LOCK_FILE = '.lock';

const heldHere = new Set<string>();

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

function writePid(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
}

function lockedError(dataDir: string, owner: number): EngineError {
  if (owner === process.pid) {
    return new EngineError(
      'DATA_DIR_LOCKED',
      `data directory ${dataDir} is already open in this process by another Broker; close that one first (one broker per data directory)`,
    );
  }
  return new EngineError(
    'DATA_DIR_LOCKED',
    `data directory ${dataDir} is in use by process ${owner} (a running brook serve or embedding app); ` +
      'stop that process first, or talk to it over the network with --bootstrap-server host:port ' +
      `(if process ${owner} is not a brook process — a reused pid — delete ${join(dataDir, LOCK_FILE)})`,
  );
}

/** Take the data directory's lock, or throw DATA_DIR_LOCKED naming who holds it. Returns the release. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(realpathSync(dataDir), LOCK_FILE);
  if (heldHere.has(path)) throw lockedError(dataDir, process.pid);
  try {
    writePid(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = ownerOf(path);
    if (owner !== null && owner !== process.pid && processRuns(owner)) throw lockedError(dataDir, owner);
    // A stale lock (its owner is gone, or it is unreadable): replace it in one rename.
    const fresh = `${path}.${process.pid}`;
    writePid(fresh, 'w');
    renameSync(fresh, path);
    const now = ownerOf(path);
    if (now !== process.pid) throw lockedError(dataDir, now ?? 0);
  }
  heldHere.add(path);
  let released = false;
  return () => {
    if (released) return;
    released = true;
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
