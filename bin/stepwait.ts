#!/usr/bin/env node
// Also for the account commands: without credentials the SDK's chain would otherwise call the instance
// metadata address. On EC2 with an instance profile, set AWS_EC2_METADATA_DISABLED=false (README).
import '../lib/local/offline-env';
import { accountCommand } from './cli/account/command';
import { processOutput } from './cli/process-output';
import { UsageError } from './cli/usage-error';

/** The `stepwait` command-line tool. */
const USAGE = `Usage: stepwait <command> [options]

Commands:
  local     run a real wait on this machine against a local AWS Batch (no AWS account needed)

  In your AWS account, with the deployed state machine (stack StepWaitStack, or --state-machine-arn):
  start     start a wait for AWS Batch jobs (--wait follows it to the end)
  status    show a wait's outcome, stage, attempts, jobs and time waited
  list      list the newest waits, optionally of one status
  cancel    stop a wait (--terminate-job also terminates its jobs)

Run "stepwait <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const output = processOutput(process.stdout, process.stderr);
  try {
    switch (command) {
      case 'local': {
        // Loaded on use: the local runtime needs development packages an installed stepwait does not ship.
        const { LOCAL_USAGE, localCommand } = await import('./cli/local-command.js');
        try {
          return await localCommand(args, output);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          output.err(`stepwait: ${error.message}\n\n${LOCAL_USAGE}\n`);
          return 2;
        }
      }
      case 'start':
      case 'status':
      case 'list':
      case 'cancel':
        return await accountCommand(command, args, { output });
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
      output.err(`stepwait: ${error.message}\n\n${USAGE}\n`);
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
