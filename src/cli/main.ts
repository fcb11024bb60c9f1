#!/usr/bin/env node
import { describeError, runCli } from './cli.js';

/** The `brook` binary: run the command line, exit with its code. */
// stdout closed by the reader (`brook consume … | head`): stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`brook: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
