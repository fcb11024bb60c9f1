import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import { ProtocolError } from '../core/errors.js';
import { SCHEMAS } from './schema/messages.generated.js';
import type { Decoded, Encodable, FieldSpec, MessageName, MessageSpec } from './schema/schema-types.js';
import { inVersions, parseVersions } from './schema/versions.js';
import type { WireReader } from './wire/reader.js';
import { WireWriter } from './wire/writer.js';

/**
 * Encoders and decoders for every version of the messages in messages.generated.ts, built by
 * interpreting Kafka's schemas: for a (message, version) pair the field list is compiled once into
 * a plan of readers and writers, then cached. Flexible versions use the compact forms and tagged
 * field sections; unknown tags are skipped by size, known tagged fields are written only when set
 * and different from the default.
 */
export interface MessageCodec<N extends MessageName> {
  readonly name: N;
  readonly version: number;
  readonly flexible: boolean;
  decode(reader: WireReader): Decoded<N>;
  encode(writer: WireWriter, message: Encodable<N>): void;
}

type Value = unknown;
type Struct = Record<string, Value>;

interface FieldPlan {
  readonly key: string;
  readonly spec: FieldSpec;
  readonly read: (reader: WireReader) => Value;
  readonly write: (writer: WireWriter, value: Value) => void;
  readonly defaultValue: () => Value;
  readonly nullable: boolean;
}

interface StructPlan {
  readonly fields: ReadonlyArray<FieldPlan>;
  readonly tagged: ReadonlyArray<FieldPlan & { readonly tag: number }>;
  readonly absent: ReadonlyArray<FieldPlan>;
  readonly flexible: boolean;
  readonly where: string;
}

const INT_READERS = {
  int8: (r: WireReader) => r.int8(),
  int16: (r: WireReader) => r.int16(),
  uint16: (r: WireReader) => r.uint16(),
  int32: (r: WireReader) => r.int32(),
  uint32: (r: WireReader) => r.uint32(),
  int64: (r: WireReader) => r.int64(),
  float64: (r: WireReader) => r.float64(),
} as const;

const INT_WRITERS = {
  int8: (w: WireWriter, v: number) => w.int8(v),
  int16: (w: WireWriter, v: number) => w.int16(v),
  uint16: (w: WireWriter, v: number) => w.uint16(v),
  int32: (w: WireWriter, v: number) => w.int32(v),
  uint32: (w: WireWriter, v: number) => w.uint32(v),
  int64: (w: WireWriter, v: number) => w.int64(v),
  float64: (w: WireWriter, v: number) => w.float64(v),
} as const;

type IntType = keyof typeof INT_READERS;

function isIntType(type: string): type is IntType {
  return Object.hasOwn(INT_READERS, type);
}

const ZERO_UUID = Buffer.alloc(16);
const EMPTY = Buffer.alloc(0);

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function fail(where: string, message: string): never {
  throw new ProtocolError('VALUE_OUT_OF_RANGE', `${where}: ${message}`);
}

class Compiler {
  readonly #spec: MessageSpec;
  readonly #version: number;
  readonly #messageFlexible: boolean;
  /** Plans of struct fields' defaults, compiled once (a default is built per absent field). */
  readonly #defaultPlans = new Map<FieldSpec, StructPlan>();

  constructor(spec: MessageSpec, version: number) {
    this.#spec = spec;
    this.#version = version;
    this.#messageFlexible = inVersions(spec.flexibleVersions, version);
  }

  get flexible(): boolean {
    return this.#messageFlexible;
  }

