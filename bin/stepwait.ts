#!/usr/bin/env node
import '../lib/local/offline-env';
import { LOCAL_USAGE, localCommand } from './cli/local-command';
import { UsageError } from './cli/usage-error';

/** The `stepwait` command-line tool. */
const USAGE = `Usage: stepwait <command> [options]

Commands:
  local     run a real wait on this machine against a local AWS Batch (no AWS account needed)

Run "stepwait <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const output = {
    out: (text: string) => process.stdout.write(text),
    err: (text: string) => process.stderr.write(text),
    live: process.stderr.isTTY === true,
  };
  try {
    switch (command) {
      case 'local':
        return await localCommand(args, output);
      case undefined:
      case '-h':
      case '--help':
        output.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`stepwait: ${error.message}\n\n${command === 'local' ? LOCAL_USAGE : USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stepwait: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
