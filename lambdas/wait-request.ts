import {
  BATCH_NAMING,
  type DelayRules,
  DelayStrategyError,
  isRecord,
  JOB_NAME_PATTERN,
  JOB_QUEUE_ARN_PATTERN,
  type JobNaming,
  type StageOverride,
  validateDelayStrategy,
  type WaitRequest,
} from '../waiters';
import { InvalidInputError } from './invalid-input';

/**
 * What one execution asks for (the execution input, or the part of a host's state a fragment reads):
 *
 *   { "jobId": "..." } | { "jobIds": ["...", ...] } | { "jobName": "...", "jobQueue": "...", "newest"?: true }
 *   | { "jobNamePrefix": "nightly-", "scheduledTime": "2026-11-25T02:00:00Z", "jobQueue": "..." }
 *   plus optional "timeoutSeconds", "failOnTimeout",
 *   "overrides": { "<Stage>": { "delay"?: DelayStrategy, "maxAttempts"?: n } } and, when the waiter
 *   submits jobs, "parameters": { "<name>": "<value>" } (jobQueue then defaults to the waiter's queue).
 *
 * Bounds come from the AWS Batch API reference: at most 100 ids per DescribeJobs; job names 1-128
 * letters, digits, hyphens and underscores, the first a letter or digit.
 */
export type { StageOverride, WaitRequest } from '../waiters';

/** The options any wait's input may carry, whatever names its jobs. */
export interface WaitInputOptions {
  /** The deadline, counted from the first poll. @default the waiter's `timeout` (24 h) */
  readonly timeoutSeconds?: number;
  /** End a passed deadline normally with `timedOut: true` instead of failing with StepWait.Timeout. */
  readonly failOnTimeout?: boolean;
  /** Per stage, a delay strategy and an attempt limit for this execution only. */
  readonly overrides?: Readonly<Record<string, StageOverride>>;
  /** SubmitJob parameters, merged over the construct's; only for a waiter that submits. */
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * An execution's input, as a caller writes it (parseWaitRequest checks it and says which field is wrong):
 * exactly one way of naming the jobs, plus options. `scheduledTime` is added by stepwait to a schedule's
 * input that has a `jobNamePrefix`.
 */
export type WaitInput = WaitInputOptions &
  (
    | { readonly jobId: string }
    | { readonly jobIds: readonly string[] }
    | { readonly jobName: string; readonly jobQueue?: string; readonly newest?: boolean }
    | {
        readonly jobNamePrefix: string;
        readonly scheduledTime?: string;
        readonly jobQueue?: string;
        readonly newest?: boolean;
      }
  );

export const MAX_JOB_IDS = 100;
export const MAX_TIMEOUT_SECONDS = 31_536_000;
const MAX_ATTEMPTS_LIMIT = 1_000_000;

export { JOB_ID_PATTERN, JOB_NAME_PATTERN, JOB_QUEUE_ARN_PATTERN } from '../waiters';

/** The fields a wait request may have; any other is refused by name. */
export const REQUEST_FIELDS: readonly string[] = [
  'jobId',
  'jobIds',
  'jobName',
  'jobNamePrefix',
  'scheduledTime',
  'jobQueue',
  'newest',
  'timeoutSeconds',
  'failOnTimeout',
  'overrides',
  'parameters',
  // Step Functions adds it to the input of a child started with associateWithParent (startExecution.sync).
  'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
  // The registry API names the wait it starts after its record (lambdas/registry).
  'waitId',
];

/** A wait id: a UUID, as the poller mints them (crypto.randomUUID) and the registry API gives them. */
export const WAIT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** `YYYY-MM-DD` is appended to a prefix, so a prefix leaves it room within the 128-character name. */
const JOB_NAME_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,116}$/;
const MAX_PARAMETERS = 100;

/** How a waiter that submits jobs fills in what a request leaves out. */
export interface SubmitDefaults {
  jobQueue: string;
}

/**
 * The business key of a scheduled wait: the prefix plus the scheduled date in UTC (`nightly-2026-11-25`).
 * EventBridge Scheduler's `<aws.scheduler.scheduled-time>` (2026-11-25T02:00:00Z) contains colons, which
 * job names and execution names refuse, so the key is derived here rather than passed through.
 */
export function scheduledJobName(prefix: string, scheduledTime: string): string {
  return `${prefix}${new Date(Date.parse(scheduledTime)).toISOString().slice(0, 10)}`;
}

