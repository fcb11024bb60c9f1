import { afterEach } from 'vitest';

export type Cleanup = () => Promise<void> | void;

/** What a test pushes to be undone after it. */
export interface Cleanups {
  push(...cleanups: Cleanup[]): void;
}

/**
 * Registers an afterEach hook (call it at the top level of a test file) that runs, one at a time and
 * last pushed first, every cleanup the test pushed, then forgets them.
 */
export function cleanupsAfterEach(): Cleanups {
  let cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups = [];
  });
  return { push: (...added) => void cleanups.push(...added) };
}
