import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { UsageError, type CommandSpec } from '../command.js';
import { startServer } from '../serve.js';

/**
 * `brook serve`: a data directory served to Kafka clients. Settings come, lowest first, from a
 * Kafka-style properties file (`--config`), then `--override key=value`; the listener from
 * `--listeners PLAINTEXT://host:port` or `--host`/`--port`.
 */
export function readProperties(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('--config', path, `a readable properties file (${(error as Error).message})`);
  }
  const settings: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const separator = line.search(/[=:]/);
    if (separator <= 0) throw new ConfigError('--config', `${path}:${index + 1}`, `key=value lines (found "${line}")`);
    settings.push(`${line.slice(0, separator).trim()}=${line.slice(separator + 1).trim()}`);
  }
  return settings;
}

/** `PLAINTEXT://host:port` (Kafka's listeners syntax; one plaintext listener). */
export function parseListener(value: string): { host: string; port: number } {
  const match = /^(?:PLAINTEXT:\/\/)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(value.trim());
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !Number.isSafeInteger(port) || port > 65535) {
    throw new ConfigError('--listeners', value, 'PLAINTEXT://host:port with a port in [0, 65535] (one plaintext listener)');
  }
  const host = match[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'Serve a broker on a data directory to Kafka clients. SIGTERM/SIGINT shut it down gracefully: stop accepting, answer requests in flight, flush, close cleanly.',
  flags: {
    'data-dir': { type: 'string', valueName: 'path', describe: 'data directory', defaultText: './brook-data' },
    listeners: { type: 'string', valueName: 'PLAINTEXT://host:port', describe: 'where to listen (overrides --host/--port)' },
    host: { type: 'string', valueName: 'address', describe: 'listen address', defaultText: '127.0.0.1' },
    port: { type: 'string', valueName: 'n', describe: 'listen port (0 = any free port)', defaultText: '9092' },
    'advertised-host': { type: 'string', valueName: 'host', describe: 'host name given to clients', defaultText: 'the listen address' },
    workers: { type: 'string', valueName: 'n', describe: 'worker threads for CRC/LZ4/encode work (0 = inline)', defaultText: '0' },
    config: { type: 'string', valueName: 'file', describe: 'a properties file of Kafka settings (key=value lines)' },
    'metrics-port': { type: 'string', valueName: 'n', describe: 'serve Prometheus metrics at http://host:n/metrics (0 = any free port)', defaultText: 'off' },
    'metrics-host': { type: 'string', valueName: 'address', describe: 'address of the metrics endpoint', defaultText: 'the listen address' },
    override: { type: 'string', multiple: true, valueName: 'key=value', describe: 'a Kafka setting: segment.bytes, retention.ms, num.partitions, group.initial.rebalance.delay.ms, socket.request.max.bytes, ...' },
  },
  details: 'Example: brook serve --data-dir /var/lib/brook --override num.partitions=3 --override retention.ms=86400000',
  async run({ flags, positionals, print }) {
    if (positionals.length > 0) throw new UsageError('serve', `unexpected argument "${positionals[0]}"`);
    let host = flags.string('host', '127.0.0.1');
    let port = flags.integer('port', 9092, 0, 65535);
    const listeners = flags.string('listeners');
    if (listeners !== undefined) ({ host, port } = parseListener(listeners));
    if (flags.has('metrics-host') && !flags.has('metrics-port')) {
      throw new UsageError('serve', '--metrics-host needs --metrics-port (the metrics endpoint is off without a port)');
    }
    const config = flags.string('config');
    const overrides = [...(config === undefined ? [] : readProperties(config)), ...flags.list('override')];
    const running = await startServer({
      dataDir: flags.string('data-dir', 'brook-data'),
      host,
      port,
      advertisedHost: flags.string('advertised-host') ?? null,
      workers: flags.integer('workers', 0, 0, 64),
      overrides,
      metrics: flags.has('metrics-port') ? { host: flags.string('metrics-host', host), port: flags.integer('metrics-port', 0, 0, 65535) } : null,
    });
    // Handlers first, then the line a supervisor may wait for before it signals.
    let failed = false;
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        print(`brook: ${signal}: shutting down`);
        running.stop().then(resolve, (error: unknown) => {
          process.stderr.write(`brook: shutdown failed: ${String(error)}\n`);
          failed = true;
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    if (running.metrics !== null) print(`brook: metrics on ${running.metrics.url}`);
    print(`brook: serving ${running.broker.dataDir} on ${running.server.config.host}:${running.server.port} (advertised as ${running.server.config.advertisedHost}:${running.server.port})`);
    await stopped;
    print(failed ? 'brook: stopped, but the shutdown failed (see above); the next start recovers the logs' : 'brook: stopped cleanly');
    return failed ? 1 : 0;
  },
};
