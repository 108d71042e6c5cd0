import { StepWaitError } from '../../../waiters';

/**
 * One status vocabulary wherever a wait is reported (DESIGN.md): Step Functions' own statuses do not say
 * whether a wait timed out, since a timeout is either a Fail (StepWait.Timeout) or, with
 * failOnTimeout false, a normal end whose output says `timedOut: true`.
 */
export const WAIT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'RUNNING', 'ABORTED'] as const;
export type WaitOutcome = (typeof WAIT_OUTCOMES)[number];

/** What outcomeOf needs of DescribeExecution (or of a ListExecutions item plus its details). */
export interface ExecutionFacts {
  status?: string;
  output?: string;
  error?: string;
}

export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
    case 'SUCCEEDED': {
      const output = parseJson(execution.output);
      return isRecord(output) && output.timedOut === true ? 'TIMED_OUT' : 'SUCCEEDED';
    }
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

/** A Cause's `reason` (stepwait's causes are JSON `{ reason, jobs }`); other causes as they are. */
export function reasonOf(cause: string | undefined): string | undefined {
  if (cause === undefined || cause === '') return undefined;
  const parsed = parseJson(cause);
  if (isRecord(parsed) && typeof parsed.reason === 'string') return parsed.reason;
  return cause;
}
