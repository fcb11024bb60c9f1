import { assert } from '../core/assert.js';
import { CorruptRecordError, EngineError } from '../core/errors.js';
import { StructReader, StructWriter } from './kafka-struct.js';

/**
 * Records of the `__consumer_offsets` topic, and which of its partitions a group lives in.
 *
 * Every record's key and value start with an int16 version. The key version doubles as the
 * record type, so a loader switches on it:
 *
 *   key version  record            key fields                                  value versions
 *   0, 1         offset commit     group string, topic string, partition int32  0-4 (writes 3)
 *   2            group metadata    group string                                 0-4 (not decoded)
 *   other        KIP-848 consumer-group (3-8), share-group (9-15) and later records: returned
 *                as 'unknown' so a loader can skip them, as Kafka's coordinator does (KIP-915).
 *
 * OffsetCommitValue by version (non-flexible below 4: int16-length strings):
 *
 *   v0  offset int64, metadata string, commitTimestamp int64
 *   v1  offset int64, metadata string, commitTimestamp int64, expireTimestamp int64
 *   v2  offset int64, metadata string, commitTimestamp int64
 *   v3  offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *   v4  as v3, flexible: metadata is a compact string, then a tagged-field section
 *
 * A version above 4 is read with the v4 layout (KIP-915: later versions may only add tagged
 * fields). Fields the version lacks take Kafka's defaults: leaderEpoch -1, expireTimestamp -1.
 * Encoding drops fields the chosen version lacks, as Kafka does for these ignorable fields.
 *
 * A null value is a tombstone: the committed offset (or the whole group, for a group-metadata
 * key) is deleted, and compaction eventually removes the key.
 *
 * Group metadata values (protocol type, generation, leader, members with their subscription and
 * assignment bytes) are not decoded yet; decodeGroupCoordinatorRecord returns their raw bytes.
 *
 * Keys are read leniently, as Kafka reads them: bytes after the known fields are ignored.
 */

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
/** offsets.topic.num.partitions default. */
export const OFFSETS_TOPIC_PARTITIONS_DEFAULT = 50;

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** What current brokers write (v1 only when an explicit expireTimestamp is given). */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION_MAX = 4;

export interface OffsetCommitKey {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetCommitValue {
  readonly offset: number;
  /** -1 when unknown or below value version 3. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** -1 unless the value is version 1. */
  readonly expireTimestamp: number;
}

export interface OffsetCommitValueInput {
  readonly offset: number;
  readonly leaderEpoch?: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  readonly expireTimestamp?: number;
}

export type GroupCoordinatorKey =
  | ({ readonly kind: 'offset-commit'; readonly version: number } & OffsetCommitKey)
  | { readonly kind: 'group-metadata'; readonly version: number; readonly group: string }
  | { readonly kind: 'unknown'; readonly version: number };

export type GroupCoordinatorRecord =
  | {
      readonly kind: 'offset-commit';
      readonly key: OffsetCommitKey;
      readonly value: OffsetCommitValue | null;
    }
  | { readonly kind: 'group-metadata'; readonly group: string; readonly value: Buffer | null }
  | { readonly kind: 'unknown'; readonly keyVersion: number };

const KEY = 'GroupCoordinatorKey';
const VALUE = 'OffsetCommitValue';

export function encodeOffsetCommitKey(key: OffsetCommitKey): Buffer {
  return new StructWriter(KEY, 16 + key.group.length + key.topic.length)
    .int16(OFFSET_COMMIT_KEY_VERSION, 'version')
    .string(key.group, 'group')
    .string(key.topic, 'topic')
    .int32(key.partition, 'partition')
    .finish();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new StructWriter(KEY, 8 + group.length)
    .int16(GROUP_METADATA_KEY_VERSION, 'version')
    .string(group, 'group')
    .finish();
}

export function decodeGroupCoordinatorKey(bytes: Buffer): GroupCoordinatorKey {
  const reader = new StructReader(bytes, KEY);
  const version = reader.int16('version');
  if (version === 0 || version === 1) {
    const group = reader.string('group');
    const topic = reader.string('topic');
    const partition = reader.int32('partition');
    return { kind: 'offset-commit', version, group, topic, partition };
  }
  if (version === GROUP_METADATA_KEY_VERSION) {
    return { kind: 'group-metadata', version, group: reader.string('group') };
  }
  return { kind: 'unknown', version };
}

export function encodeOffsetCommitValue(value: OffsetCommitValueInput, version: number): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > OFFSET_COMMIT_VALUE_VERSION_MAX) {
    throw new EngineError(
      'INVALID_GROUP_DATA',
      `${VALUE}: version ${version} cannot be written; versions 0 to 4 are known`,
    );
  }
  const writer = new StructWriter(VALUE, 40 + value.metadata.length);
  writer.int16(version, 'version').int64(value.offset, 'offset');
  if (version >= 3) writer.int32(value.leaderEpoch ?? -1, 'leaderEpoch');
  if (version >= 4) writer.compactString(value.metadata, 'metadata');
  else writer.string(value.metadata, 'metadata');
  writer.int64(value.commitTimestamp, 'commitTimestamp');
  if (version === 1) writer.int64(value.expireTimestamp ?? -1, 'expireTimestamp');
  if (version >= 4) writer.emptyTaggedFields();
  return writer.finish();
}

