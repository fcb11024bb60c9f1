import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { API_KEYS, apiEntry } from '../../src/protocol/api-table.js';
import { codecFor } from '../../src/protocol/codec.js';
import { isFlexible } from '../../src/protocol/headers.js';
import type { Decoded, Encodable, MessageName } from '../../src/protocol/schema/schema-types.js';
import { WireReader } from '../../src/protocol/wire/reader.js';
import { WireWriter } from '../../src/protocol/wire/writer.js';

/**
 * A bare Kafka wire-protocol client for server tests: it writes request frames built with the
 * codecs (request header v1, or v2 for flexible versions), reassembles response frames, and matches
 * them to requests by correlation id, skipping the response header's tag section for flexible
 * versions (never for ApiVersions: its response header is always v0, KIP-511). It also writes raw
 * bytes, so tests can send what no real client would.
 */

/** Request and response message names of an API key, from the api table. */
export function messagesOf(apiKey: number): { request: MessageName; response: MessageName } {
  const entry = apiEntry(apiKey);
  if (entry === undefined) throw new Error(`API key ${apiKey} is not in the api table`);
  return { request: entry.request, response: entry.response };
}

export interface FrameOptions {
  readonly clientId?: string | null;
  /** Header tag section bytes to write after the client id (flexible versions only). */
  readonly headerTags?: Buffer;
}

/** The header of a request frame: v2 (with an empty tag section) iff that version is flexible. */
export function encodeRequestHeader(apiKey: number, apiVersion: number, correlationId: number, flexible: boolean, options: FrameOptions = {}): Buffer {
  const writer = new WireWriter(64);
  writer.int16(apiKey);
  writer.int16(apiVersion);
  writer.int32(correlationId);
  writer.string(options.clientId === undefined ? 'wire-client' : options.clientId, false);
  if (flexible) writer.raw(options.headerTags ?? Buffer.from([0]));
  return writer.toBuffer();
}

/** A whole frame: int32 size, then header and body. */
export function frame(...parts: Buffer[]): Buffer {
  const size = Buffer.alloc(4);
  let length = 0;
  for (const part of parts) length += part.length;
  size.writeInt32BE(length, 0);
  return Buffer.concat([size, ...parts]);
}

/** The body of a request message at a version, encoded with its codec. */
export function encodeBody<N extends MessageName>(name: N, version: number, body: Encodable<N>): Buffer {
  const writer = new WireWriter(256);
  codecFor(name, version).encode(writer, body);
  return writer.toBuffer();
}

/** A complete request frame for a served API (header version from the request's flexibility). */
export function encodeRequest<N extends MessageName>(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  name: N,
  body: Encodable<N>,
  options: FrameOptions = {},
): Buffer {
  const header = encodeRequestHeader(apiKey, apiVersion, correlationId, isFlexible(name, apiVersion), options);
  return frame(header, encodeBody(name, apiVersion, body));
}

/** A response frame as received: correlation id and the bytes after it (header tags included). */
export interface RawResponse {
  readonly correlationId: number;
  /** Everything after the correlation id. */
  readonly rest: Buffer;
}

interface Pending {
  readonly resolve: (response: RawResponse) => void;
  readonly reject: (error: Error) => void;
}

export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

