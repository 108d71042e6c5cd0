#!/usr/bin/env node
// Also for the account commands: without credentials the SDK's chain would otherwise call the instance
// metadata address. On EC2 with an instance profile, set AWS_EC2_METADATA_DISABLED=false (README).
import '../lib/local/offline-env';
import { main } from './cli/main';
import { processOutput } from './cli/process-output';

/** The `stepwait` command-line tool: commands and their dispatch are in cli/main.ts. */
main(process.argv.slice(2), processOutput(process.stdout, process.stderr)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stepwait: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
