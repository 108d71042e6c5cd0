import { UsageError } from '../usage-error';
import { CANCEL_USAGE, cancelCommand } from './cancel';
import { defaultClientFactory } from './clients';
import type { CommandContext } from './context';
import { explainError } from './errors';
import { type Output, printJson } from './io';
import { LIST_USAGE, listCommand } from './list';
import { RESUBMIT_USAGE, resubmitCommand } from './resubmit';
import { START_USAGE, startCommand } from './start';
import { STATUS_USAGE, statusCommand } from './status';
import { UI_USAGE, uiCommand } from './ui';

/** The commands that work on a deployed stepwait in an AWS account. */
export const ACCOUNT_COMMANDS = {
  start: { usage: START_USAGE, run: startCommand },
  status: { usage: STATUS_USAGE, run: statusCommand },
  list: { usage: LIST_USAGE, run: listCommand },
  cancel: { usage: CANCEL_USAGE, run: cancelCommand },
  resubmit: { usage: RESUBMIT_USAGE, run: resubmitCommand },
  ui: { usage: UI_USAGE, run: uiCommand },
} as const;

export type AccountCommandName = keyof typeof ACCOUNT_COMMANDS;

export function isAccountCommand(command: string | undefined): command is AccountCommandName {
  return command !== undefined && Object.hasOwn(ACCOUNT_COMMANDS, command);
}

/** `start --wait` asks for the status this often: about 0.1 DescribeExecution and history calls a second. */
export const WAIT_POLL_INTERVAL_MS = 10_000;

/**
 * Runs an account command and turns every expected error into a message and an exit code: usage errors
 * (with the command's usage) and missing credentials, region, stack output or execution exit 2; other AWS
 * errors exit 1 with their name and message. No stack traces for these; anything else (a bug) is rethrown.
 * With --json, an error is also one JSON object on stdout: `{ "error": { "code", "message" } }`.
 */
export async function accountCommand(
  command: AccountCommandName,
  args: string[],
  context: Partial<CommandContext> & { output: Output },
): Promise<number> {
  const full: CommandContext = {
    clients: defaultClientFactory,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
    pollIntervalMs: WAIT_POLL_INTERVAL_MS,
    ...context,
  };
  const { output } = full;
  try {
    return await ACCOUNT_COMMANDS[command].run(args, full);
  } catch (error) {
    const explained = explainError(error);
    if (explained === undefined) throw error;
    if (output.live) output.err('\r\x1b[2K');
    const usage = explained instanceof UsageError;
    if (args.includes('--json')) {
      printJson(output, {
        error: { code: usage ? 'UsageError' : explained.code, message: explained.message },
      });
    }
    output.err(
      `stepwait ${command}: ${explained.message}\n${usage ? `\n${ACCOUNT_COMMANDS[command].usage}\n` : ''}`,
    );
    return usage ? 2 : explained.exitCode;
  }
}
