import { Duration, Token } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import type { IConstruct } from 'constructs';
import { checkBaseUrl } from '../lambdas/endpoints';
import { InvalidInputError } from '../lambdas/invalid-input';
import { DEFAULT_JOB_SYSTEM, registeredJobSystem } from '../lambdas/job-systems';
import { checkPollerConfig, type PollerConfig } from '../lambdas/poller-config';
import { JOB_NAME_PATTERN, JOB_QUEUE_ARN_PATTERN } from '../lambdas/wait-request';
import {
  BATCH_DEFAULT_DELAYS,
  type DelayStrategy,
  DelayStrategyError,
  defaultDelayStrategy,
  type JobSystemModel,
  validateDelayStrategy,
  type WaiterModel,
} from '../waiters';
import { BATCH_JOBS, type IJobSystem } from './job-system';
import { StepWaitValidationError } from './validation-error';
import { LONGEST_TIMEOUT_SECONDS } from './wait-input';
import type { WakeUps } from './wake-up/wake-ups';

/**
 * The options of a wait, shared by JobWaitFragment and JobWaiter, and their translation into the config
 * every poll event carries, checked at synth: each mistake is reported by construct path and prop, with the
 * checks the poller itself applies (one source of truth), before anything is deployed.
 */

/** Options shared by the fragment and the JobWaiter construct. */
export interface WaitOptions {
  /**
   * The system whose jobs are waited for: AWS Batch, or e.g. `new DqopsJobs({ baseUrl, apiKey })`.
   * @default BATCH_JOBS (AWS Batch)
   */
  readonly jobSystem?: IJobSystem;
  /**
   * The waiter model the poller decides with (botocore waiter format, version 2); every operation its
   * waiters name must be one the job system implements.
   * @default the job system's (for AWS Batch: batchWaiterModel, JobExists, JobRunning, JobComplete on DescribeJobs)
   */
  readonly waiterModel?: WaiterModel;
  /**
   * The waiters to pass through, in order; each must be in `waiterModel`. A success moves to the next.
   * @default ['JobExists', 'JobRunning', 'JobComplete'] when the model has them (the Batch model, or one
   * made from it with `withOverrides`), else every waiter of the model
   */
  readonly stages?: string[];
  /**
   * Delay strategy per stage, in whole seconds (1 to 31,536,000): `Delay.fixed(Duration.seconds(30), {
   * jitter: Duration.seconds(10) })`, `Delay.exponential(Duration.seconds(30), Duration.minutes(2))`, or the
   * plain object those return.
   * @default DEFAULT_DELAYS (chosen with `npm run bench`) for each Batch stage whose waiter keeps its
   * built-in delay (also in a model made with `withOverrides`); for any other stage its waiter's own delay
   * with +/- 2 s jitter (Airflow's BatchWaitersHook)
   */
  readonly delays?: Record<string, DelayStrategy>;
  /**
   * Attempt limits per stage. The deadline governs; a limit applies only where set here or per execution.
   * @default - no limit but the deadline
   */
  readonly maxAttempts?: Record<string, number>;
  /**
   * The deadline of a wait that does not set `timeoutSeconds` in its input; counted from the first poll.
   * @default Duration.hours(24)
   */
  readonly timeout?: Duration;
  /**
   * The longest `timeoutSeconds` an execution may ask for. The state machine's own TimeoutSeconds is this
   * plus a margin: a backstop only, the poller's deadline ends the wait first.
   * @default the larger of `timeout` and 7 days
   */
  readonly maxTimeout?: Duration;
  /**
   * On a passed deadline, fail with `StepWait.Timeout` (true) or end normally with `timedOut: true` (false).
   * An execution may override it with `failOnTimeout` in its input.
   * @default true
   */
  readonly failOnTimeout?: boolean;
  /**
   * Names the waiter in the poller's logs and in the `Waiter` dimension of every `StepWait` metric.
   * @default the construct path
   */
  readonly waiterName?: string;
  /**
   * When the deadline passes, terminate the jobs (Batch TerminateJob, allowed on job ARNs only) before
   * ending, so a timed-out wait does not leave its job running (apache/airflow#36070). The Cause says so.
   * @default false
   */
  readonly cancelJobOnTimeout?: boolean;
  /**
   * Polls per execution before the wait goes on in a fresh one (see `continueIn`), 10 or more.
   * @default DEFAULT_POLL_BUDGET (1,800), or EVENT_MODE_POLL_BUDGET (1,000) with `wakeUp: 'events'`
   */
  readonly pollBudget?: number;
  /**
   * Submit the job too. The business key is the job name (`jobName`, or `jobNamePrefix` plus a schedule's
   * `scheduledTime`): the machine first looks it up and attaches to the newest job with exactly that name
   * if it is active or succeeded, so a retried or re-run wait never submits a second job. Only when there
   * is none (or, with `resubmitFailed`, the newest FAILED) does it submit, through the Step Functions Batch
   * integration in request-response mode (`.sync` could not attach to an existing job).
   * @default - the machine only waits
   */
  readonly submit?: SubmitOptions;
  /**
   * How a stage waits between polls. `poll`: a Wait state of the stage's delay. `events`: the stage parks
   * in a `.waitForTaskToken` task once its jobs are seen, and a job state-change event wakes it to poll
   * (AWS Batch's `Batch Job State Change` via EventBridge and SQS); the park ends on its own after
   * `parkBackstop` (or at the deadline), so a lost event delays the wait and never breaks it. Deploys the
   * stack's WakeUps (a DynamoDB table, a queue with a dead-letter queue, the waker) once per stack.
   * @default 'poll'
   */
  readonly wakeUp?: 'poll' | 'events';
  /**
   * With `wakeUp: 'events'`: the longest park before the stage polls on its own, 1 minute or more.
   * @default Duration.hours(12)
   */
  readonly parkBackstop?: Duration;
  /**
   * With `wakeUp: 'events'`: the table, queue, waker and sweeper to park with, e.g. `new WakeUps(stack,
   * 'WakeUps', { sweepInterval: Duration.minutes(2) })`, shared by every waiter given it. With `wakeUp:
   * 'poll'` it drains: a waiter switched back to polling that keeps it for one `parkBackstop` after the
   * deploy polls its new waits, while the waits parked before the deploy are still woken by their events.
   * @default WakeUps.of(stack) in event mode (one per stack, with the defaults); none in poll mode
   */
  readonly wakeUps?: WakeUps;
}

