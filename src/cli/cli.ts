import { EngineError } from '../core/errors.js';
import { parseCommand, processIO, UsageError, type CliIO, type CommandSpec } from './command.js';

/**
 * The `brook` command. Each subcommand lives in its own module under commands/, loaded only when
 * it runs (so `brook serve` starts without loading the benchmark or the dump tool). Every
 * command answers `--help`; a mistake in how it was called exits 2 with a pointer to that help;
 * any other failure exits 1 with the error's code and message.
 */
interface Entry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CommandSpec>;
}

const COMMANDS: ReadonlyArray<Entry> = [
  { name: 'serve', summary: 'serve a data directory to Kafka clients (kcat, KafkaJS, librdkafka, kafka-python, ...)', load: async () => (await import('./commands/serve.js')).serveCommand },
  { name: 'topics create', summary: 'create a topic (partitions, per-topic settings)', load: async () => (await import('./commands/topics.js')).topicsCreate },
  { name: 'topics list', summary: 'list topics', load: async () => (await import('./commands/topics.js')).topicsList },
  { name: 'topics describe', summary: 'partitions, offsets, sizes, segments, settings and retention of a topic', load: async () => (await import('./commands/topics.js')).topicsDescribe },
  { name: 'topics delete', summary: 'delete a topic and its data', load: async () => (await import('./commands/topics.js')).topicsDelete },
  { name: 'topics alter', summary: 'change or reset per-topic settings', load: async () => (await import('./commands/topics.js')).topicsAlter },
  { name: 'topics add-partitions', summary: 'raise a topic\'s partition count', load: async () => (await import('./commands/topics.js')).topicsAddPartitions },
  { name: 'produce', summary: 'produce lines from stdin as records', load: async () => (await import('./commands/produce.js')).produceCommand },
  { name: 'consume', summary: 'print records of a topic', load: async () => (await import('./commands/consume.js')).consumeCommand },
  { name: 'groups list', summary: 'list consumer groups', load: async () => (await import('./commands/groups.js')).groupsList },
  { name: 'groups describe', summary: 'members, committed offsets, log end offsets and lag of a group', load: async () => (await import('./commands/groups.js')).groupsDescribe },
  { name: 'groups reset-offsets', summary: 'move a group\'s committed offsets (earliest, latest, an offset, a time)', load: async () => (await import('./commands/groups.js')).groupsResetOffsets },
  { name: 'dump', summary: 'print a segment\'s batches: offsets, positions, sizes, codec, CRC status', load: async () => (await import('./commands/dump.js')).dumpCommand },
  { name: 'verify', summary: 'check every batch CRC in a data directory; exit 1 on corruption', load: async () => (await import('./commands/verify.js')).verifyCommand },
  { name: 'bench', summary: 'measure produce, consume and end-to-end throughput and latency', load: async () => (await import('./commands/bench.js')).benchCommand },
  { name: 'demo', summary: 'append records to an embedded partition log, read them back, reopen it', load: async () => (await import('./commands/demo.js')).demoCommand },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((entry) => entry.name.length)) + 2;
  const lines = ['Usage: brook <command> [options]', '', 'Commands:'];
  for (const entry of COMMANDS) lines.push(`  ${entry.name.padEnd(width)}${entry.summary}`);
  lines.push('', 'brook <command> --help tells more. Data commands work on --data-dir directly (when no broker has it open)', 'or, where they make sense, against a running broker with --bootstrap-server host:port.');
  return `${lines.join('\n')}\n`;
}

export async function runCli(argv: ReadonlyArray<string>, io: CliIO = processIO): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    io.out(usage());
    return 0;
  }
  const twoWords = second === undefined ? undefined : COMMANDS.find((entry) => entry.name === `${first} ${second}`);
  const entry = twoWords ?? COMMANDS.find((entry) => entry.name === first);
  if (entry === undefined) {
    const family = COMMANDS.filter((candidate) => candidate.name.startsWith(`${first} `));
    if (family.length > 0) {
      io.err(`brook: ${first} needs a subcommand: ${family.map((candidate) => candidate.name.slice(first.length + 1)).join(', ')}\n`);
    } else {
      io.err(`brook: unknown command "${first}"\n\n${usage()}`);
    }
    return 2;
  }
  const spec = await entry.load();
  const rest = argv.slice(entry.name.split(' ').length);
  try {
    const context = parseCommand(spec, rest, io);
    if (context === null) return 0;
    return await spec.run(context);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`brook ${spec.name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The message printed for a failure: the error's code and what to change. */
export function describeError(error: unknown): string {
  if (error instanceof EngineError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
