/**
 * The errors a wait can end in, raised by Fail states as `StepWait.<Name>` with a JSON Cause. One list, so
 * the poller, the state machine and the tools cannot drift apart.
 */
export const StepWaitError = {
  JobFailed: 'StepWait.JobFailed',
  JobNotFound: 'StepWait.JobNotFound',
  Timeout: 'StepWait.Timeout',
  InvalidInput: 'StepWait.InvalidInput',
  MaxAttemptsExceeded: 'StepWait.MaxAttemptsExceeded',
  AmbiguousBusinessKey: 'StepWait.AmbiguousBusinessKey',
  UnknownStatus: 'StepWait.UnknownStatus',
  /**
   * A job seen unfinished is gone from a system that documents forgetting finished jobs (DQOps keeps them
   * only in an in-memory history): it finished, but how can no longer be known.
   */
  JobForgotten: 'StepWait.JobForgotten',
  /** The status call failed with an error no acceptor expects (e.g. AccessDeniedException): waiting will not mend it. */
  PollFailed: 'StepWait.PollFailed',
  /**
   * SubmitJob refused the job (Batch's ClientException: an unknown queue, an inactive job definition, ...),
   * or failed every time it was tried again after looking the business key up.
   */
  SubmitFailed: 'StepWait.SubmitFailed',
  /** The segment execution a long wait handed over to could not be started (e.g. its machine is gone). */
  HandOverFailed: 'StepWait.HandOverFailed',
  /** A segment execution ended without a result: timed out, stopped, or failed at run time. */
  SegmentFailed: 'StepWait.SegmentFailed',
  /** The poller Lambda kept failing past its retries (throttled, crashing, or refusing its event). */
  PollerFailed: 'StepWait.PollerFailed',
} as const;

/**
 * The longest Cause Step Functions keeps (TaskFailedEventDetails and ExecutionFailedEventDetails: 32,768
 * characters). A longer one is cut, and a cut JSON cause can no longer be parsed.
 */
export const MAX_CAUSE_LENGTH = 32_768;

export type StepWaitErrorName = (typeof StepWaitError)[keyof typeof StepWaitError];
