import { afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Scratch directories for storage tests: created with mkdtemp under os.tmpdir(), so parallel
 * test files never share one, and removed (recursively, ignoring a missing path) when done.
 */
export interface TempDir {
  readonly path: string;
  /** Remove the directory and everything in it. Safe to call more than once. */
  remove(): void;
}

export function makeTempDir(prefix = 'brook-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** Run `body` with a fresh temporary directory that is removed afterwards, even if `body` throws. */
export async function withTempDir<T>(body: (path: string) => T | Promise<T>, prefix?: string): Promise<T> {
  const directory = makeTempDir(prefix);
  try {
    return await body(directory.path);
  } finally {
    directory.remove();
  }
}

/**
 * For a test file: a function that makes a temporary directory, each removed after the test that
 * made it (registers a vitest afterEach). Call once at module level.
 */
export function tempDirsPerTest(prefix?: string): () => string {
  let made: TempDir[] = [];
  afterEach(() => {
    for (const directory of made) directory.remove();
    made = [];
  });
  return () => {
    const directory = makeTempDir(prefix);
    made.push(directory);
    return directory.path;
  };
}
