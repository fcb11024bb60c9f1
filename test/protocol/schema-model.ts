/**
 * A second, deliberately naive reading of Kafka's message schemas for the codec tests: random
 * messages drawn from a schema at one version, the value the decoder should return for them, and
 * a reference encoder that writes the bytes straight from the rules in
 * shared/kafka-protocol/README.md. It shares nothing with src/protocol/codec.ts except the schema
 * data and the version-range parser, so agreement between the two is evidence for both.
 *
 * Defaults follow Kafka's generated Java classes: a field a version lacks (or a tagged field not
 * sent) reads as its schema `default`; "null" means null whatever the version (Java keeps the
 * field nullable), ints default to 0, strings to "", bytes to empty, records to null, arrays to
 * empty and uuids to all zeros.
 */
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import type { FieldSpec, MessageSpec } from '../../src/protocol/schema/schema-types.js';
import { inVersions } from '../../src/protocol/schema/versions.js';
import type { Prng } from '../helpers/prng.js';

export type Struct = { [key: string]: unknown };

/** One message version as seen by the model. */
export interface SchemaVersion {
  readonly spec: MessageSpec;
  readonly version: number;
  readonly flexible: boolean;
}

export function schemaVersion(spec: MessageSpec, version: number): SchemaVersion {
  return { spec, version, flexible: inVersions(spec.flexibleVersions, version) };
}

const INT_RANGES: { readonly [type: string]: readonly [number, number] } = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const SCALAR_TYPES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

export function fieldKey(field: FieldSpec): string {
  return field.name.charAt(0).toLowerCase() + field.name.slice(1);
}

export function isArrayField(field: FieldSpec): boolean {
  return field.type.startsWith('[]');
}

export function elementType(field: FieldSpec): string {
  return isArrayField(field) ? field.type.slice(2) : field.type;
}

export function isPresent(model: SchemaVersion, field: FieldSpec): boolean {
  return inVersions(field.versions, model.version);
}

export function isTagged(model: SchemaVersion, field: FieldSpec): boolean {
  return model.flexible && field.tag !== undefined && inVersions(field.taggedVersions, model.version);
}

function isNullable(model: SchemaVersion, field: FieldSpec): boolean {
  return inVersions(field.nullableVersions, model.version);
}

function isCompact(model: SchemaVersion, field: FieldSpec): boolean {
  return model.flexible && field.flexibleVersions !== 'none';
}

/** The fields of a struct-typed field (inline or a common struct); undefined for scalars. */
export function structFields(model: SchemaVersion, field: FieldSpec): ReadonlyArray<FieldSpec> | undefined {
  const type = elementType(field);
  if (SCALAR_TYPES.has(type)) return undefined;
  const fields = field.fields ?? model.spec.commonStructs.find((struct) => struct.name === type)?.fields;
  if (fields === undefined) throw new Error(`${model.spec.name}: no struct named ${type}`);
  return fields;
}

/** The value a field has when it is not on the wire. */
export function schemaDefault(model: SchemaVersion, field: FieldSpec): unknown {
  const given = field.default;
  if (isArrayField(field)) return given === 'null' ? null : [];
  const type = field.type;
  if (Object.hasOwn(INT_RANGES, type) || type === 'float64') return given === undefined ? 0 : Number(given);
  switch (type) {
    case 'bool':
      return given === true || given === 'true';
    case 'string':
      return given === 'null' ? null : typeof given === 'string' ? given : '';
    case 'bytes':
      return given === 'null' ? null : Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return Buffer.alloc(16);
    default:
      return defaultStruct(model, structFields(model, field) ?? []);
  }
}

export function defaultStruct(model: SchemaVersion, fields: ReadonlyArray<FieldSpec>): Struct {
  const out: Struct = {};
  for (const field of fields) out[fieldKey(field)] = schemaDefault(model, field);
  return out;
}

// ---- Random messages. ----

/** A message to encode and the value decoding it must give. */
export interface Sample {
  readonly message: unknown;
  readonly expected: unknown;
}

const STRING_PIECES = ['a', 'topic-1', 'é', 'ünïcödé', '日本語', '🚀', 'Ω≈ç√', ' ', 'brook', '\u0000'];

function randomInt(type: string, rng: Prng): number {
  const range = INT_RANGES[type];
  if (range === undefined) {
    // float64: any finite double (no NaN, so the comparison stays simple).
    const bytes = rng.bytes(8);
    const value = bytes.readDoubleBE(0);
    return Number.isFinite(value) ? value : 0.5;
  }
  const [min, max] = range;
  const edges = [min, max, 0, -1, 1].filter((value) => value >= min && value <= max);
  if (rng.nextInt(4) === 0) return edges[rng.nextInt(edges.length)] as number;
  if (type === 'int64') {
    const magnitude = rng.nextInt(2 ** 21) * 2 ** 32 + rng.nextUint32();
    return rng.nextInt(2) === 0 ? magnitude : -magnitude;
  }
  return min + Math.floor((rng.nextUint32() / 2 ** 32) * (max - min + 1));
}

