import { CorruptRecordError, EngineError } from '../core/errors.js';
import { StructReader, StructWriter } from './kafka-struct.js';

/**
 * The consumer protocol's two opaque byte strings, as Kafka's clients write them into JoinGroup
 * (the subscription, once per assignor) and SyncGroup (each member's assignment). The broker
 * stores them without looking inside; the group leader decodes every member's subscription and
 * encodes every member's assignment.
 *
 * Layout (non-flexible, big-endian): int16 version, then the fields of that version.
 *
 *   ConsumerProtocolSubscription          ConsumerProtocolAssignment
 *   v0+  topics           []string        v0+  assignedPartitions  [] { topic string,
 *   v0+  userData         nullable bytes                                  partitions []int32 }
 *   v1+  ownedPartitions  [] { topic string, partitions []int32 }
 *   v2+  generationId     int32 (default -1)
 *   v3+  rackId           nullable string  v0+  userData  nullable bytes
 *
 * Forward compatibility, as in Kafka's ConsumerProtocol: newer versions only append fields, so a
 * version above 3 is read with the version-3 layout and any bytes after the known fields are
 * ignored. A negative version is malformed. Fields newer than the encoded version are dropped
 * silently, as Kafka does for these ignorable fields (e.g. ownedPartitions in a v0 encoding).
 * Assignment versions 1 to 3 have the same layout as version 0; they exist only to track the
 * subscription's versions.
 */

export const CONSUMER_PROTOCOL_VERSION_MAX = 3;

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface ConsumerSubscription {
  /** The version on the wire; a version above 3 was read as 3. */
  readonly version: number;
  readonly topics: readonly string[];
  readonly userData: Buffer | null;
  /** Empty below version 1. */
  readonly ownedPartitions: readonly TopicPartitions[];
  /** -1 below version 2 or when the member has no generation. */
  readonly generationId: number;
  /** null below version 3 or when the member has no rack. */
  readonly rackId: string | null;
}

export interface ConsumerSubscriptionInput {
  readonly version: number;
  readonly topics: readonly string[];
  readonly userData?: Uint8Array | null;
  readonly ownedPartitions?: readonly TopicPartitions[];
  readonly generationId?: number;
  readonly rackId?: string | null;
}

export interface ConsumerAssignment {
  /** The version on the wire; a version above 3 was read as 3. */
  readonly version: number;
  readonly assignedPartitions: readonly TopicPartitions[];
  readonly userData: Buffer | null;
}

export interface ConsumerAssignmentInput {
  readonly version: number;
  readonly assignedPartitions: readonly TopicPartitions[];
  readonly userData?: Uint8Array | null;
}

const SUBSCRIPTION = 'ConsumerProtocolSubscription';
const ASSIGNMENT = 'ConsumerProtocolAssignment';

// Smallest encodings, used to bound counts read from the wire.
const STRING_BYTES_MIN = 2;
const INT32_BYTES = 4;
const TOPIC_PARTITIONS_BYTES_MIN = STRING_BYTES_MIN + INT32_BYTES;

export function encodeSubscription(subscription: ConsumerSubscriptionInput): Buffer {
  const version = checkedVersion(subscription.version, SUBSCRIPTION);
  const writer = new StructWriter(SUBSCRIPTION, 64);
  writer.int16(version, 'version');
  writer.arrayLength(subscription.topics.length, 'topics');
  for (const topic of subscription.topics) writer.string(topic, 'topics[]');
  writer.nullableBytes(subscription.userData ?? null, 'userData');
  const ownedPartitions = subscription.ownedPartitions ?? [];
  if (version >= 1) writeTopicPartitions(writer, ownedPartitions, 'ownedPartitions');
  if (version >= 2) writer.int32(subscription.generationId ?? -1, 'generationId');
  if (version >= 3) writer.nullableString(subscription.rackId ?? null, 'rackId');
  return writer.finish();
}

export function decodeSubscription(bytes: Buffer): ConsumerSubscription {
  const reader = new StructReader(bytes, SUBSCRIPTION);
  const version = readVersion(reader, SUBSCRIPTION);
  const topicCount = reader.arrayLength('topics', STRING_BYTES_MIN);
  const topics: string[] = [];
  for (let index = 0; index < topicCount; index++) topics.push(reader.string(`topics[${index}]`));
  const userData = reader.nullableBytes('userData');
  // Fields a version adds are read only when present: some clients (@platformatic/kafka 1.35)
  // declare version 1 but stop after userData; such a member reads as owning nothing.
  const ownedPartitions = version >= 1 && reader.remainingBytes > 0 ? readTopicPartitions(reader, 'ownedPartitions') : [];
  const generationId = version >= 2 && reader.remainingBytes > 0 ? reader.int32('generationId') : -1;
  const rackId = version >= 3 && reader.remainingBytes > 0 ? reader.nullableString('rackId') : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeAssignment(assignment: ConsumerAssignmentInput): Buffer {
  const version = checkedVersion(assignment.version, ASSIGNMENT);
  const writer = new StructWriter(ASSIGNMENT, 64);
  writer.int16(version, 'version');
  writeTopicPartitions(writer, assignment.assignedPartitions, 'assignedPartitions');
  writer.nullableBytes(assignment.userData ?? null, 'userData');
  return writer.finish();
}

/**
 * Decodes a member's assignment. Empty bytes are malformed here: the coordinator hands a member
 * empty bytes when the leader sent nothing for it, and whether that means "no partitions" is the
 * caller's decision (KafkaJS reads it as null; Kafka's Java consumer fails to parse it).
 */
export function decodeAssignment(bytes: Buffer): ConsumerAssignment {
  const reader = new StructReader(bytes, ASSIGNMENT);
  const version = readVersion(reader, ASSIGNMENT);
  const assignedPartitions = readTopicPartitions(reader, 'assignedPartitions');
  const userData = reader.nullableBytes('userData');
  return { version, assignedPartitions, userData };
}

function writeTopicPartitions(
  writer: StructWriter,
  entries: readonly TopicPartitions[],
  field: string,
): void {
  writer.arrayLength(entries.length, field);
  for (const entry of entries) {
    writer.string(entry.topic, `${field}[].topic`);
    writer.arrayLength(entry.partitions.length, `${field}[].partitions`);
    for (const partition of entry.partitions) writer.int32(partition, `${field}[].partitions[]`);
  }
}

function readTopicPartitions(reader: StructReader, field: string): TopicPartitions[] {
  const count = reader.arrayLength(field, TOPIC_PARTITIONS_BYTES_MIN);
  const entries: TopicPartitions[] = [];
  for (let index = 0; index < count; index++) {
    const topic = reader.string(`${field}[${index}].topic`);
    const partitionCount = reader.arrayLength(`${field}[${index}].partitions`, INT32_BYTES);
    const partitions: number[] = [];
    for (let slot = 0; slot < partitionCount; slot++) {
      partitions.push(reader.int32(`${field}[${index}].partitions[${slot}]`));
    }
    entries.push({ topic, partitions });
  }
  return entries;
}

function readVersion(reader: StructReader, structName: string): number {
  const version = reader.int16('version');
  if (version < 0) {
    const detail = `${structName}: version ${version} is negative`;
    throw new CorruptRecordError('MALFORMED_GROUP_DATA', detail);
  }
  return version;
}

function checkedVersion(version: number, structName: string): number {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_VERSION_MAX) {
    throw new EngineError(
      'INVALID_GROUP_DATA',
      `${structName}: version ${version} cannot be written; versions 0 to ` +
        `${CONSUMER_PROTOCOL_VERSION_MAX} are known`,
    );
  }
  return version;
}
