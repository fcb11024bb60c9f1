#!/usr/bin/env node
import { describeError, runCli } from './cli.js';

/** The `brook` binary: run the command line, exit with its code. */
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`brook: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