export interface SubmitOptions {
  /**
   * The job definition: an aws-batch job definition construct (e.g. `EcsJobDefinition`), or a name,
   * `name:revision`, or an ARN (a token too). The role may submit any revision of it, and no other.
   */
  readonly jobDefinition: string | batch.IJobDefinition;
  /**
   * The job queue: an aws-batch `JobQueue` construct, or a name or an ARN (a token too); also where business
   * keys are looked up. The role may submit to this queue only.
   */
  readonly jobQueue: string | batch.IJobQueue;
  /**
   * SubmitJob parameters (substituted into the job definition's command); an execution's `parameters`
   * input is merged over them.
   * @default {}
   */
  readonly parameters?: Record<string, string>;
  /**
   * Submit again when the newest job with the business key FAILED. Otherwise the wait attaches to it and
   * fails with StepWait.JobFailed.
   * @default false
   */
  readonly resubmitFailed?: boolean;
}

/** Polls per execution before a hand-over: ~9 history events each keeps a segment near 16,000 events. */
export const DEFAULT_POLL_BUDGET = 1_800;

/**
 * In event mode a poll is followed by a park (a token task writes 6 events: ~13 a cycle), and a park that
 * keeps failing retries before it falls back to the Wait (~24 a cycle): 1,000 keeps either below 25,000.
 */
export const EVENT_MODE_POLL_BUDGET = 1_000;

/** The poll budget of a wait that hands over and sets none. */
export const defaultPollBudget = (options: Pick<WaitOptions, 'wakeUp'>): number =>
  options.wakeUp === 'events' ? EVENT_MODE_POLL_BUDGET : DEFAULT_POLL_BUDGET;