function jobId(value: unknown, field: string, naming: JobNaming): string {
  if (typeof value !== 'string' || !naming.idPattern.test(value)) {
    throw InvalidInputError.expected(field, naming.idWhat, value);
  }
  return value;
}

function businessKey(request: Record<string, unknown>, naming: JobNaming): string {
  const { jobName, jobNamePrefix, scheduledTime } = request;
  if (jobNamePrefix === undefined) {
    if (typeof jobName !== 'string' || !naming.keyPattern.test(jobName)) {
      throw InvalidInputError.expected('jobName', naming.keyWhat, jobName);
    }
    return jobName;
  }
  if (typeof jobNamePrefix !== 'string' || !JOB_NAME_PREFIX_PATTERN.test(jobNamePrefix)) {
    throw InvalidInputError.expected(
      'jobNamePrefix',
      '1-117 letters, digits, hyphens, underscores, the first a letter or digit',
      jobNamePrefix,
    );
  }
  if (typeof scheduledTime !== 'string' || Number.isNaN(Date.parse(scheduledTime))) {
    throw InvalidInputError.expected(
      'scheduledTime',
      'an ISO 8601 time, e.g. "<aws.scheduler.scheduled-time>" in a schedule input',
      scheduledTime,
    );
  }
  return scheduledJobName(jobNamePrefix, scheduledTime);
}

function target(
  request: Record<string, unknown>,
  submit: SubmitDefaults | undefined,
  naming: JobNaming,
): WaitRequest['target'] {
  const given = ['jobId', 'jobIds', 'jobName', 'jobNamePrefix'].filter((key) => request[key] !== undefined);
  if (given.length !== 1) {
    throw InvalidInputError.expected(
      given.length === 0 ? 'jobId' : given.join('+'),
      'exactly one of jobId, jobIds, jobName, or jobNamePrefix with scheduledTime',
      given.length === 0 ? undefined : Object.fromEntries(given.map((key) => [key, request[key]])),
    );
  }
  if (request.jobId !== undefined) return { jobIds: [jobId(request.jobId, 'jobId', naming)] };
  if (request.jobIds !== undefined) {
    const ids = request.jobIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_JOB_IDS) {
      throw InvalidInputError.expected('jobIds', `a list of 1 to ${MAX_JOB_IDS} job ids`, ids);
    }
    return { jobIds: [...new Set(ids.map((id, index) => jobId(id, `jobIds[${index}]`, naming)))] };
  }
  const jobName = businessKey(request, naming);
  if (!naming.keyScopedByQueue) {
    // A key the system looks up by itself (DQOps): there is no queue to name.
    if (request.jobQueue !== undefined) {
      throw InvalidInputError.expected(
        'jobQueue',
        'no job queue: this system looks business keys up by itself',
        request.jobQueue,
      );
    }
    if (request.newest !== undefined && typeof request.newest !== 'boolean') {
      throw InvalidInputError.expected('newest', 'a boolean', request.newest);
    }
    return { jobName, newest: request.newest === true };
  }
  const { jobQueue = submit?.jobQueue, newest = false } = request;
  // A waiter that submits looks the key up where it submits: another queue would never find its own job.
  if (submit !== undefined && jobQueue !== submit.jobQueue) {
    throw InvalidInputError.expected(
      'jobQueue',
      `the waiter's own queue ${submit.jobQueue} (or none)`,
      jobQueue,
    );
  }
  if (
    typeof jobQueue !== 'string' ||
    !(JOB_NAME_PATTERN.test(jobQueue) || JOB_QUEUE_ARN_PATTERN.test(jobQueue))
  ) {
    throw InvalidInputError.expected('jobQueue', 'a job queue name or job queue ARN', jobQueue);
  }
  if (typeof newest !== 'boolean') throw InvalidInputError.expected('newest', 'a boolean', newest);
  return { jobName, jobQueue, newest };
}

function parameters(value: unknown, submit: SubmitDefaults | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (submit === undefined) {
    throw InvalidInputError.expected('parameters', 'no parameters: this waiter does not submit jobs', value);
  }
  if (!isRecord(value) || Object.keys(value).length > MAX_PARAMETERS) {
    throw InvalidInputError.expected(
      'parameters',
      `an object of at most ${MAX_PARAMETERS} string values`,
      value,
    );
  }
  for (const [name, parameter] of Object.entries(value)) {
    if (typeof parameter !== 'string')
      throw InvalidInputError.expected(`parameters.${name}`, 'a string', parameter);
  }
  return value as Record<string, string>;
}

