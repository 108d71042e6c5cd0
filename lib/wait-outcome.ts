import { StepWaitError } from '../waiters';

/**
 * One status vocabulary wherever a wait is reported (DESIGN.md), in the account CLI and in local runs:
 * Step Functions' own statuses do not say whether a wait timed out, since a timeout is either a Fail
 * (StepWait.Timeout) or, with failOnTimeout false, a normal end whose output says `timedOut: true`.
 */
export const WAIT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'RUNNING', 'ABORTED'] as const;
export type WaitOutcome = (typeof WAIT_OUTCOMES)[number];

/** What outcomeOf needs of an execution, in DescribeExecution's terms (`output` is JSON text). */
export interface ExecutionFacts {
  status?: string;
  output?: string;
  error?: string;
}

function saysTimedOut(output: string | undefined): boolean {
  if (output === undefined) return false;
  try {
    const value: unknown = JSON.parse(output);
    return typeof value === 'object' && value !== null && (value as { timedOut?: unknown }).timedOut === true;
  } catch {
    return false;
  }
}

/**
 * Step Functions status -> stepwait outcome: RUNNING (and PENDING_REDRIVE, which will run again) ->
 * RUNNING; SUCCEEDED -> SUCCEEDED, or TIMED_OUT if the output says `timedOut: true`; FAILED with
 * StepWait.Timeout -> TIMED_OUT, any other FAILED -> FAILED; TIMED_OUT (the machine's own backstop above
 * the deadline) -> TIMED_OUT; ABORTED -> ABORTED.
 */
export function outcomeOf(execution: ExecutionFacts): WaitOutcome {
  switch (execution.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return 'RUNNING';
    case 'SUCCEEDED':
      return saysTimedOut(execution.output) ? 'TIMED_OUT' : 'SUCCEEDED';
    case 'FAILED':
      return execution.error === StepWaitError.Timeout ? 'TIMED_OUT' : 'FAILED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    case 'ABORTED':
      return 'ABORTED';
    default:
      throw new Error(`unknown Step Functions execution status ${execution.status}`);
  }
}

/**
 * The exit code of a command that waited for an execution to end (`stepwait local`, `stepwait start
 * --wait`): 0 when the execution ended normally, which includes a passed deadline under failOnTimeout
 * false (the caller asked for that; the outcome still says TIMED_OUT); 1 when it failed, timed out as a
 * failure, or was stopped.
 */
export function endedWaitExitCode(executionStatus: string | undefined): 0 | 1 {
  return executionStatus === 'SUCCEEDED' ? 0 : 1;
}