export const DEFAULT_TIMEOUT = Duration.hours(24);
export const MIN_MAX_TIMEOUT = Duration.days(7);
/** A Standard execution lives at most 365 days; the backstop sits an hour above maxTimeout. */
export const MAX_MAX_TIMEOUT = Duration.seconds(LONGEST_TIMEOUT_SECONDS);

/**
 * stepwait's delays for the built-in Batch stages, picked from the cost/latency frontier that
 * `npm run bench` measures (README, "Choosing delays"; the reasons are in waiters/batch/system.ts).
 */
export const DEFAULT_DELAYS: Readonly<Record<string, DelayStrategy>> = BATCH_DEFAULT_DELAYS;

/** Delay strategies from Durations, as a Wait state takes them: whole seconds, anything else refused. */
export const Delay = {
  /**
   * `delay` +/- `jitter`, drawn anew each time: a whole number of seconds from max(1, delay - jitter) to
   * delay + jitter. `options.jitter`: at most `delay` (default none).
   */
  fixed(delay: Duration, options: { readonly jitter?: Duration } = {}): DelayStrategy {
    const strategy: DelayStrategy = {
      kind: 'fixed',
      delay: wholeSeconds(delay, 'Delay.fixed.delay'),
      ...(options.jitter === undefined ? {} : { jitter: wholeSeconds(options.jitter, 'Delay.fixed.jitter') }),
    };
    validateDelayStrategy(strategy, 'Delay.fixed');
    return strategy;
  },

  /** Full jitter between `minDelay` and a ceiling doubling per attempt up to `maxDelay` (@smithy/util-waiter). */
  exponential(minDelay: Duration, maxDelay: Duration): DelayStrategy {
    const strategy: DelayStrategy = {
      kind: 'exponential',
      minDelay: wholeSeconds(minDelay, 'Delay.exponential.minDelay'),
      maxDelay: wholeSeconds(maxDelay, 'Delay.exponential.maxDelay'),
    };
    validateDelayStrategy(strategy, 'Delay.exponential');
    return strategy;
  },
};

function wholeSeconds(duration: Duration, field: string): number {
  try {
    return duration.toSeconds();
  } catch {
    throw new DelayStrategyError(
      `expected whole seconds (a Wait state takes no fractions), got ${duration}`,
      field,
    );
  }
}

/** A job definition ARN, name or `name:revision`: names are 1-128 letters, digits, hyphens and underscores. */
const JOB_DEFINITION_PATTERN =
  /^(arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-definition\/)?[A-Za-z0-9_-]{1,128}(:\d+)?$/;

/** The job definition and queue a waiter submits to, as strings (tokens for constructs). */
export function submitTargetOf(submit: SubmitOptions): { jobDefinition: string; jobQueue: string } {
  return {
    jobDefinition:
      typeof submit.jobDefinition === 'string' ? submit.jobDefinition : submit.jobDefinition.jobDefinitionArn,
    jobQueue: typeof submit.jobQueue === 'string' ? submit.jobQueue : submit.jobQueue.jobQueueArn,
  };
}

/** The config's `wakeUp` and `parkBackstopSeconds` (the poller checks what the system supports). */
function wakeUpConfig(
  scope: IConstruct,
  options: WaitOptions,
): Pick<PollerConfig, 'wakeUp' | 'parkBackstopSeconds'> {
  const mode: unknown = options.wakeUp ?? 'poll';
  if (mode !== 'poll' && mode !== 'events') {
    throw StepWaitValidationError.expected(scope, 'wakeUp', "'poll' or 'events'", mode);
  }
  if (mode === 'poll') {
    if (options.parkBackstop !== undefined) {
      throw StepWaitValidationError.expected(
        scope,
        'parkBackstop',
        "none without wakeUp: 'events'",
        options.parkBackstop,
      );
    }
    return {};
  }
  return {
    wakeUp: 'events',
    ...(options.parkBackstop === undefined
      ? {}
      : { parkBackstopSeconds: durationSeconds(scope, 'parkBackstop', options.parkBackstop) }),
  };
}