function overrides(
  value: unknown,
  stages: readonly string[],
  delayRules: DelayRules,
): Record<string, StageOverride> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw InvalidInputError.expected('overrides', 'an object keyed by stage name', value);
  const result: Record<string, StageOverride> = {};
  for (const [stage, override] of Object.entries(value)) {
    const field = `overrides.${stage}`;
    if (!stages.includes(stage))
      throw InvalidInputError.expected(field, `a stage of this waiter (${stages.join(', ')})`, stage);
    if (!isRecord(override))
      throw InvalidInputError.expected(field, 'an object with delay and/or maxAttempts', override);
    const unknown = Object.keys(override).find((key) => key !== 'delay' && key !== 'maxAttempts');
    if (unknown !== undefined)
      throw InvalidInputError.expected(`${field}.${unknown}`, 'no such field (delay, maxAttempts)', unknown);
    const stageOverride: StageOverride = {};
    if (override.delay !== undefined) {
      try {
        validateDelayStrategy(override.delay, `${field}.delay`, delayRules);
      } catch (error) {
        if (error instanceof DelayStrategyError) {
          throw new InvalidInputError(error.field, error.detail);
        }
        throw error;
      }
      stageOverride.delay = override.delay;
    }
    if (override.maxAttempts !== undefined) {
      const max = override.maxAttempts;
      if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_ATTEMPTS_LIMIT) {
        throw InvalidInputError.expected(
          `${field}.maxAttempts`,
          `an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`,
          max,
        );
      }
      stageOverride.maxAttempts = max as number;
    }
    result[stage] = stageOverride;
  }
  return result;
}

/**
 * Validates a wait request. @throws InvalidInputError naming the first bad field.
 * @param stages the waiter's stages, which overrides may name
 * @param maxTimeoutSeconds the longest deadline this waiter allows
 * @param submit set when the waiter submits jobs: the job queue then defaults, and parameters are allowed
 * @param delayRules `in-flight` for a handed-over wait, whose overrides an earlier version may have accepted
 * @param naming what the waiter's job system takes as job ids and business keys
 */
export function parseWaitRequest(
  request: unknown,
  stages: readonly string[],
  maxTimeoutSeconds: number,
  submit?: SubmitDefaults,
  delayRules: DelayRules = 'current',
  naming: JobNaming = BATCH_NAMING,
): WaitRequest {
  if (!isRecord(request))
    throw InvalidInputError.expected('(input)', 'an object such as {"jobId": "..."}', request);
  const unknown = Object.keys(request).find((key) => !REQUEST_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw InvalidInputError.expected(
      unknown,
      `no such field (known: ${REQUEST_FIELDS.join(', ')})`,
      request[unknown],
    );
  }
  const parsed: WaitRequest = {
    target: target(request, submit, naming),
    overrides: overrides(request.overrides, stages, delayRules),
  };
  const submitParameters = parameters(request.parameters, submit);
  if (submitParameters !== undefined) parsed.parameters = submitParameters;
  const { timeoutSeconds, failOnTimeout, waitId } = request;
  if (waitId !== undefined) {
    if (typeof waitId !== 'string' || !WAIT_ID_PATTERN.test(waitId)) {
      throw InvalidInputError.expected('waitId', 'a lowercase UUID (the registry API sets it)', waitId);
    }
    parsed.waitId = waitId;
  }
  if (timeoutSeconds !== undefined) {
    const max = Math.min(maxTimeoutSeconds, MAX_TIMEOUT_SECONDS);
    if (
      !Number.isInteger(timeoutSeconds) ||
      (timeoutSeconds as number) < 1 ||
      (timeoutSeconds as number) > max
    ) {
      throw InvalidInputError.expected('timeoutSeconds', `whole seconds from 1 to ${max}`, timeoutSeconds);
    }
    parsed.timeoutSeconds = timeoutSeconds as number;
  }
  if (failOnTimeout !== undefined) {
    if (typeof failOnTimeout !== 'boolean')
      throw InvalidInputError.expected('failOnTimeout', 'a boolean', failOnTimeout);
    parsed.failOnTimeout = failOnTimeout;
  }
  return parsed;
}