function randomString(rng: Prng): string {
  if (rng.nextInt(10) === 0) return 'ß'.repeat(70 + rng.nextInt(10)); // > 127 bytes: two-byte varint length
  let text = '';
  const pieces = rng.nextInt(4);
  for (let index = 0; index < pieces; index++) text += STRING_PIECES[rng.nextInt(STRING_PIECES.length)];
  return text;
}

function randomBytes(rng: Prng): Buffer {
  const lengths = [0, 1, 7, 33, 200, 600]; // 600 takes the writer's zero-copy path
  return rng.bytes(lengths[rng.nextInt(lengths.length)] as number);
}

function randomScalar(type: string, rng: Prng): Sample {
  switch (type) {
    case 'bool': {
      const value = rng.nextInt(2) === 1;
      return { message: value, expected: value };
    }
    case 'string': {
      const value = randomString(rng);
      return { message: value, expected: value };
    }
    case 'bytes': {
      const value = randomBytes(rng);
      return { message: value, expected: value };
    }
    case 'records': {
      if (rng.nextInt(3) === 0) {
        // Several slices written as one field, as a fetch response hands out stored batches.
        const parts = [randomBytes(rng), randomBytes(rng), randomBytes(rng)];
        return { message: parts, expected: Buffer.concat(parts) };
      }
      const value = randomBytes(rng);
      return { message: value, expected: value };
    }
    case 'uuid': {
      const value = rng.bytes(16);
      return { message: value, expected: value };
    }
    default: {
      const value = randomInt(type, rng);
      return { message: value, expected: value };
    }
  }
}

/** A random value for a field that is on the wire in this version. */
export function randomValue(model: SchemaVersion, field: FieldSpec, rng: Prng): Sample {
  const nullable = isNullable(model, field);
  const fields = structFields(model, field);
  if (isArrayField(field)) {
    if (nullable && rng.nextInt(6) === 0) return { message: null, expected: null };
    const count = rng.nextInt(4);
    const message: unknown[] = [];
    const expected: unknown[] = [];
    for (let index = 0; index < count; index++) {
      const element = fields === undefined ? randomScalar(elementType(field), rng) : randomStruct(model, fields, rng);
      message.push(element.message);
      expected.push(element.expected);
    }
    return { message, expected };
  }
  if (fields !== undefined) return randomStruct(model, fields, rng);
  if (nullable && rng.nextInt(6) === 0) return { message: null, expected: null };
  return randomScalar(field.type, rng);
}

/**
 * A random struct. Fields a version lacks are sometimes set anyway (the encoder must ignore them),
 * fields on the wire are sometimes left out (the default is written), tagged fields are left out,
 * set to their default (not written) or set to something else (written).
 */
export function randomStruct(model: SchemaVersion, fields: ReadonlyArray<FieldSpec>, rng: Prng): Sample {
  const message: Struct = {};
  const expected: Struct = {};
  for (const field of fields) {
    const key = fieldKey(field);
    const fallback = schemaDefault(model, field);
    if (!isPresent(model, field)) {
      expected[key] = fallback;
      if (rng.nextInt(4) === 0) message[key] = randomScalarOrStructIgnored(model, field, rng);
      continue;
    }
    if (isTagged(model, field)) {
      const choice = rng.nextInt(5);
      if (choice <= 1) {
        expected[key] = fallback;
      } else if (choice === 2) {
        message[key] = fallback;
        expected[key] = fallback;
      } else {
        let sample = randomValue(model, field, rng);
        for (let attempt = 0; attempt < 10 && isDeepStrictEqual(sample.expected, fallback); attempt++) sample = randomValue(model, field, rng);
        if (isDeepStrictEqual(sample.expected, fallback)) {
          expected[key] = fallback;
        } else {
          message[key] = sample.message;
          expected[key] = sample.expected;
        }
      }
      continue;
    }
    if (rng.nextInt(8) === 0) {
      expected[key] = fallback;
      continue;
    }
    const sample = randomValue(model, field, rng);
    message[key] = sample.message;
    expected[key] = sample.expected;
  }
  return { message, expected };
}

/** Junk for a field the version lacks: any value of the right shape, never looked at. */
function randomScalarOrStructIgnored(model: SchemaVersion, field: FieldSpec, rng: Prng): unknown {
  const fields = structFields(model, field);
  if (isArrayField(field)) return [];
  if (fields !== undefined) return {};
  return randomScalar(field.type, rng).message;
}

// ---- Reference encoder. ----

class ByteSink {
  readonly #parts: Buffer[] = [];

  fixed(size: number, write: (buffer: Buffer) => void): void {
    const buffer = Buffer.alloc(size);
    write(buffer);
    this.#parts.push(buffer);
  }

