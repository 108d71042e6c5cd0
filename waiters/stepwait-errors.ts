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
  /** The status call failed with an error no acceptor expects (e.g. AccessDeniedException): waiting will not mend it. */
  PollFailed: 'StepWait.PollFailed',
} as const;

export type StepWaitErrorName = (typeof StepWaitError)[keyof typeof StepWaitError];
