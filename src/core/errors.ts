/**
 * Typed errors with stable codes. Every error Brook raises for bad input, bad config, corrupt
 * data or a failing disk is an EngineError with a code from ERROR_CODES and a message that says
 * what to change. Codes map to Kafka protocol error codes only in the protocol layer.
 */

export const ERROR_CODES = [
  // Record batch codec (decoding never trusts a length).
  'BATCH_TOO_SHORT',
  'BAD_BATCH_LENGTH',
  'BAD_MAGIC',
  'CRC_MISMATCH',
  'TRUNCATED_RECORD',
  'VARINT_TOO_LONG',
  'RECORD_COUNT_MISMATCH',
  'BAD_RECORD',
  'UNKNOWN_CODEC',
  'UNSUPPORTED_CODEC',
  'DECOMPRESSION_FAILED',
  'DECOMPRESSED_TOO_LARGE',
  // Log and storage.
  'CONFIG_INVALID',
  'RECORD_TOO_LARGE',
  'INVALID_RECORD',
  'OFFSET_OUT_OF_RANGE',
  'CORRUPT_SEGMENT',
  'STORAGE_ERROR',
  'LOG_CLOSED',
  'DATA_DIR_LOCKED', // another live process has the data directory open (its .lock file)
  'BACKPRESSURE', // worker pool: its bounded task queue is full; retriable once it drains
  // Broker.
  'INVALID_TOPIC',
  'TOPIC_EXISTS',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'INVALID_PARTITIONS',
  'INVALID_PRODUCER_EPOCH',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  // Consumer groups: consumer-protocol structs and __consumer_offsets records.
  'MALFORMED_GROUP_DATA', // decode: truncated bytes, an impossible length or count, bad version
  'INVALID_GROUP_DATA', // encode: a value that does not fit its field (e.g. string > 32767 bytes)
  // Group coordinator (classic protocol); Kafka's names, mapped to Kafka numbers in groups/group-errors.ts.
  'COORDINATOR_NOT_AVAILABLE',
  'ILLEGAL_GENERATION',
  'INCONSISTENT_GROUP_PROTOCOL',
  'INVALID_GROUP_ID',
  'UNKNOWN_MEMBER_ID',
  'INVALID_SESSION_TIMEOUT',
  'REBALANCE_IN_PROGRESS',
  'OFFSET_METADATA_TOO_LARGE',
  'NON_EMPTY_GROUP',
  'GROUP_ID_NOT_FOUND',
  'MEMBER_ID_REQUIRED',
  'GROUP_MAX_SIZE_REACHED',
  'FENCED_INSTANCE_ID',
  // Wire protocol (server and codec).
  'MALFORMED_FRAME', // a frame or field that cannot be read: truncated, a bad length, a varint too long
  'FRAME_TOO_LARGE', // a size field over socket.request.max.bytes, refused before allocating
  'UNSUPPORTED_API', // an API key or version Brook does not serve
  'VALUE_OUT_OF_RANGE', // encode: a value that does not fit its wire type
  // Kafka client (CLI and bench against a running broker).
  'NETWORK_ERROR', // the broker could not be reached, closed the connection, or did not answer in time
  'BROKER_ERROR', // the broker answered with a Kafka error code
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface EngineErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class EngineError extends Error {
  override name = 'EngineError';
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A record batch (or its records) is malformed: length, magic, CRC, varint, count, codec. */
export class CorruptRecordError extends EngineError {
  override name = 'CorruptRecordError';
}

/** A setting has a value outside its allowed range; the message names key, value and range. */
export class ConfigError extends EngineError {
  override name = 'ConfigError';
  readonly key: string;

  constructor(key: string, value: unknown, rule: string) {
    super('CONFIG_INVALID', `${key}=${formatValue(value)} is invalid: ${key} must be ${rule}`);
    this.key = key;
  }
}

/** A batch is larger than max.message.bytes (or segment.bytes); nothing was written. */
export class RecordTooLargeError extends EngineError {
  override name = 'RecordTooLargeError';
}

/** A batch is well-formed but not acceptable to this log (e.g. compacted topic without key). */
export class InvalidRecordError extends EngineError {
  override name = 'InvalidRecordError';
}

/** A read below the log start offset or beyond the log end offset. */
export class OffsetOutOfRangeError extends EngineError {
  override name = 'OffsetOutOfRangeError';
}

/** Stored bytes failed a check on read (CRC, length, offsets): the bytes are not served. */
export class CorruptSegmentError extends EngineError {
  override name = 'CorruptSegmentError';
}

/** The disk failed (EIO, ENOSPC, failed fsync). Nothing is acknowledged after this. */
export class StorageError extends EngineError {
  override name = 'StorageError';
}

/** Bytes from the network that do not form a valid Kafka frame or field. */
export class ProtocolError extends EngineError {
  override name = 'ProtocolError';
}

export class LogClosedError extends EngineError {
  override name = 'LogClosedError';
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}
