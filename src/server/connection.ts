import type { Socket } from 'node:net';
import { ProtocolError } from '../core/errors.js';
import { apiEntry, API_KEYS } from '../protocol/api-table.js';
import { codecFor } from '../protocol/codec.js';
import { isFlexible, readRequestHeader, skipRequestHeaderTags, writeResponseHeader, type RequestHeader } from '../protocol/headers.js';
import type { Encodable, MessageName } from '../protocol/schema/schema-types.js';
import { WireReader } from '../protocol/wire/reader.js';
import { WireWriter } from '../protocol/wire/writer.js';
import { publishRequest, requestChannel } from '../core/channels.js';
import { FrameSplitter } from './frame-splitter.js';
import type { HandlerRegistry } from './handlers/registry.js';
import { KAFKA } from './kafka-errors.js';
import { NO_RESPONSE, type ServerState } from './request-context.js';

/** Why a connection was closed, for logs and the diagnostics channel. */
export interface ConnectionClosed {
  readonly clientHost: string;
  readonly reason: string;
}

/**
 * One client connection. Frames are reassembled from the byte stream, then handled one at a time
 * in arrival order, so responses go out in request order (kafka-python checks correlation ids
 * strictly) and a request sees the effects of the ones before it. Reading pauses while
 * `queued.max.requests` frames wait or while the socket's send buffer is full. A frame that cannot
 * be parsed, an API key or version Brook does not serve (other than ApiVersions, which gets its
 * v0 error body) and a handler failure close this connection only.
 */
export class Connection {
  readonly #socket: Socket;
  readonly #state: ServerState;
  readonly #handlers: HandlerRegistry;
  readonly #splitter: FrameSplitter;
  readonly #queue: Buffer[] = [];
  readonly #clientHost: string;
  readonly #onClose: (closed: ConnectionClosed) => void;
  #busy = false;
  #closed = false;
  #draining = false;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(socket: Socket, state: ServerState, handlers: HandlerRegistry, onClose: (closed: ConnectionClosed) => void) {
    this.#socket = socket;
    this.#state = state;
    this.#handlers = handlers;
    this.#onClose = onClose;
    this.#clientHost = socket.remoteAddress ?? 'unknown';
    this.#splitter = new FrameSplitter(state.config.requestBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.close(`socket error: ${error.message}`));
    socket.on('close', () => this.close('peer closed'));
    socket.on('end', () => {
      // The peer will send nothing more; answer what is queued, then close.
      this.#draining = true;
      if (!this.#busy && this.#queue.length === 0) this.close('peer ended');
    });
    this.#armIdleTimer();
  }

  get idle(): boolean {
    return !this.#busy && this.#queue.length === 0;
  }

