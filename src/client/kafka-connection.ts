import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { EngineError } from '../core/errors.js';
import { apiEntry } from '../protocol/api-table.js';
import { codecFor } from '../protocol/codec.js';
import { isFlexible } from '../protocol/headers.js';
import type { Decoded, Encodable, MessageName } from '../protocol/schema/schema-types.js';
import { WireReader } from '../protocol/wire/reader.js';
import { WireWriter } from '../protocol/wire/writer.js';

/**
 * One connection to a Kafka broker (Brook's own server or Kafka's): request frames built with the
 * schema codecs (request header v1, v2 for flexible versions), responses reassembled from the
 * byte stream and matched by correlation id; several requests may be in flight. Used by the CLI
 * and `brook bench` when they talk to a running broker.
 */
export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId?: string;
  readonly connectTimeoutMs?: number;
  /** Fail a request whose response has not arrived in this time (default 30 s). */
  readonly requestTimeoutMs?: number;
}

interface Pending {
  readonly apiKey: number;
  readonly version: number;
  readonly response: MessageName;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** `host:port` (IPv6 in brackets) as given to --bootstrap-server. */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address.trim());
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new EngineError('CONFIG_INVALID', `broker address "${address}" is invalid: use host:port, e.g. 127.0.0.1:9092`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export class KafkaConnection {
  readonly #socket: Socket;
  readonly #address: string;
  readonly #clientId: string;
  readonly #requestTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextCorrelationId = 1;
  /** Received bytes not yet parsed, kept as chunks until a whole frame is here. */
  #chunks: Buffer[] = [];
  #chunkBytes = 0;
  /** Bytes needed before the next frame can be parsed: its size field, then the whole frame. */
  #neededBytes = 4;
  #closedError: Error | null = null;

  private constructor(socket: Socket, options: ConnectOptions) {
    this.#socket = socket;
    this.#address = `${options.host}:${options.port}`;
    this.#clientId = options.clientId ?? 'brook-cli';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new EngineError('NETWORK_ERROR', 'the broker closed the connection')));
  }

  static connect(options: ConnectOptions): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new EngineError('NETWORK_ERROR', `no broker answered at ${options.host}:${options.port} within ${options.connectTimeoutMs ?? 10_000} ms; is brook serve running there?`));
      }, options.connectTimeoutMs ?? 10_000);
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new EngineError('NETWORK_ERROR', `cannot connect to ${options.host}:${options.port} (${error.code ?? error.message}); is a broker running there?`, { cause: error }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new KafkaConnection(socket, options));
      });
    });
  }

  /**
   * Send a request and wait for its decoded response. With `expectResponse: false` (Produce with
   * acks=0) the request is written and null returned at once.
   */
  request<Req extends MessageName, Res extends MessageName>(
    apiKey: number,
    version: number,
    names: readonly [Req, Res],
    body: Encodable<Req>,
    options: { readonly expectResponse?: boolean } = {},
  ): Promise<Decoded<Res>> {
    if (this.#closedError !== null) return Promise.reject(this.#closedError);
    const correlationId = this.#nextCorrelationId++;
    const writer = new WireWriter(256);
    writer.int32(0); // size, patched below
    writer.int16(apiKey);
    writer.int16(version);
    writer.int32(correlationId);
    writer.string(this.#clientId, false);
    if (isFlexible(names[0], version)) writer.uvarint(0);
    codecFor(names[0], version).encode(writer, body);
    const chunks = writer.finish();
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    chunks[0]!.writeInt32BE(length - 4, 0);
    if (options.expectResponse === false) {
      // Nothing will answer: resolve once the socket can take more, so a stream of such requests
      // (Produce with acks=0) is held back by the socket instead of queueing without bound.
      const ready = this.#write(chunks);
      return ready ? Promise.resolve(null as unknown as Decoded<Res>) : this.#drained().then(() => null as unknown as Decoded<Res>);
    }
    return new Promise<Decoded<Res>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(new EngineError('NETWORK_ERROR', `${apiEntry(apiKey)?.name ?? `API ${apiKey}`} request got no response from ${this.#address} within ${this.#requestTimeoutMs} ms; is it a Kafka broker (brook serve) and is it running?`));
      }, this.#requestTimeoutMs);
      this.#pending.set(correlationId, { apiKey, version, response: names[1], resolve: resolve as (body: unknown) => void, reject, timer });
      this.#write(chunks);
    });
  }

  /** Stored record bytes travel by reference: the chunks go out in one writev. False: the socket's buffer is full. */
  #write(chunks: ReadonlyArray<Buffer>): boolean {
    this.#socket.cork();
    let ready = true;
    for (const chunk of chunks) ready = this.#socket.write(chunk) && ready;
    process.nextTick(() => this.#socket.uncork());
    return ready;
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closedError !== null) return reject(this.#closedError);
      const onDrain = (): void => {
        this.#socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.#socket.off('drain', onDrain);
        reject(this.#closedError ?? new EngineError('NETWORK_ERROR', `the connection to ${this.#address} closed`));
      };
      this.#socket.once('drain', onDrain);
      this.#socket.once('close', onClose);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  #fail(error: Error): void {
    this.#closedError ??= error;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#chunkBytes += chunk.length;
    // A large response (a fetch) arrives in many chunks: join them once, when the frame is whole,
    // not on every chunk (which copied the growing buffer again each time: quadratic).
    if (this.#chunkBytes < this.#neededBytes) return;
    const buffered = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#chunkBytes);
    let at = 0;
    while (buffered.length - at >= 4) {
      const size = buffered.readInt32BE(at);
      if (size < 4 || size > RESPONSE_BYTES_MAX) {
        this.#socket.destroy(
          new EngineError('MALFORMED_FRAME', `the peer sent a response frame of size ${size}, which is not Kafka's; is ${this.#address} a Kafka broker?`),
        );
        return;
      }
      if (buffered.length - at - 4 < size) break;
      const body = buffered.subarray(at + 4, at + 4 + size);
      at += 4 + size;
      const correlationId = body.readInt32BE(0);
      const pending = this.#pending.get(correlationId);
      if (pending === undefined) continue;
      this.#pending.delete(correlationId);
      clearTimeout(pending.timer);
      try {
        pending.resolve(decodeBody(pending, body.subarray(4)));
      } catch (error) {
        pending.reject(error as Error);
      }
    }
    const rest = buffered.subarray(at);
    this.#chunks = rest.length === 0 ? [] : [rest];
    this.#chunkBytes = rest.length;
    this.#neededBytes = rest.length >= 4 ? 4 + rest.readInt32BE(0) : 4;
  }
}

const API_VERSIONS_KEY = 18;
/** Larger response frames are refused (a fetch is bounded by its maxBytes, far below this). */
const RESPONSE_BYTES_MAX = 512 * 1024 * 1024;

function decodeBody(pending: Pending, rest: Buffer): unknown {
  const reader = new WireReader(rest);
  // ApiVersions responses always carry header v0 (KIP-511); other flexible responses a tag section.
  if (pending.apiKey !== API_VERSIONS_KEY && isFlexible(pending.response, pending.version)) {
    const tags = reader.uvarint();
    for (let index = 0; index < tags; index++) {
      reader.uvarint();
      reader.skip(reader.uvarint(), 'response header tag');
    }
  }
  return codecFor(pending.response, pending.version).decode(reader);
}
