import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EngineError } from '../core/errors.js';
import type { BrookMetrics } from './brook-metrics.js';

/**
 * The Prometheus scrape endpoint: `GET /metrics` (and HEAD) answers with the text exposition of
 * one BrookMetrics; any other path is 404 and any other method on /metrics is 405. A scrape
 * that fails is answered 500 with the reason, never taking the process down. `close()` stops
 * listening and ends idle keep-alive connections, so it does not wait for a scraper to go away.
 */
export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port; `port` tells which. */
  readonly port: number;
}

export const METRICS_PATH = '/metrics';

export class MetricsServer {
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  #closing: Promise<void> | null = null;

  private constructor(server: Server, host: string, port: number) {
    this.#server = server;
    this.host = host;
    this.port = port;
  }

  static async listen(metrics: BrookMetrics, options: MetricsServerOptions): Promise<MetricsServer> {
    if (!Number.isSafeInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new EngineError('CONFIG_INVALID', `metrics port ${options.port} is invalid: use an integer in [0, 65535] (0 = any free port)`);
    }
    const server = createServer((request, response) => void answer(metrics, request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => {
        reject(new EngineError('CONFIG_INVALID', `cannot serve metrics on ${options.host}:${options.port}: ${error.message}; choose another --metrics-port or --metrics-host`));
      });
      server.listen(options.port, options.host, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    return new MetricsServer(server, options.host, port);
  }

  /** Where Prometheus should scrape, e.g. http://127.0.0.1:9464/metrics. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}${METRICS_PATH}`;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
    return this.#closing;
  }
}

async function answer(metrics: BrookMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: metrics are at ${METRICS_PATH}\n`);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('use GET\n');
    return;
  }
  let body: string;
  try {
    body = await metrics.metrics();
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${(error as Error).message}\n`);
    return;
  }
  response.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
}