  #armIdleTimer(): void {
    const idleMs = this.#state.config.idleConnectionMs;
    if (idleMs === 0) return;
    if (this.#idleTimer !== null) this.#idleTimer.refresh();
    else {
      this.#idleTimer = setTimeout(() => {
        if (this.idle) this.close(`idle for connections.max.idle.ms=${idleMs}`);
        else this.#armIdleTimer();
      }, idleMs);
      this.#idleTimer.unref();
    }
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#armIdleTimer();
    try {
      this.#splitter.push(chunk, (frame) => this.#queue.push(frame));
    } catch (error) {
      this.close(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.#queue.length >= this.#state.config.queuedRequestsMax) this.#socket.pause();
    void this.#drive();
  }

  async #drive(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const frame = this.#queue.shift() as Buffer;
        if (!this.#draining && this.#socket.isPaused() && this.#queue.length < this.#state.config.queuedRequestsMax && !this.#socket.writableNeedDrain) {
          this.#socket.resume();
        }
        const written = await this.#handle(frame);
        if (!written) return;
        if (this.#socket.writableNeedDrain) await this.#waitDrain();
      }
    } finally {
      this.#busy = false;
    }
    if (this.#draining && this.#queue.length === 0) this.close('peer ended');
  }

  #waitDrain(): Promise<void> {
    this.#socket.pause();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        if (!this.#closed && !this.#draining && this.#queue.length < this.#state.config.queuedRequestsMax) this.#socket.resume();
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  /** Handle one frame; false when the connection was closed instead. */
  async #handle(frame: Buffer): Promise<boolean> {
    const reader = new WireReader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeader(reader);
    } catch (error) {
      this.close(`unreadable request header: ${(error as Error).message}`);
      return false;
    }
    const entry = apiEntry(header.apiKey);
    if (entry === undefined || header.apiVersion < entry.minVersion || header.apiVersion > entry.maxVersion) {
      if (header.apiKey === API_KEYS.ApiVersions) {
        this.#send(header, 'ApiVersionsResponse', 0, false, {
          errorCode: KAFKA.UNSUPPORTED_VERSION,
          apiKeys: [{ apiKey: API_KEYS.ApiVersions, minVersion: entry?.minVersion ?? 0, maxVersion: entry?.maxVersion ?? 0 }],
        });
        return true;
      }
      const what = entry === undefined ? `unknown API key ${header.apiKey}` : `${entry.name} v${header.apiVersion} (served: ${entry.minVersion}-${entry.maxVersion})`;
      this.close(`${what} from client "${header.clientId ?? ''}" (correlation id ${header.correlationId})`);
      return false;
    }
    const flexible = isFlexible(entry.request, header.apiVersion);
    const handler = this.#handlers.get(header.apiKey);
    if (handler === undefined) {
      this.close(`no handler for ${entry.name}`);
      return false;
    }
    // The clock is read only when someone listens (diagnostics_channel, see metrics/channels.ts).
    const startedMs = requestChannel.hasSubscribers ? performance.now() : -1;
    let response;
    try {
      if (flexible) skipRequestHeaderTags(reader);
      const request = codecFor(entry.request, header.apiVersion).decode(reader);
      response = await handler({ state: this.#state, header, clientHost: this.#clientHost }, request);
    } catch (error) {
      const kind = error instanceof ProtocolError ? 'malformed' : 'failed';
      this.close(`${entry.name} v${header.apiVersion} ${kind}: ${(error as Error).message}`);
      return false;
    }
    if (response === NO_RESPONSE || this.#closed) {
      if (startedMs >= 0 && !this.#closed) publishRequest(this.#state.broker, header.apiKey, entry.name, header.apiVersion, startedMs);
      return !this.#closed;
    }
    try {
      this.#send(header, entry.response, header.apiVersion, isFlexible(entry.response, header.apiVersion), response);
    } catch (error) {
      this.close(`${entry.name} v${header.apiVersion} response could not be encoded: ${(error as Error).message}`);
      return false;
    }
    if (startedMs >= 0) publishRequest(this.#state.broker, header.apiKey, entry.name, header.apiVersion, startedMs);
    return true;
  }

  #send<N extends MessageName>(header: RequestHeader, name: N, version: number, flexible: boolean, body: Encodable<N>): void {
    const writer = new WireWriter(512);
    writer.int32(0); // size, patched below
    writeResponseHeader(writer, header.apiKey, flexible, header.correlationId);
    codecFor(name, version).encode(writer, body);
    const total = writer.length;
    const chunks = writer.finish();
    (chunks[0] as Buffer).writeInt32BE(total - 4, 0);
    if (this.#closed) return;
    this.#socket.cork();
    for (const chunk of chunks) this.#socket.write(chunk);
    this.#socket.uncork();
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#socket.destroySoon();
    this.#onClose({ clientHost: this.#clientHost, reason });
  }

  /** Graceful shutdown: stop reading, answer what is queued, then close. */
  finish(): Promise<void> {
    this.#socket.pause();
    this.#draining = true;
    if (this.#closed) return Promise.resolve();
    if (!this.#busy && this.#queue.length === 0) {
      this.close('server shutting down');
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      const check = setInterval(() => {
        if (this.#closed || (!this.#busy && this.#queue.length === 0)) {
          clearInterval(check);
          this.close('server shutting down');
          resolve();
        }
      }, 5);
    });
  }
}
