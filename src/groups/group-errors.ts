import type { ErrorCode } from '../core/errors.js';
import { KAFKA } from '../protocol/kafka-error-codes.js';

/**
 * The outcome codes the group coordinator answers with, and Kafka's numbers for them.
 *
 * Group requests do not throw for anything a client can cause: every response (and every
 * per-member or per-partition entry in one) carries `errorCode`, Kafka's name as a string, and
 * `kafkaErrorCode`, the int16 the wire protocol sends (kafka-protocol.md §7, Kafka's
 * `Errors.java`). The embedded consumer switches on the name; the wire layer copies the number.
 * Each name is also an EngineError code (core/errors.ts), so a caller that prefers exceptions
 * can raise `new EngineError(response.errorCode, ...)`.
 */

export const GROUP_ERROR_CODES = [
  'UNKNOWN_TOPIC_OR_PARTITION',
  'OFFSET_METADATA_TOO_LARGE',
  'COORDINATOR_NOT_AVAILABLE',
  'ILLEGAL_GENERATION',
  'INCONSISTENT_GROUP_PROTOCOL',
  'INVALID_GROUP_ID',
  'UNKNOWN_MEMBER_ID',
  'INVALID_SESSION_TIMEOUT',
  'REBALANCE_IN_PROGRESS',
  'NON_EMPTY_GROUP',
  'GROUP_ID_NOT_FOUND',
  'MEMBER_ID_REQUIRED',
  'GROUP_MAX_SIZE_REACHED',
  'FENCED_INSTANCE_ID',
] as const satisfies ReadonlyArray<ErrorCode>;

export type GroupErrorCode = (typeof GROUP_ERROR_CODES)[number];

/** 'NONE' is success; everything else is a refusal the client is expected to handle. */
export type GroupResultCode = 'NONE' | GroupErrorCode;

/** Kafka's int16 error codes (`org.apache.kafka.common.protocol.Errors`). */
export const KAFKA_ERROR_CODES: Readonly<Record<GroupResultCode, number>> = Object.freeze(
  Object.fromEntries((['NONE', ...GROUP_ERROR_CODES] as const).map((name) => [name, KAFKA[name]])) as Record<GroupResultCode, number>,
);

export interface GroupOutcome {
  readonly errorCode: GroupResultCode;
  readonly kafkaErrorCode: number;
}

const OUTCOMES = new Map<GroupResultCode, GroupOutcome>(
  (Object.keys(KAFKA_ERROR_CODES) as GroupResultCode[]).map((code) => [
    code,
    Object.freeze({ errorCode: code, kafkaErrorCode: KAFKA_ERROR_CODES[code] }),
  ]),
);

/** The (frozen, shared) outcome pair for a code, ready to spread into a response. */
export function outcome(code: GroupResultCode): GroupOutcome {
  const found = OUTCOMES.get(code);
  if (found === undefined) throw new TypeError(`no Kafka error code for ${code}`);
  return found;
}
