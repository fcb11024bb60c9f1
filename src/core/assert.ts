/**
 * Assertions are for programmer errors only: a broken invariant inside Brook. Bad input from a
 * user, a file or a socket is never asserted; it gets a typed error (see errors.ts).
 * Assertions stay on in production.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never): never {
  throw new AssertionError(`unreachable: ${String(value)}`);
}
