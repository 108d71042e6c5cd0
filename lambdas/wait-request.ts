import { type DelayStrategy, DelayStrategyError, validateDelayStrategy } from '../waiters';
import { InvalidInputError } from './invalid-input';

/**
 * What one execution asks for (the execution input, or the part of a host's state a fragment reads):
 *
 *   { "jobId": "..." } | { "jobIds": ["...", ...] } | { "jobName": "...", "jobQueue": "...", "newest"?: true }
 *   plus optional "timeoutSeconds", "failOnTimeout" and
 *   "overrides": { "<Stage>": { "delay"?: DelayStrategy, "maxAttempts"?: n } }
 *
 * Bounds come from the AWS Batch API reference: at most 100 ids per DescribeJobs; job names 1-128
 * letters, digits, hyphens and underscores, the first a letter or digit.
 */
export interface WaitRequest {
  target: { jobIds: string[] } | { jobName: string; jobQueue: string; newest: boolean };
  timeoutSeconds?: number;
  failOnTimeout?: boolean;
  overrides: Record<string, StageOverride>;
}

export interface StageOverride {
  delay?: DelayStrategy;
  maxAttempts?: number;
}

export const MAX_JOB_IDS = 100;
export const MAX_TIMEOUT_SECONDS = 31_536_000;
const MAX_ATTEMPTS_LIMIT = 1_000_000;

/** Batch job ids are UUIDs; array children add `:index` and multi-node children `#node`. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:#_-]{0,127}$/;
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const JOB_QUEUE_ARN_PATTERN =
  /^arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-queue\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const REQUEST_FIELDS = [
  'jobId',
  'jobIds',
  'jobName',
  'jobQueue',
  'newest',
  'timeoutSeconds',
  'failOnTimeout',
  'overrides',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jobId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !JOB_ID_PATTERN.test(value)) {
    throw InvalidInputError.expected(
      field,
      'a Batch job id (1-128 letters, digits, ":", "#", "-", "_")',
      value,
    );
  }
  return value;
}

function target(request: Record<string, unknown>): WaitRequest['target'] {
  const given = ['jobId', 'jobIds', 'jobName'].filter((key) => request[key] !== undefined);
  if (given.length !== 1) {
    throw InvalidInputError.expected(
      given.length === 0 ? 'jobId' : given.join('+'),
      'exactly one of jobId, jobIds, or jobName with jobQueue',
      given.length === 0 ? undefined : Object.fromEntries(given.map((key) => [key, request[key]])),
    );
  }
  if (request.jobId !== undefined) return { jobIds: [jobId(request.jobId, 'jobId')] };
  if (request.jobIds !== undefined) {
    const ids = request.jobIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_JOB_IDS) {
      throw InvalidInputError.expected('jobIds', `a list of 1 to ${MAX_JOB_IDS} job ids`, ids);
    }
    return { jobIds: [...new Set(ids.map((id, index) => jobId(id, `jobIds[${index}]`)))] };
  }
  const { jobName, jobQueue, newest = false } = request;
  if (typeof jobName !== 'string' || !JOB_NAME_PATTERN.test(jobName)) {
    throw InvalidInputError.expected(
      'jobName',
      'a Batch job name (1-128 letters, digits, hyphens, underscores; the first a letter or digit)',
      jobName,
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

function overrides(value: unknown, stages: readonly string[]): Record<string, StageOverride> {
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
        validateDelayStrategy(override.delay, `${field}.delay`);
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
 */
export function parseWaitRequest(
  request: unknown,
  stages: readonly string[],
  maxTimeoutSeconds: number,
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
  const parsed: WaitRequest = { target: target(request), overrides: overrides(request.overrides, stages) };
  const { timeoutSeconds, failOnTimeout } = request;
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
