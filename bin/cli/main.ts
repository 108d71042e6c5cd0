import { ACCOUNT_COMMANDS, accountCommand, isAccountCommand } from './account/command';
import type { Output } from './account/io';
import { didYouMean } from './suggest';
import { UsageError } from './usage-error';
import { packageVersion } from './version';

/** The `stepwait` command-line tool. */
export const USAGE = `Usage: stepwait <command> [options]

Commands:
  local     run a real wait on this machine against a local AWS Batch or DQOps (no AWS account
            needed); --app <cdk.out | command> runs your own app's waiter

  In your AWS account, with the deployed state machine (stack StepWaitStack, or --state-machine-arn):
  start     start a wait for the waiter's jobs (--wait follows it to the end)
  status    show a wait's outcome, stage, attempts, jobs and time waited
  list      list the newest waits, optionally of one status
  cancel    stop a wait (--terminate-job also terminates its Batch jobs)
  resubmit  run a finished submit-and-wait again under a new business key (registry of waits)
  ui        serve the jobs page on 127.0.0.1: your waits, live, with their actions (registry of waits)

  help      show a command's options: stepwait help <command> (the same as stepwait <command> --help)

Options:
  -h, --help     show this help
  -v, --version  print stepwait's version`;

/** Every command, for `help <command>` and for suggestions after a typo. */
export const COMMANDS: readonly string[] = ['local', ...Object.keys(ACCOUNT_COMMANDS), 'help'];
/** What a mistyped first word may also have meant. */
const TOP_LEVEL_WORDS = [...COMMANDS, '--help', '--version'];

/** `stepwait help [command]`: the general usage, or exactly what `<command> --help` prints. */
async function help(args: readonly string[], output: Output): Promise<number> {
  const [topic, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`help takes one command, got "${args.join(' ')}"`);
  if (topic === undefined || topic === 'help' || topic === '-h' || topic === '--help') {
    output.out(`${USAGE}\n`);
    return 0;
  }
  if (!COMMANDS.includes(topic)) {
    throw new UsageError(`help: unknown command "${topic}"${didYouMean(topic, COMMANDS)}`);
  }
  return main([topic, '--help'], output);
}

/** Runs the command line `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], output: Output): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'local': {
        // Loaded on use: account commands should not load the local runtime (aws-local-stepfunctions, ...).
        const { LOCAL_USAGE, localCommand } = await import('./local-command.js');
        try {
          return await localCommand(args, output);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          output.err(`stepwait: ${error.message}\n\n${LOCAL_USAGE}\n`);
          return 2;
        }
      }
      case 'help':
        return await help(args, output);
      case undefined:
      case '-h':
      case '--help':
        output.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      // -v as node and npm have it; stepwait has no verbose flag for it to mean.
      case '-v':
      case '--version':
        output.out(`${packageVersion()}\n`);
        return 0;
      default:
        if (isAccountCommand(command)) return await accountCommand(command, args, { output });
        throw new UsageError(`unknown command "${command}"${didYouMean(command, TOP_LEVEL_WORDS)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`stepwait: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}