/** Whole seconds of a Duration prop, at least 1. */
function durationSeconds(scope: IConstruct, prop: string, duration: Duration): number {
  let seconds: number;
  try {
    seconds = duration.toSeconds();
  } catch {
    throw StepWaitValidationError.expected(scope, prop, 'whole seconds', duration);
  }
  if (seconds < 1) throw StepWaitValidationError.expected(scope, prop, 'at least 1 second', duration);
  return seconds;
}

function checkSubmit(scope: IConstruct, submit: SubmitOptions): void {
  const { jobDefinition, jobQueue } = submitTargetOf(submit);
  if (!Token.isUnresolved(jobDefinition) && !JOB_DEFINITION_PATTERN.test(jobDefinition)) {
    throw StepWaitValidationError.expected(
      scope,
      'submit.jobDefinition',
      'a job definition name (1-128 letters, digits, "-", "_"), name:revision, or ARN',
      jobDefinition,
    );
  }
  if (
    !Token.isUnresolved(jobQueue) &&
    !(JOB_NAME_PATTERN.test(jobQueue) || JOB_QUEUE_ARN_PATTERN.test(jobQueue))
  ) {
    throw StepWaitValidationError.expected(
      scope,
      'submit.jobQueue',
      'a job queue name (1-128 letters, digits, "-", "_", the first a letter or digit) or ARN',
      jobQueue,
    );
  }
  for (const [name, value] of Object.entries(submit.parameters ?? {})) {
    if (typeof value !== 'string') {
      throw StepWaitValidationError.expected(scope, `submit.parameters.${name}`, 'a string', value);
    }
  }
}

/** A config field (as the poller names it) as the prop a user wrote. */
function propOf(field: string): string {
  const [, path = ''] = /^config\.?(.*)$/.exec(field) ?? [];
  if (path === 'timeoutSeconds') return 'timeout';
  if (path === 'endpoint') return 'jobSystem.baseUrl';
  if (path === 'system') return 'jobSystem';
  if (path === 'trigger') return 'jobSystem.triggerSync';
  if (path === 'maxTimeoutSeconds') return 'maxTimeout';
  if (path === 'parkBackstopSeconds') return 'parkBackstop';
  if (path.startsWith('model.')) return `waiterModel.${path.slice('model.'.length)}`;
  return path === '' ? 'waiterModel' : path;
}

/** The system's stages when the model has them all (a model made with `withOverrides`, say), else the model's. */
function defaultStages(system: JobSystemModel, model: WaiterModel): string[] {
  return system.stages.every((stage) => model.hasWaiter(stage)) ? [...system.stages] : model.listWaiters();
}

/**
 * stepwait's default delay for a stage whose waiter keeps the system's built-in delay; for one whose model
 * says another delay (`batchWaiterModel.withOverrides({ JobComplete: { delay: 60 } })`, or a model of
 * one's own), that delay with +/- 2 s jitter (Airflow's BatchWaitersHook).
 */
function defaultDelay(system: JobSystemModel, model: WaiterModel, stage: string): DelayStrategy {
  const waiter = model.getWaiter(stage);
  const builtIn = system.defaultDelays[stage];
  const keepsBuiltInDelay =
    system.waiterModel.hasWaiter(stage) && system.waiterModel.getWaiter(stage).delay === waiter.delay;
  return builtIn !== undefined && keepsBuiltInDelay ? builtIn : defaultDelayStrategy(waiter);
}

/**
 * Resolves the options to the config every poll event carries, checked now rather than at the first poll.
 * @throws StepWaitValidationError naming the construct path and the prop
 */
