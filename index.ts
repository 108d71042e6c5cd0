/**
 * stepwait, the package entry (`require('stepwait')` / `import ... from 'stepwait'`): the CDK constructs
 * and the waiter model. The local runtime (lib/local) is not part of it: the `stepwait local` command loads
 * it when a run starts.
 */
export type { PollerConfig } from './lambdas/poller-config';
export { METRICS_NAMESPACE, WAITER_DIMENSION, WaitMetric } from './lambdas/wait-metrics';
export type { StageOverride, WaitInput, WaitInputOptions } from './lambdas/wait-request';
export { AirbyteJobs, type AirbyteJobsProps } from './lib/airbyte/airbyte-jobs';
export { DqopsJobs, type DqopsJobsProps } from './lib/dqops/dqops-jobs';
export { HAND_OVER_RETRY_ERRORS, HAND_OVER_RETRY_REASONS } from './lib/hand-over-states';
export { BATCH_JOBS, type IJobSystem } from './lib/job-system';
export { JobWaiter, type JobWaiterProps, type WaitSchedule } from './lib/job-waiter';
export { type EndpointGrant, PollerFunction, type PollerFunctionProps } from './lib/poller-function';
export { Registry, type RegistryAdmin, type RegistryProps } from './lib/registry/registry';
export { StepWaitStack, type StepWaitStackProps } from './lib/stepwait-stack';
export { StepWaitValidationError } from './lib/validation-error';
export {
  DEFAULT_DELAYS,
  Delay,
  JobWaitFragment,
  type JobWaitFragmentProps,
  MAX_STATE_NAME_LENGTH,
  POLLER_RETRY_ERRORS,
  POLLER_RETRY_REASONS,
  type SubmitOptions,
  type WaitOptions,
} from './lib/wait-fragment';
export type { WaiterAlarms } from './lib/waiter-alarms';
export type { CancelGrantOptions } from './lib/waiter-grants';
export { pollerMetric } from './lib/waiter-metrics';
export { DEFAULT_SWEEP_INTERVAL, WakeUps, type WakeUpsProps } from './lib/wake-up/wake-ups';
export * from './waiters';
