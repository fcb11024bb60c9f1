#!/usr/bin/env node
import { EngineError } from '../core/errors.js';
import type { CompressionCodec } from '../records/record.js';
import { runDemo } from './demo.js';

/**
 * The `brook` command. For now: `brook demo`, an embedded append/read run. The server, topic,
 * produce/consume, dump, verify and bench commands come with the broker and wire-protocol work.
 */
const USAGE = `Usage: brook <command> [options]

Commands:
  demo      append records to an embedded partition log, read them back, reopen it
            --dir <path>          keep the data in <path> (default: a temporary directory)
            --records <n>         records to append (default 1000000)
            --batch <n>           records per batch (default 1000)
            --value-bytes <n>     value size in bytes (default 100)
            --compression <c>     none or lz4 (default none)
  help      show this text
`;

function parseFlags(args: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith('--')) throw new EngineError('CONFIG_INVALID', `unexpected argument "${arg}"; see brook help`);
    const value = args[index + 1];
    if (value === undefined) throw new EngineError('CONFIG_INVALID', `${arg} needs a value; see brook help`);
    flags.set(arg.slice(2), value);
    index++;
  }
  return flags;
}

function positiveInteger(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new EngineError('CONFIG_INVALID', `--${name}=${raw} is invalid: it must be a positive integer`);
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
