import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * Wakes a parked task: SendTaskSuccess with its token. The output is only a note for the history: the park
 * task discards it (its ResultPath), and the stage polls, because a wake-up is a hint, not the outcome.
 */

/** What sending a token back did: `woken`, or `gone` when no task waits on it any more. */
export type WakeResult = 'woken' | 'gone';

/**
 * The answers of SendTaskSuccess for a token whose task is over (Step Functions API Reference,
 * SendTaskSuccess, Errors): it timed out or was already closed (TaskTimedOut), the token is not one
 * (InvalidToken), or its execution is gone (TaskDoesNotExist). The record is then stale: drop it. Anything
 * else (ThrottlingException, a 5xx, the network) is thrown, for the caller to retry.
 */
export const GONE_TASK_ERRORS: readonly string[] = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

/** Why a wait is woken, as its history shows it. */
export interface WakeNote {
  wokenBy: 'event' | 'sweeper' | 'recheck' | 'callback';
  jobId?: string;
  status?: string;
}

export async function wake(sfn: SFNClient, taskToken: string, note: WakeNote): Promise<WakeResult> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(note) }));
    return 'woken';
  } catch (error) {
    if (GONE_TASK_ERRORS.includes((error as Error).name)) return 'gone';
    throw error;
  }
}