export function pollerConfigFor(scope: IConstruct, options: WaitOptions, defaultName: string): PollerConfig {
  const jobSystem = options.jobSystem ?? BATCH_JOBS;
  let system: JobSystemModel;
  try {
    system = registeredJobSystem(jobSystem.systemId).model;
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new StepWaitValidationError(scope, 'jobSystem', error.detail);
    throw error;
  }
  for (const { prop, detail } of jobSystem.problems?.() ?? []) {
    throw new StepWaitValidationError(scope, `jobSystem.${prop}`, detail);
  }
  let endpoint: string | undefined;
  if (jobSystem.endpoint !== undefined) {
    if (Token.isUnresolved(jobSystem.endpoint)) {
      throw StepWaitValidationError.expected(
        scope,
        'jobSystem.baseUrl',
        'a literal https URL (the poller allows exactly it)',
        jobSystem.endpoint,
      );
    }
    try {
      endpoint = checkBaseUrl(jobSystem.endpoint, 'jobSystem.baseUrl');
    } catch (error) {
      if (error instanceof InvalidInputError)
        throw new StepWaitValidationError(scope, error.field, error.detail);
      throw error;
    }
  }
  if (options.submit !== undefined && !jobSystem.submits) {
    throw StepWaitValidationError.expected(
      scope,
      'submit',
      `nothing: stepwait cannot submit ${system.title} jobs`,
      'submit options',
    );
  }
  const model = options.waiterModel ?? jobSystem.waiterModel;
  const stages = options.stages ?? defaultStages(system, model);
  for (const stage of stages) {
    if (!model.hasWaiter(stage)) {
      throw StepWaitValidationError.expected(
        scope,
        'stages',
        `waiters of the model (${model.listWaiters().join(', ')})`,
        stage,
      );
    }
  }
  const timeoutSeconds = durationSeconds(scope, 'timeout', options.timeout ?? DEFAULT_TIMEOUT);
  const maxTimeoutSeconds =
    options.maxTimeout === undefined
      ? Math.max(timeoutSeconds, MIN_MAX_TIMEOUT.toSeconds())
      : durationSeconds(scope, 'maxTimeout', options.maxTimeout);
  if (maxTimeoutSeconds > MAX_MAX_TIMEOUT.toSeconds()) {
    throw StepWaitValidationError.expected(
      scope,
      'maxTimeout',
      `at most ${MAX_MAX_TIMEOUT.toDays()} days (a Standard execution lives a year at most, and the machine's backstop adds an hour)`,
      options.maxTimeout,
    );
  }
  if (timeoutSeconds > maxTimeoutSeconds) {
    throw StepWaitValidationError.expected(
      scope,
      'timeout',
      `at most maxTimeout (${maxTimeoutSeconds} s)`,
      options.timeout,
    );
  }
  const delays: Record<string, DelayStrategy> = {};
  for (const stage of stages) {
    delays[stage] = options.delays?.[stage] ?? defaultDelay(system, model, stage);
  }
  for (const [stage, delay] of Object.entries(options.delays ?? {})) {
    if (!stages.includes(stage)) {
      throw StepWaitValidationError.expected(
        scope,
        `delays.${stage}`,
        `a stage of this waiter (${stages.join(', ')})`,
        stage,
      );
    }
    try {
      validateDelayStrategy(delay, `delays.${stage}`);
    } catch (error) {
      if (error instanceof DelayStrategyError)
        throw new StepWaitValidationError(scope, error.field, error.detail);
      throw error;
    }
  }
  if (options.submit !== undefined) checkSubmit(scope, options.submit);
  const config: PollerConfig = {
    name: options.waiterName ?? defaultName,
    // Absent for Batch, as in every config written before there were several systems.
    ...(system.id === DEFAULT_JOB_SYSTEM ? {} : { system: system.id }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(jobSystem.triggers ? { trigger: true } : {}),
    model: model.toJSON(),
    stages,
    delays,
    maxAttempts: { ...options.maxAttempts },
    ...(options.pollBudget === undefined ? {} : { pollBudget: options.pollBudget }),
    timeoutSeconds,
    maxTimeoutSeconds,
    failOnTimeout: options.failOnTimeout ?? true,
    cancelJobOnTimeout: options.cancelJobOnTimeout ?? false,
    ...wakeUpConfig(scope, options),
  };
  if (options.submit !== undefined) {
    const { jobDefinition, jobQueue } = submitTargetOf(options.submit);
    config.submit = {
      jobQueue,
      jobDefinition,
      resubmitFailed: options.submit.resubmitFailed ?? false,
      parameters: { ...options.submit.parameters },
    };
  }
  // What remains (attempt limits, the poll budget, the model itself) is checked as the poller checks it.
  try {
    checkPollerConfig(config);
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new StepWaitValidationError(scope, propOf(error.field), error.detail);
    throw error;
  }
  return config;
}
