/** The waiter model: botocore-format waiters, acceptor evaluation and delay strategies. Pure: no AWS SDK. */
export { type AcceptorDecision, evaluateAcceptors } from './acceptors';
export {
  AIRBYTE_DEFAULT_DELAYS,
  AIRBYTE_NAMING,
  AIRBYTE_PHASES,
  type AirbyteJob,
  airbyteJobSystem,
  airbyteWaiterModel,
  interpretAirbyteJobs,
} from './airbyte/jobs';
export {
  BATCH_JOB_STATUSES,
  BATCH_PHASES,
  type BatchJobDetail,
  type BatchJobStatus,
  type DescribeJobsDecisionInput,
  type DescribeJobsResult,
  describeJobsOutcome,
} from './batch/describe-jobs';
export { BATCH_STAGES, batchWaiterModel } from './batch/model';
export { BATCH_NAMING, JOB_ID_PATTERN, JOB_NAME_PATTERN, JOB_QUEUE_ARN_PATTERN } from './batch/naming';
export {
  BATCH_EVENT_SOURCE,
  BATCH_JOB_STATE_CHANGE,
  batchStateChange,
  type StateChange,
} from './batch/state-change-event';
export { type BatchJobSummary, summarizeJob } from './batch/summary';
export { BATCH_DEFAULT_DELAYS, batchJobSystem } from './batch/system';
export { CAUSE_BUDGET, causeOf, shrinkCause } from './cause';
export {
  DEFAULT_JITTER_SECONDS,
  type DelayRules,
  type DelayStrategy,
  DelayStrategyError,
  defaultDelayStrategy,
  MAX_DELAY_SECONDS,
  nextDelaySeconds,
  validateDelayStrategy,
} from './delay';
export {
  DQOPS_DEFAULT_DELAYS,
  DQOPS_NAMING,
  DQOPS_PHASES,
  DQOPS_SEVERITIES,
  type DqopsFailAtSeverity,
  type DqopsJob,
  type DqopsSeverity,
  dqopsJobSystem,
  dqopsWaiterModel,
  interpretDqopsJobs,
} from './dqops/jobs';
export { WaiterConfigError } from './errors';
export {
  isFinishedPhase,
  JOB_PHASES,
  type JobNaming,
  type JobPhase,
  type JobSummary,
  type JobSystemModel,
  type JobsInterpretation,
  phaseOf,
  type StateChangeEvents,
  type StatusCallResult,
  unknownStatusIn,
} from './job-system';
export { isRecord } from './json-object';
export { WaiterModel, type WaiterOverrides } from './model';
export {
  advanceProgress,
  MAX_RETRY_AFTER_SECONDS,
  MAX_SUBMIT_FAILURES,
  MAX_SUBMIT_THROTTLES,
  type PollObservation,
  SUBMIT_LOOKUP_BACKOFF,
  startProgress,
  TRANSIENT_BACKOFF,
  type WaitPlan,
} from './progress';
export { TETHYS_STATUSES, type TethysStatus, tethysStatus, type WaitStanding } from './registry-status';
export { type RegistryView, registryViewChanged, registryViewOf } from './registry-view';
export { MAX_CAUSE_LENGTH, StepWaitError, type StepWaitErrorName } from './stepwait-errors';
export type { Acceptor, AcceptorState, Matcher, PollOutcome, WaiterConfig, WaiterModelConfig } from './types';
export { isErrorOutcome } from './types';
export {
  decideStateName,
  FIRST_POLL_STATE_SUFFIX,
  firstPollStateName,
  HAND_OVER_CONTRACT,
  handOverPath,
  POLL_EVENT_SCHEMA_VERSION,
  POLL_STATE_SUFFIX,
  type PollEvent,
  type PollState,
  parkStateName,
  pollEventOf,
  pollStateName,
  type StageOverride,
  type StageRecord,
  SUPPORTED_SCHEMA_VERSIONS,
  stageOfPollState,
  statePath,
  WAIT_OUTPUT_FIELDS,
  WAIT_STATE_FIELDS,
  type WaitOutput,
  type WaitProgress,
  type WaitRequest,
  type WaitState,
  type WaitStatus,
  waitStateName,
} from './wait-state';
export {
  CALLBACK_SYSTEM,
  DEFAULT_PARK_BACKSTOP_SECONDS,
  keysLeft,
  MAX_PARK_SECONDS,
  PARK_RECORD_GRACE_SECONDS,
  type ParkedOn,
  type ParkKey,
  parkingFor,
  parkKeys,
  parkPartitionKey,
  parkSortKey,
  statusesNamedBy,
  type WakeUpMode,
} from './wake-up';
