import {
  CorruptRecordError,
  CorruptSegmentError,
  EngineError,
  type EngineErrorOptions,
  type ErrorCode,
  InvalidRecordError,
  LogClosedError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  StorageError,
} from '../core/errors.js';

/**
 * Errors across the thread boundary. A structured clone keeps an Error's message but drops its
 * class and its `code`, so a task never lets an EngineError escape: it returns an
 * ErrorDescription (class name, code, message, retriable) as data, and the main thread rebuilds
 * the same EngineError subclass with `errorFromDescription`. The inline path takes the same
 * route, so callers see identical errors whether a task ran inline or on a worker.
 *
 * - Only EngineErrors are described. Anything else (a TypeError, an AssertionError) is a bug in
 *   Brook and is rethrown as it is; piscina then rejects the task with a clone of it.
 * - BackpressureError lives here until the lead moves it next to its siblings in core/errors.ts.
 */

/** The pool's bounded queue is full; nothing was started. Retriable once in-flight tasks settle. */
export class BackpressureError extends EngineError {
  override name = 'BackpressureError';
}

export interface ErrorDescription {
  /** The EngineError subclass's `name` ('CorruptRecordError', …). */
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly retriable: boolean;
}

export interface TaskFailure {
  readonly ok: false;
  readonly error: ErrorDescription;
}

type EngineErrorClass = new (code: ErrorCode, message: string, options?: EngineErrorOptions) => EngineError;

/** Every EngineError subclass whose constructor is (code, message, options). */
const ERROR_CLASSES: ReadonlyMap<string, EngineErrorClass> = new Map<string, EngineErrorClass>([
  ['EngineError', EngineError],
  ['CorruptRecordError', CorruptRecordError],
  ['CorruptSegmentError', CorruptSegmentError],
  ['InvalidRecordError', InvalidRecordError],
  ['LogClosedError', LogClosedError],
  ['OffsetOutOfRangeError', OffsetOutOfRangeError],
  ['RecordTooLargeError', RecordTooLargeError],
  ['StorageError', StorageError],
  ['BackpressureError', BackpressureError],
]);

/** Describe an EngineError as plain data; rethrow anything else (a bug, not an input error). */
export function describeError(error: unknown): ErrorDescription {
  if (!(error instanceof EngineError)) throw error;
  return { name: error.name, code: error.code, message: error.message, retriable: error.retriable };
}

export function taskFailure(error: unknown): TaskFailure {
  return { ok: false, error: describeError(error) };
}

/**
 * Rebuild the EngineError a task described. A class this table does not know (ConfigError has
 * another constructor and is never raised by a task) comes back as a plain EngineError with the
 * same code, so `error.code` is always exact.
 */
export function errorFromDescription(description: ErrorDescription): EngineError {
  const ErrorClass = ERROR_CLASSES.get(description.name) ?? EngineError;
  return new ErrorClass(description.code, description.message, { retriable: description.retriable });
}
