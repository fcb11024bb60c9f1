import type { Buffer } from 'node:buffer';
import type { SCHEMAS } from './messages.generated.js';

/**
 * TypeScript types of Kafka messages, computed from the schema data itself, so a field's name and
 * type cannot drift from the schema. A field becomes a camelCase property (`PartitionIndex` →
 * `partitionIndex`). Across versions one type serves: a decoded message has every field (fields a
 * version lacks get the schema's default), and a message to encode may leave any field out (the
 * default is written).
 */
export type MessageName = keyof typeof SCHEMAS;

export interface FieldSpec {
  readonly name: string;
  readonly type: string;
  readonly versions: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly tag?: number;
  readonly default?: string | number | boolean;
  readonly flexibleVersions?: string;
  readonly fields?: ReadonlyArray<FieldSpec>;
}

export interface StructSpec {
  readonly name: string;
  readonly fields: ReadonlyArray<FieldSpec>;
}

export interface MessageSpec {
  readonly name: string;
  readonly type: string;
  readonly apiKey?: number;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: ReadonlyArray<FieldSpec>;
  readonly commonStructs: ReadonlyArray<StructSpec>;
}

/** What a `records` field holds when encoding: stored batch bytes, possibly as several slices. */
export type RecordsOut = Buffer | ReadonlyArray<Buffer>;

type IntName = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64';
type ScalarName = IntName | 'bool' | 'string' | 'bytes' | 'uuid' | 'records';

type Mode = 'decoded' | 'encodable';

type Scalar<T, M extends Mode> = T extends IntName
  ? number
  : T extends 'bool'
    ? boolean
    : T extends 'string'
      ? string
      : T extends 'records'
        ? M extends 'decoded'
          ? Buffer
          : RecordsOut
        : Buffer;

type Common<N extends MessageName> = (typeof SCHEMAS)[N]['commonStructs'][number];

type Element<T, F, N extends MessageName, M extends Mode> = T extends ScalarName
  ? Scalar<T, M>
  : F extends { readonly fields: infer Fs }
    ? Struct<Fs, N, M>
    : Struct<Extract<Common<N>, { readonly name: T }>['fields'], N, M>;

type Value<F, N extends MessageName, M extends Mode> =
  | (F extends { readonly type: `[]${infer E}` } ? ReadonlyArray<Element<E, F, N, M>> : F extends { readonly type: infer T } ? Element<T, F, N, M> : never)
  | (F extends { readonly nullableVersions: string } ? null : never);

type FieldName<F> = F extends { readonly name: infer S extends string } ? Uncapitalize<S> : never;

type Struct<Fs, N extends MessageName, M extends Mode> = Fs extends ReadonlyArray<infer F>
  ? M extends 'decoded'
    ? { [K in F as FieldName<K>]: Value<K, N, M> }
    : { [K in F as FieldName<K>]?: Value<K, N, M> }
  : never;

/** A message as decoded: every field present. */
export type Decoded<N extends MessageName> = Struct<(typeof SCHEMAS)[N]['fields'], N, 'decoded'>;

/** A message to encode: fields left out are written with their schema default. */
export type Encodable<N extends MessageName> = Struct<(typeof SCHEMAS)[N]['fields'], N, 'encodable'>;

/** The element type of an array field (of a Decoded or Encodable message). */
export type ElementOf<T> = NonNullable<T> extends ReadonlyArray<infer E> ? E : never;
