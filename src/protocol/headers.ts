import { API_KEYS } from './api-table.js';
import { messageSpec } from './codec.js';
import type { MessageName } from './schema/schema-types.js';
import { inVersions } from './schema/versions.js';
import type { WireReader } from './wire/reader.js';
import type { WireWriter } from './wire/writer.js';

/**
 * Request header v1/v2 and response header v0/v1 (kafka-protocol.md §1.2-1.3). The first four
 * fields read the same in every header version, so a server can read key, version, correlation id
 * and client id before it knows whether it serves that version.
 */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

export function readRequestHeader(reader: WireReader): RequestHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const clientId = reader.string(false, 'request header client id');
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Whether that version of the message uses compact encodings and tag sections. */
export function isFlexible(message: MessageName, version: number): boolean {
  return inVersions(messageSpec(message).flexibleVersions, version);
}

/** The tag section of a v2 request header (after the client id); its tags are skipped. */
export function skipRequestHeaderTags(reader: WireReader): void {
  const count = reader.uvarint();
  for (let i = 0; i < count; i++) {
    reader.uvarint();
    reader.skip(reader.uvarint(), 'request header tagged field');
  }
}

/**
 * Response header: correlation id, plus an empty tag section for flexible versions except
 * ApiVersions (always v0, KIP-511). Never any tags: platformatic skips exactly one byte.
 */
export function writeResponseHeader(writer: WireWriter, apiKey: number, flexible: boolean, correlationId: number): void {
  writer.int32(correlationId);
  if (flexible && apiKey !== API_KEYS.ApiVersions) writer.uvarint(0);
}
