/** Waiting in tests: fixed pauses, polling for a condition, and a deadline on a promise. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll `probe` every `intervalMs` until it returns something other than undefined or false, and
 * resolve with that; reject after `timeoutMs`. A description given as a function is read only
 * then, so it can report the state at the timeout.
 */
export async function waitFor<T>(
  description: string | (() => string),
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof description === 'string' ? description : description()}`);
    }
    await sleep(intervalMs);
  }
}

/** waitFor with a 25 ms poll and 20 s by default, for the in-process Kafka client tests. */
export function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return waitFor(what, probe, timeoutMs, 25);
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