  struct(fields: ReadonlyArray<FieldSpec>, where: string): StructPlan {
    const present: FieldPlan[] = [];
    const tagged: Array<FieldPlan & { tag: number }> = [];
    const absent: FieldPlan[] = [];
    for (const spec of fields) {
      const plan = this.#field(spec, `${where}.${spec.name}`);
      if (!inVersions(spec.versions, this.#version)) absent.push(plan);
      else if (this.#messageFlexible && spec.tag !== undefined && inVersions(spec.taggedVersions, this.#version)) {
        tagged.push({ ...plan, tag: spec.tag });
        absent.push(plan);
      } else present.push(plan);
    }
    tagged.sort((a, b) => a.tag - b.tag);
    return { fields: present, tagged, absent, flexible: this.#messageFlexible, where };
  }

  #field(spec: FieldSpec, where: string): FieldPlan {
    const compact = this.#messageFlexible && spec.flexibleVersions !== 'none';
    const nullable = inVersions(spec.nullableVersions, this.#version);
    const key = camel(spec.name);
    if (spec.type.startsWith('[]')) {
      const element = this.#element(spec.type.slice(2), spec, where, compact);
      return {
        key,
        spec,
        nullable,
        read: (reader) => {
          const count = reader.arrayCount(compact, where);
          if (count < 0) {
            if (nullable) return null;
            throw new ProtocolError('MALFORMED_FRAME', `${where} is null but is not nullable in this version`);
          }
          const out = new Array<Value>(count);
          for (let i = 0; i < count; i++) {
            const item = element.read(reader);
            // Kafka never allows a null array element (its generated readers refuse one).
            if (item === null) throw new ProtocolError('MALFORMED_FRAME', `${where}[${i}] is null, but array elements are never nullable`);
            out[i] = item;
          }
          return out;
        },
        write: (writer, value) => {
          if (value === null || value === undefined) {
            if (!nullable && value === null) fail(where, 'is not nullable in this version');
            writer.arrayCount(value === null ? null : 0, compact);
            return;
          }
          if (!Array.isArray(value)) fail(where, 'must be an array');
          writer.arrayCount(value.length, compact);
          for (const item of value as Value[]) element.write(writer, item);
        },
        defaultValue: () => (spec.default === 'null' ? null : []),
      };
    }
    const element = this.#element(spec.type, spec, where, compact);
    return {
      key,
      spec,
      nullable,
      read: (reader) => {
        const value = element.read(reader);
        if (value === null && !nullable) throw new ProtocolError('MALFORMED_FRAME', `${where} is null but is not nullable in this version`);
        return value;
      },
      write: (writer, value) => {
        if (value === null && !nullable) fail(where, 'is not nullable in this version');
        let chosen = value === undefined ? this.#defaultOf(spec) : value;
        // Left out where its default (null) cannot be written: the type's empty value.
        if (chosen === null && !nullable) chosen = spec.type === 'string' ? '' : EMPTY;
        element.write(writer, chosen);
      },
      defaultValue: () => this.#defaultOf(spec),
    };
  }

  #element(
    type: string,
    spec: FieldSpec,
    where: string,
    compact: boolean,
  ): { read: (reader: WireReader) => Value; write: (writer: WireWriter, value: Value) => void } {
    if (isIntType(type)) {
      const read = INT_READERS[type];
      const write = INT_WRITERS[type];
      return {
        read,
        write: (writer, value) => {
          if (typeof value !== 'number') fail(where, `must be a number, got ${typeof value}`);
          write(writer, value);
        },
      };
    }
    switch (type) {
      case 'bool':
        return { read: (r) => r.bool(), write: (w, v) => w.bool(v === true) };
      case 'uuid':
        return { read: (r) => r.uuid(), write: (w, v) => w.uuid(Buffer.isBuffer(v) ? v : ZERO_UUID) };
      case 'string':
        return {
          read: (r) => r.string(compact, where),
          write: (w, v) => {
            if (v !== null && typeof v !== 'string') fail(where, `must be a string, got ${typeof v}`);
            w.string(v, compact);
          },
        };
      case 'bytes':
      case 'records':
        return {
          read: (r) => r.bytes(compact, where),
          write: (w, v) => {
            if (v !== null && !Buffer.isBuffer(v) && !Array.isArray(v)) fail(where, 'must be a Buffer');
            w.bytes(v as Buffer | Buffer[] | null, compact);
          },
        };
      default: {
        const fields = spec.fields ?? this.#spec.commonStructs.find((s) => s.name === type)?.fields;
        if (fields === undefined) throw new Error(`schema ${this.#spec.name}: no struct named ${type}`);
        const plan = this.struct(fields, where);
        return {
          read: (reader) => readStruct(plan, reader),
          write: (writer, value) => writeStruct(plan, writer, (value ?? {}) as Struct),
        };
      }
    }
  }

  #defaultOf(spec: FieldSpec): Value {
    const given = spec.default;
    // "null" is the default even in versions that lack the field (Kafka only allows it for fields
    // nullable in all their versions); without this, ProduceRequest v0-2 read transactionalId "null".
    if (given === 'null') return null;
    if (isIntType(spec.type)) return given === undefined ? 0 : Number(given);
    switch (spec.type) {
      case 'bool':
        return given === true || given === 'true';
      case 'string':
        return typeof given === 'string' ? given : '';
      case 'bytes':
        return EMPTY;
      case 'records':
        return null;
      case 'uuid':
        return ZERO_UUID;
      default: {
        let plan = this.#defaultPlans.get(spec);
        if (plan === undefined) {
          const fields = spec.fields ?? this.#spec.commonStructs.find((s) => s.name === spec.type)?.fields ?? [];
          plan = this.struct(fields, spec.name);
          this.#defaultPlans.set(spec, plan);
        }
        return defaultStruct(plan);
      }
    }
  }
}

function defaultStruct(plan: StructPlan): Struct {
  const out: Struct = {};
  for (const field of plan.fields) out[field.key] = field.defaultValue();
  for (const field of plan.absent) out[field.key] = field.defaultValue();
  return out;
}

function readStruct(plan: StructPlan, reader: WireReader): Struct {
  const out: Struct = {};
  for (const field of plan.fields) out[field.key] = field.read(reader);
  for (const field of plan.absent) out[field.key] = field.defaultValue();
  if (plan.flexible) readTags(plan, reader, out);
  return out;
}

function readTags(plan: StructPlan, reader: WireReader, out: Struct): void {
  const count = reader.uvarint();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tag = reader.uvarint();
    const size = reader.uvarint();
    if (tag <= previous) throw new ProtocolError('MALFORMED_FRAME', `${plan.where}: tagged field ${tag} is out of order or repeated`);
    previous = tag;
    const field = plan.tagged.find((f) => f.tag === tag);
    if (field === undefined) {
      reader.skip(size, `${plan.where} unknown tag ${tag}`);
      continue;
    }
    const end = reader.offset + size;
    if (size > reader.remaining) throw new ProtocolError('MALFORMED_FRAME', `${plan.where}: tagged field ${tag} claims ${size} bytes, ${reader.remaining} remain`);
    out[field.key] = field.read(reader);
    if (reader.offset !== end) throw new ProtocolError('MALFORMED_FRAME', `${plan.where}: tagged field ${tag} is not ${size} bytes long`);
  }
}

