#!/usr/bin/env node
import { EngineError } from '../core/errors.js';
import type { CompressionCodec } from '../records/record.js';
import { runDemo } from './demo.js';
import { startServer } from './serve.js';

/**
 * The `brook` command: `serve` (the Kafka wire protocol server) and `demo` (an embedded
 * append/read run).
 */
const USAGE = `Usage: brook <command> [options]

Commands:
  serve     serve a broker to Kafka clients (KafkaJS, librdkafka/kcat, kafka-python, ...)
            --data-dir <path>     data directory (default ./brook-data)
            --host <address>      listen address (default 127.0.0.1)
            --port <n>            listen port (default 9092; 0 = any free port)
            --advertised-host <h> host name given to clients (default: the listen address)
            --workers <n>         worker threads for CRC/LZ4/encode work (default 0 = inline)
            --override key=value  a Kafka setting (segment.bytes, retention.ms, num.partitions,
                                  group.initial.rebalance.delay.ms, socket.request.max.bytes, ...);
                                  repeat for several
            SIGTERM/SIGINT: stop accepting, answer requests in flight, flush, close cleanly
  demo      append records to an embedded partition log, read them back, reopen it
            --dir <path>          keep the data in <path> (default: a temporary directory)
            --records <n>         records to append (default 1000000)
            --batch <n>           records per batch (default 1000)
            --value-bytes <n>     value size in bytes (default 100)
            --compression <c>     none or lz4 (default none)
  help      show this text
`;

function parseFlags(args: string[], overrides?: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith('--')) throw new EngineError('CONFIG_INVALID', `unexpected argument "${arg}"; see brook help`);
    const value = args[index + 1];
    if (value === undefined) throw new EngineError('CONFIG_INVALID', `${arg} needs a value; see brook help`);
    if (arg === '--override' && overrides !== undefined) overrides.push(value);
    else flags.set(arg.slice(2), value);
    index++;
  }
  return flags;
}

function positiveInteger(flags: Map<string, string>, name: string, fallback: number, zeroAllowed = false): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new EngineError('CONFIG_INVALID', `--${name}=${raw} is invalid: it must be ${zeroAllowed ? 'a non-negative' : 'a positive'} integer`);
  }
  return value;
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  switch (command) {
    case 'demo': {
      const flags = parseFlags(rest);
      const compression = flags.get('compression') ?? 'none';
      if (compression !== 'none' && compression !== 'lz4') {
        throw new EngineError('CONFIG_INVALID', `--compression=${compression} is invalid: use none or lz4`);
      }
      await runDemo(
        {
          directory: flags.get('dir') ?? null,
          records: positiveInteger(flags, 'records', 1_000_000),
          recordsPerBatch: positiveInteger(flags, 'batch', 1000),
          valueBytes: positiveInteger(flags, 'value-bytes', 100),
          compression: compression as CompressionCodec,
        },
        print,
      );
      return 0;
    }
    case 'serve': {
      const overrides: string[] = [];
      const flags = parseFlags(rest, overrides);
      const port = flags.get('port') ?? '9092';
      const portNumber = Number(port);
      if (!Number.isSafeInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
        throw new EngineError('CONFIG_INVALID', `--port=${port} is invalid: use an integer in [0, 65535]`);
      }
      const running = await startServer({
        dataDir: flags.get('data-dir') ?? 'brook-data',
        host: flags.get('host') ?? '127.0.0.1',
        port: portNumber,
        advertisedHost: flags.get('advertised-host') ?? null,
        workers: flags.has('workers') ? positiveInteger(flags, 'workers', 0, true) : 0,
        overrides,
      });
      // Handlers first, then the line a supervisor may wait for before it signals.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          print(`brook: ${signal}: shutting down`);
          running.stop().then(resolve, (error: unknown) => {
            process.stderr.write(`brook: shutdown failed: ${String(error)}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      print(`brook: serving ${running.broker.dataDir} on ${running.server.config.host}:${running.server.port} (advertised as ${running.server.config.advertisedHost}:${running.server.port})`);
      await stopped;
      print('brook: stopped cleanly');
      return process.exitCode === 1 ? 1 : 0;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`brook: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof EngineError ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`brook: ${message}\n`);
    process.exitCode = 1;
  },
);