  uvarint(value: number): void {
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest % 128) | 0x80);
      rest = Math.floor(rest / 128);
    }
    bytes.push(rest);
    this.#parts.push(Buffer.from(bytes));
  }

  raw(bytes: Buffer): void {
    this.#parts.push(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** Extra tags to weave into every tag section (to test that readers skip them). */
export interface UnknownTags {
  readonly rng: Prng;
}

function writeScalar(sink: ByteSink, type: string, value: unknown, compact: boolean): void {
  switch (type) {
    case 'bool':
      sink.fixed(1, (b) => b.writeUInt8(value === true ? 1 : 0));
      return;
    case 'int8':
      sink.fixed(1, (b) => b.writeInt8(value as number));
      return;
    case 'int16':
      sink.fixed(2, (b) => b.writeInt16BE(value as number));
      return;
    case 'uint16':
      sink.fixed(2, (b) => b.writeUInt16BE(value as number));
      return;
    case 'int32':
      sink.fixed(4, (b) => b.writeInt32BE(value as number));
      return;
    case 'uint32':
      sink.fixed(4, (b) => b.writeUInt32BE(value as number));
      return;
    case 'int64':
      sink.fixed(8, (b) => b.writeBigInt64BE(BigInt(value as number)));
      return;
    case 'float64':
      sink.fixed(8, (b) => b.writeDoubleBE(value as number));
      return;
    case 'uuid':
      sink.raw(value as Buffer);
      return;
    case 'string': {
      if (value === null) {
        if (compact) sink.uvarint(0);
        else sink.fixed(2, (b) => b.writeInt16BE(-1));
        return;
      }
      const bytes = Buffer.from(value as string, 'utf8');
      if (compact) sink.uvarint(bytes.length + 1);
      else sink.fixed(2, (b) => b.writeInt16BE(bytes.length));
      sink.raw(bytes);
      return;
    }
    case 'bytes':
    case 'records': {
      if (value === null) {
        if (compact) sink.uvarint(0);
        else sink.fixed(4, (b) => b.writeInt32BE(-1));
        return;
      }
      const bytes = Array.isArray(value) ? Buffer.concat(value as Buffer[]) : (value as Buffer);
      if (compact) sink.uvarint(bytes.length + 1);
      else sink.fixed(4, (b) => b.writeInt32BE(bytes.length));
      sink.raw(bytes);
      return;
    }
    default:
      throw new Error(`not a scalar type: ${type}`);
  }
}

function writeField(model: SchemaVersion, sink: ByteSink, field: FieldSpec, value: unknown, unknown: UnknownTags | undefined): void {
  const compact = isCompact(model, field);
  const fields = structFields(model, field);
  if (isArrayField(field)) {
    if (value === null) {
      if (compact) sink.uvarint(0);
      else sink.fixed(4, (b) => b.writeInt32BE(-1));
      return;
    }
    const items = value as unknown[];
    if (compact) sink.uvarint(items.length + 1);
    else sink.fixed(4, (b) => b.writeInt32BE(items.length));
    for (const item of items) {
      if (fields === undefined) writeScalar(sink, elementType(field), item, compact);
      else writeStruct(model, sink, fields, item as Struct, unknown);
    }
    return;
  }
  if (fields !== undefined) writeStruct(model, sink, fields, value as Struct, unknown);
  else writeScalar(sink, field.type, value, compact);
}

function writeStruct(model: SchemaVersion, sink: ByteSink, fields: ReadonlyArray<FieldSpec>, value: Struct, unknown: UnknownTags | undefined): void {
  const tagged: Array<{ readonly tag: number; readonly bytes: Buffer }> = [];
  for (const field of fields) {
    if (!isPresent(model, field)) continue;
    const given = value[fieldKey(field)];
    if (isTagged(model, field)) {
      if (given === undefined || isDeepStrictEqual(given, schemaDefault(model, field))) continue;
      const inner = new ByteSink();
      writeField(model, inner, field, given, unknown);
      tagged.push({ tag: field.tag as number, bytes: inner.toBuffer() });
      continue;
    }
    writeField(model, sink, field, given === undefined ? schemaDefault(model, field) : given, unknown);
  }
  if (!model.flexible) return;
  if (unknown !== undefined) {
    // Tags this version does not know, including ones later versions use (FetchRequest v12 gets
    // tag 1, which is ReplicaState from v15 on).
    const known = new Set(fields.filter((field) => isPresent(model, field) && isTagged(model, field)).map((field) => field.tag as number));
    for (const candidate of [0, 1, 2, 3, 9, 42, 200, 5000]) {
      if (known.has(candidate) || unknown.rng.nextInt(2) === 0) continue;
      tagged.push({ tag: candidate, bytes: unknown.rng.bytes(unknown.rng.nextInt(3) === 0 ? 150 : unknown.rng.nextInt(5)) });
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  sink.uvarint(tagged.length);
  for (const { tag, bytes } of tagged) {
    sink.uvarint(tag);
    sink.uvarint(bytes.length);
    sink.raw(bytes);
  }
}

/** The bytes of `message` at this version, by the README's rules; optionally with unknown tags. */
export function referenceEncode(model: SchemaVersion, message: Struct, unknown?: UnknownTags): Buffer {
  const sink = new ByteSink();
  writeStruct(model, sink, model.spec.fields, message, unknown);
  return sink.toBuffer();
}