/** Decodes an offset-commit value; null (a tombstone) means the offset was deleted. */
export function decodeOffsetCommitValue(bytes: Buffer | null): OffsetCommitValue | null {
  if (bytes === null) return null;
  const reader = new StructReader(bytes, VALUE);
  const version = reader.int16('version');
  if (version < 0) {
    const detail = `${VALUE}: version ${version} is negative`;
    throw new CorruptRecordError('MALFORMED_GROUP_DATA', detail);
  }
  const offset = reader.int64('offset');
  const leaderEpoch = version >= 3 ? reader.int32('leaderEpoch') : -1;
  const metadata = version >= 4 ? reader.compactString('metadata') : reader.string('metadata');
  const commitTimestamp = reader.int64('commitTimestamp');
  const expireTimestamp = version === 1 ? reader.int64('expireTimestamp') : -1;
  if (version >= 4) reader.skipTaggedFields('taggedFields');
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

/**
 * Decodes one `__consumer_offsets` record. Every record there has a key; a null key is corrupt.
 * Group-metadata values are passed through undecoded.
 */
export function decodeGroupCoordinatorRecord(
  key: Buffer | null,
  value: Buffer | null,
): GroupCoordinatorRecord {
  if (key === null) {
    const detail = `${CONSUMER_OFFSETS_TOPIC} record has no key`;
    throw new CorruptRecordError('MALFORMED_GROUP_DATA', detail);
  }
  const decoded = decodeGroupCoordinatorKey(key);
  switch (decoded.kind) {
    case 'offset-commit': {
      const { group, topic, partition } = decoded;
      const offsetValue = decodeOffsetCommitValue(value);
      return { kind: 'offset-commit', key: { group, topic, partition }, value: offsetValue };
    }
    case 'group-metadata':
      return { kind: 'group-metadata', group: decoded.group, value };
    case 'unknown':
      return { kind: 'unknown', keyVersion: decoded.version };
  }
}

/**
 * Java's String.hashCode: h = 31·h + c over UTF-16 code units, wrapping at 32 bits. Not the
 * murmur2 hash the producer uses for record keys.
 */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (Math.imul(31, hash) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0 instead of itself. */
export function kafkaAbs(value: number): number {
  return value === -0x80000000 ? 0 : Math.abs(value);
}

/**
 * The `__consumer_offsets` partition that stores a group, whose leader is the group's
 * coordinator: Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions.
 */
export function coordinatorPartition(
  groupId: string,
  partitionCount: number = OFFSETS_TOPIC_PARTITIONS_DEFAULT,
): number {
  assert(Number.isInteger(partitionCount) && partitionCount > 0, `${partitionCount} partitions`);
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}
