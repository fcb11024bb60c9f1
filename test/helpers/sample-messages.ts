import { Buffer } from 'node:buffer';
import { messageSpec } from '../../src/protocol/codec.js';
import type { Encodable, FieldSpec, MessageName, MessageSpec } from '../../src/protocol/schema/schema-types.js';
import { inVersions } from '../../src/protocol/schema/versions.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';

/**
 * A plausible message of any schema at any version, built from the schema itself: every field the
 * version has gets a value (arrays one element, structs filled in recursively), with values chosen
 * by field name so that requests reach the interesting paths of their handlers (topic `topic`,
 * group `group`, a valid record batch) without side effects that grow without bound: no long polls
 * (MaxWaitMs 0), create-only requests validate only, deletes name things that do not exist, and
 * group timeouts are short. Used as seeds for fuzzing and as examples in protocol tests.
 */
export interface SampleOptions {
  /** The topic requests name; default 'fuzz'. */
  readonly topic?: string;
  /** The group requests name; default 'fuzz-group'. */
  readonly group?: string;
  /** Values by field name (schema spelling) that replace the built-in choices. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

type Value = unknown;

type Resolved = Required<SampleOptions>;

const RECORDS = encodeRecordBatch(
  [
    { key: 'k1', value: 'sample value one' },
    { key: null, value: 'sample value two', headers: [{ key: 'h', value: Buffer.from('v') }] },
  ],
  { timestamp: 1_700_000_000_000 },
);

/** Field values by field name (schema spelling), for every message. */
function byFieldName(options: Resolved): Readonly<Record<string, Value>> {
  return {
    ...builtIn(options),
    ...options.fields,
  };
}

function builtIn(options: Resolved): Readonly<Record<string, Value>> {
  return {
    Acks: 1,
    TimeoutMs: 1000,
    timeoutMs: 1000,
    MaxWaitMs: 0,
    MinBytes: 0,
    MaxBytes: 1 << 20,
    PartitionMaxBytes: 64 * 1024,
    FetchOffset: 0,
    LogStartOffset: -1,
    Timestamp: -1,
    MaxNumOffsets: 1,
    IsolationLevel: 0,
    ReplicaId: -1,
    ReplicaEpoch: -1,
    CurrentLeaderEpoch: -1,
    LastFetchedEpoch: -1,
    CommittedLeaderEpoch: -1,
    SessionId: 0,
    SessionEpoch: -1,
    SessionTimeoutMs: 50,
    RebalanceTimeoutMs: 50,
    GenerationId: -1,
    GenerationIdOrMemberEpoch: -1,
    MemberEpoch: -1,
    NumPartitions: 1,
    ReplicationFactor: 1,
    Count: 1,
    ValidateOnly: true,
    validateOnly: true,
    AllowAutoTopicCreation: false,
    ProducerId: -1,
    ProducerEpoch: -1,
    TransactionTimeoutMs: 1000,
    KeyType: 0,
    ResourceType: 2,
    CommittedOffset: 0,
    RetentionTimeMs: -1,
    CommitTimestamp: -1,
    Index: 0,
    Partition: 0,
    PartitionIndex: 0,
    Topic: options.topic,
    Name: options.topic,
    ResourceName: options.topic,
    GroupId: options.group,
    Key: options.group,
    CoordinatorKeys: [options.group],
    Groups: [options.group],
    GroupsNames: [`${options.group}-absent`],
    MemberId: '',
    GroupInstanceId: null,
    TransactionalId: null,
    ProtocolType: 'consumer',
    ProtocolName: 'range',
    ClientSoftwareName: 'brook-sample',
    ClientSoftwareVersion: '1.0',
    ClusterId: null,
    RackId: '',
    Reason: null,
    CommittedMetadata: '',
    ConfigurationKeys: null,
    StatesFilter: [],
    TypesFilter: [],
    'Partitions:[]int32': [],
    Assignments: [],
    BrokerIds: [1],
    Metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 4, 0x66, 0x75, 0x7a, 0x7a, 0xff, 0xff, 0xff, 0xff]),
    Assignment: Buffer.from([0, 0, 0, 0, 0, 1, 0, 4, 0x66, 0x75, 0x7a, 0x7a, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    Records: RECORDS,
  };
}

/** Per message overrides, where a field name means different things in different messages. */
function byMessage(options: Resolved): Readonly<Record<string, Readonly<Record<string, Value>>>> {
  return {
    DeleteTopicsRequest: { Name: `${options.topic}-absent`, TopicNames: [`${options.topic}-absent`] },
    CreateTopicsRequest: { Configs: [{ name: 'cleanup.policy', value: 'delete' }] },
    DescribeConfigsRequest: { Name: options.topic },
  };
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const INT_TYPES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64']);
const SCALAR_TYPES = new Set([...INT_TYPES, 'bool', 'string', 'bytes', 'records', 'uuid']);

function scalarFits(type: string, value: Value): boolean {
  if (INT_TYPES.has(type)) return typeof value === 'number';
  if (type === 'bool') return typeof value === 'boolean';
  if (type === 'string') return typeof value === 'string';
  if (type === 'bytes' || type === 'records') return Buffer.isBuffer(value);
  return type === 'uuid' && Buffer.isBuffer(value) && value.length === 16;
}

class Sampler {
  readonly #spec: MessageSpec;
  readonly #version: number;
  readonly #fieldValues: Readonly<Record<string, Value>>;
  readonly #messageValues: Readonly<Record<string, Value>>;

  constructor(name: MessageName, version: number, options: Resolved) {
    this.#spec = messageSpec(name);
    this.#version = version;
    this.#fieldValues = byFieldName(options);
    this.#messageValues = byMessage(options)[name] ?? {};
  }

  struct(fields: ReadonlyArray<FieldSpec>): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const field of fields) {
      if (!inVersions(field.versions, this.#version)) continue;
      out[camel(field.name)] = this.#field(field);
    }
    return out;
  }

  /** The chosen value for a field: `Name:type` first, then `Name`; message overrides first. */
  #chosen(field: FieldSpec): Value {
    for (const key of [`${field.name}:${field.type}`, field.name]) {
      if (Object.hasOwn(this.#messageValues, key)) return this.#messageValues[key];
      if (Object.hasOwn(this.#fieldValues, key)) return this.#fieldValues[key];
    }
    return undefined;
  }

  #field(field: FieldSpec): Value {
    const nullable = inVersions(field.nullableVersions, this.#version);
    const isArray = field.type.startsWith('[]');
    const elementType = isArray ? field.type.slice(2) : field.type;
    const isStruct = !SCALAR_TYPES.has(elementType);
    const chosen = this.#chosen(field);
    if (chosen === null && nullable) return null;
    if (chosen !== undefined && chosen !== null && isArray === Array.isArray(chosen)) {
      // A chosen list must hold what the field holds: objects for a struct list, scalars otherwise.
      const items: ReadonlyArray<Value> = Array.isArray(chosen) ? chosen : [chosen];
      const fits = isStruct
        ? isArray && items.every((item) => typeof item === 'object' && item !== null && !Buffer.isBuffer(item))
        : items.every((item) => scalarFits(elementType, item));
      if (fits) return chosen;
    }
    return isArray ? this.#array(field, elementType) : this.#element(field, elementType);
  }

  #array(field: FieldSpec, elementType: string): Value {
    return [this.#element(field, elementType)];
  }

  #element(field: FieldSpec, type: string): Value {
    if (INT_TYPES.has(type)) return 0;
    switch (type) {
      case 'bool':
        return false;
      case 'string':
        return 'sample';
      case 'bytes':
        return Buffer.from('sample bytes');
      case 'records':
        return RECORDS;
      case 'uuid':
        return Buffer.alloc(16);
      default: {
        const fields = field.fields ?? this.#spec.commonStructs.find((struct) => struct.name === type)?.fields;
        if (fields === undefined) throw new Error(`schema ${this.#spec.name}: no struct named ${type}`);
        return this.struct(fields);
      }
    }
  }
}

/** A sample of message `name` at `version`, ready for codecFor(name, version).encode. */
export function sampleMessage<N extends MessageName>(name: N, version: number, options: SampleOptions = {}): Encodable<N> {
  const resolved: Resolved = { topic: options.topic ?? 'fuzz', group: options.group ?? 'fuzz-group', fields: options.fields ?? {} };
  const sampler = new Sampler(name, version, resolved);
  return sampler.struct(messageSpec(name).fields) as Encodable<N>;
}
