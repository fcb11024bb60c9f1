import { parseArgs } from 'node:util';
import { EngineError } from '../core/errors.js';

/**
 * The shape of a `brook` command: its flags are data, so parsing, validation and `--help` text
 * come from one declaration. A command's `run` gets typed accessors for its flags and an
 * output sink, and returns the process exit code. A bad flag raises UsageError, which the entry
 * point prints with a pointer to the command's help and exit code 2.
 */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** May be given several times (strings only). */
  readonly multiple?: boolean;
  readonly short?: string;
  /** Shown in help: `--name <valueName>`. */
  readonly valueName?: string;
  readonly describe: string;
  /** Default shown in help (the command applies it). */
  readonly defaultText?: string;
}

export interface CommandSpec {
  /** Full name as typed: `topics create`. */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments as shown in usage, e.g. `<topic>`. */
  readonly positionals?: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Extra help text after the flags (examples, notes). */
  readonly details?: string;
  run(context: CommandContext): Promise<number>;
}

/** Where a command writes. Tests and the entry point supply their own. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readonly stdin: NodeJS.ReadableStream;
  readonly isTTY: boolean;
}

export const processIO: CliIO = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true,
};

/** A mistake in how a command was called; exit code 2 and a pointer to `--help`. */
export class UsageError extends EngineError {
  override name = 'UsageError';
  constructor(command: string, message: string) {
    super('CONFIG_INVALID', `${message}; see brook ${command} --help`);
  }
}

export class Flags {
  readonly #command: string;
  readonly #values: Readonly<Record<string, string | boolean | string[] | undefined>>;

  constructor(command: string, values: Readonly<Record<string, string | boolean | string[] | undefined>>) {
    this.#command = command;
    this.#values = values;
  }

  has(name: string): boolean {
    return this.#values[name] !== undefined;
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const value = this.#values[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'string') throw new UsageError(this.#command, `--${name} needs a value`);
    return value;
  }

  /** A required string flag. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(this.#command, `--${name} is required`);
    return value;
  }

  boolean(name: string): boolean {
    return this.#values[name] === true;
  }

  list(name: string): string[] {
    const value = this.#values[name];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [String(value)];
  }

  /** An integer flag within [min, max]. */
  integer(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
      throw new UsageError(this.#command, `--${name}=${raw} is invalid: use ${range}`);
    }
    return value;
  }

  /** A number flag (decimals allowed) ≥ min. */
  number(name: string, fallback: number, min = 0): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min) {
      throw new UsageError(this.#command, `--${name}=${raw} is invalid: use a number ≥ ${min}`);
    }
    return value;
  }

  /** One of a fixed set of words. */
  choice<T extends string>(name: string, choices: ReadonlyArray<T>, fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(choices as ReadonlyArray<string>).includes(raw)) {
      throw new UsageError(this.#command, `--${name}=${raw} is invalid: use one of ${choices.join(', ')}`);
    }
    return raw as T;
  }
}

export interface CommandContext {
  readonly flags: Flags;
  readonly positionals: ReadonlyArray<string>;
  readonly io: CliIO;
  /** Say something on stdout, one line. */
  print(line: string): void;
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', describe: 'show this help' };

/** Parse argv for a command; returns null when `--help` was asked for (help already printed). */
export function parseCommand(spec: CommandSpec, argv: ReadonlyArray<string>, io: CliIO): CommandContext | null {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, flag] of Object.entries({ ...spec.flags, help: HELP_FLAG })) {
    options[name] = {
      type: flag.type,
      ...(flag.multiple === true ? { multiple: true } : {}),
      ...(flag.short === undefined ? {} : { short: flag.short }),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error);
    throw new UsageError(spec.name, message.replace(/^Unknown option/, 'unknown flag'));
  }
  if (parsed.values['help'] === true) {
    io.out(helpText(spec));
    return null;
  }
  const flags = new Flags(spec.name, parsed.values as Record<string, string | boolean | string[] | undefined>);
  return { flags, positionals: parsed.positionals, io, print: (line) => io.out(`${line}\n`) };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: brook ${spec.name}${spec.positionals === undefined ? '' : ` ${spec.positionals}`} [options]`, '', spec.summary, ''];
  const entries = Object.entries(spec.flags);
  if (entries.length > 0) lines.push('Options:');
  const left = (name: string, flag: FlagSpec): string =>
    `  ${flag.short === undefined ? '' : `-${flag.short}, `}--${name}${flag.type === 'string' ? ` <${flag.valueName ?? 'value'}>` : ''}`;
  const width = Math.max(24, ...entries.map(([name, flag]) => left(name, flag).length + 2));
  for (const [name, flag] of [...entries, ['help', HELP_FLAG] as const]) {
    const head = left(name, flag).padEnd(width);
    const extra = [flag.defaultText === undefined ? '' : ` (default ${flag.defaultText})`, flag.multiple === true ? ' (repeatable)' : ''].join('');
    lines.push(`${head}${flag.describe}${extra}`);
  }
  if (spec.details !== undefined) lines.push('', spec.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** Exactly `count` positionals, or a UsageError naming them. */
export function positionals(context: CommandContext, spec: CommandSpec, count: number): string[] {
  if (context.positionals.length !== count) {
    throw new UsageError(spec.name, `expected ${spec.positionals ?? 'no arguments'}, got ${context.positionals.length === 0 ? 'none' : context.positionals.map((p) => `"${p}"`).join(' ')}`);
  }
  return [...context.positionals];
}