function writeStruct(plan: StructPlan, writer: WireWriter, value: Struct): void {
  for (const field of plan.fields) field.write(writer, value[field.key]);
  if (!plan.flexible) return;
  const present = plan.tagged.filter((f) => value[f.key] !== undefined && !isDefault(f, value[f.key]));
  writer.uvarint(present.length);
  for (const field of present) {
    const inner = new WireWriter(64);
    field.write(inner, value[field.key]);
    const bytes = inner.toBuffer();
    writer.uvarint(field.tag);
    writer.uvarint(bytes.length);
    writer.raw(bytes);
  }
}

function isDefault(field: FieldPlan, value: Value): boolean {
  const fallback = field.defaultValue();
  if (value === fallback) return true;
  if (Array.isArray(value)) return value.length === 0 && Array.isArray(fallback);
  // A struct (or uuid) equal to its default, e.g. a decoded FetchResponse partition's
  // currentLeader { leaderId: -1, leaderEpoch: -1 }, is not written either.
  return isDeepStrictEqual(value, fallback);
}

const cache = new Map<string, MessageCodec<MessageName>>();

/** The codec of one message at one version; throws UNSUPPORTED_API outside the schema's range. */
export function codecFor<N extends MessageName>(name: N, version: number): MessageCodec<N> {
  const cacheKey = `${name}:${version}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached as unknown as MessageCodec<N>;
  const spec = SCHEMAS[name] as unknown as MessageSpec;
  const valid = parseVersions(spec.validVersions);
  if (!Number.isInteger(version) || version < valid.min || version > valid.max) {
    throw new ProtocolError('UNSUPPORTED_API', `${name} has no version ${version} (valid: ${spec.validVersions})`);
  }
  const compiler = new Compiler(spec, version);
  const plan = compiler.struct(spec.fields, name);
  const codec: MessageCodec<N> = {
    name,
    version,
    flexible: compiler.flexible,
    decode: (reader) => readStruct(plan, reader) as Decoded<N>,
    encode: (writer, message) => writeStruct(plan, writer, message as Struct),
  };
  cache.set(cacheKey, codec as unknown as MessageCodec<MessageName>);
  return codec;
}

export function messageSpec(name: MessageName): MessageSpec {
  return SCHEMAS[name] as unknown as MessageSpec;
}