export class WireClient {
  readonly socket: Socket;
  /** Correlation ids of responses in arrival order. */
  readonly arrivals: number[] = [];
  /** Framing errors in what the server sent (the connection is destroyed on the first). */
  readonly protocolErrors: string[] = [];
  /** Resolves when the socket has closed (whoever closed it). */
  readonly closed: Promise<void>;
  #isClosed = false;
  #nextCorrelationId = 1;
  readonly #pending = new Map<number, Pending>();
  #buffered: Buffer = Buffer.alloc(0);
  readonly #listeners: Array<(response: RawResponse) => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    // A reset by the server is one way of being closed; it must not be an unhandled 'error'.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#isClosed = true;
        const pending = [...this.#pending.values()];
        this.#pending.clear();
        for (const waiter of pending) waiter.reject(new ConnectionClosedError('the server closed the connection before answering'));
        resolve();
      });
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      const failed = (error: Error): void => reject(error);
      socket.once('error', failed);
      socket.once('connect', () => {
        socket.off('error', failed);
        resolve(new WireClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** A fresh correlation id (increasing from 1). */
  nextCorrelationId(): number {
    return this.#nextCorrelationId++;
  }

  /** Called with every response frame, in arrival order. */
  onResponse(listener: (response: RawResponse) => void): void {
    this.#listeners.push(listener);
  }

  /** Write bytes as they are. */
  write(bytes: Buffer): void {
    if (!this.#isClosed) this.socket.write(bytes);
  }

  /** Wait for the response with this correlation id. */
  expect(correlationId: number): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      if (this.#isClosed) reject(new ConnectionClosedError('the connection is closed'));
      else this.#pending.set(correlationId, { resolve, reject });
    });
  }

  /**
   * Send a request built with the codecs; resolves with the decoded response body (or, for a
   * request that gets no response, such as Produce acks=0, with `null` at once).
   */
  send<Req extends MessageName, Res extends MessageName>(
    apiKey: number,
    apiVersion: number,
    names: readonly [Req, Res],
    body: Encodable<Req>,
    options: FrameOptions & { readonly expectResponse?: boolean; readonly correlationId?: number } = {},
  ): { correlationId: number; response: Promise<Decoded<Res> | null> } {
    const correlationId = options.correlationId ?? this.nextCorrelationId();
    const bytes = encodeRequest(apiKey, apiVersion, correlationId, names[0], body, options);
    if (options.expectResponse === false) {
      this.write(bytes);
      return { correlationId, response: Promise.resolve(null) };
    }
    const response = this.expect(correlationId).then((raw) => decodeResponse(names[1], apiKey, apiVersion, raw));
    this.write(bytes);
    return { correlationId, response };
  }

  /** Send and wait for the decoded response. */
  async request<Req extends MessageName, Res extends MessageName>(
    apiKey: number,
    apiVersion: number,
    names: readonly [Req, Res],
    body: Encodable<Req>,
    options: FrameOptions = {},
  ): Promise<Decoded<Res>> {
    const response = await this.send(apiKey, apiVersion, names, body, options).response;
    if (response === null) throw new Error('no response expected');
    return response;
  }

  /** Close our side and wait for the socket to close. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    let at = 0;
    while (this.#buffered.length - at >= 4) {
      const size = this.#buffered.readInt32BE(at);
      if (size < 4) {
        // Not a response frame: treat it as a broken connection (tests see `closed`).
        this.protocolErrors.push(`server sent a response frame of size ${size}`);
        this.socket.destroy();
        return;
      }
      if (this.#buffered.length - at - 4 < size) break;
      const body = this.#buffered.subarray(at + 4, at + 4 + size);
      at += 4 + size;
      const response: RawResponse = { correlationId: body.readInt32BE(0), rest: body.subarray(4) };
      this.arrivals.push(response.correlationId);
      for (const listener of this.#listeners) listener(response);
      const waiter = this.#pending.get(response.correlationId);
      if (waiter !== undefined) {
        this.#pending.delete(response.correlationId);
        waiter.resolve(response);
      }
    }
    this.#buffered = at === this.#buffered.length ? Buffer.alloc(0) : Buffer.from(this.#buffered.subarray(at));
  }
}

/**
 * Decode a response body: skip the header tag section for flexible versions (ApiVersions excepted),
 * and read an ApiVersions error 35 answer as v0, as clients do (KIP-511).
 */
export function decodeResponse<N extends MessageName>(name: N, apiKey: number, apiVersion: number, raw: RawResponse): Decoded<N> {
  const reader = new WireReader(raw.rest);
  const flexible = isFlexible(name, apiVersion);
  if (apiKey === API_KEYS.ApiVersions) {
    const errorCode = raw.rest.length >= 2 ? raw.rest.readInt16BE(0) : 0;
    const entry = apiEntry(API_KEYS.ApiVersions);
    const served = entry !== undefined && apiVersion >= entry.minVersion && apiVersion <= entry.maxVersion;
    const version = errorCode === UNSUPPORTED_VERSION || !served ? 0 : apiVersion;
    return decodeAll(name, version, reader);
  }
  if (flexible) {
    const tags = reader.uvarint();
    for (let i = 0; i < tags; i++) {
      reader.uvarint();
      reader.skip(reader.uvarint(), 'response header tag');
    }
  }
  return decodeAll(name, apiVersion, reader);
}

const UNSUPPORTED_VERSION = 35;

function decodeAll<N extends MessageName>(name: N, version: number, reader: WireReader): Decoded<N> {
  const decoded = codecFor(name, version).decode(reader);
  if (reader.remaining !== 0) throw new Error(`${name} v${version}: ${reader.remaining} bytes left after the body`);
  return decoded;
}
