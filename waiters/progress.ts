import { causeOf } from './cause';
import { type DelayStrategy, nextDelaySeconds } from './delay';
import type { JobsInterpretation } from './job-system';
import type { WaiterModel } from './model';
import { StepWaitError, type StepWaitErrorName } from './stepwait-errors';
import { isErrorOutcome, type PollOutcome } from './types';
import type { WaitProgress } from './wait-state';

/**
 * How one wait moves from poll to poll: stages in order, the deadline, attempts and delays. Pure: the
 * poller hands in what it observed and the time, and gets back the next state to store in the execution.
 */

/** The stages of one wait and how each one waits. Built from construct props and per-execution overrides. */
export interface WaitPlan {
  readonly model: WaiterModel;
  /** Waiter names, in order; a success moves to the next one. */
  readonly stages: readonly string[];
  /** The delay strategy of each stage. */
  readonly delays: Readonly<Record<string, DelayStrategy>>;
  /** Attempt limits set explicitly by a user; a stage without one is bounded by the deadline alone. */
  readonly maxAttempts: Readonly<Record<string, number>>;
  /**
   * Polls one execution may make before the wait continues in a fresh one: a Standard execution fails at
   * 25,000 history events and each poll writes about 9. Absent: no budget (the host owns the history).
   */
  readonly pollBudget?: number;
}

/** One poll, as the poller saw it. */
export type PollObservation =
  | { kind: 'described'; interpretation: JobsInterpretation }
  /** A business key matched no job yet: the job may not be submitted yet. */
  | { kind: 'notVisible' }
  | { kind: 'ambiguous'; jobName: string; jobIds: string[] }
  /** Submit-and-wait found no job to attach to (or only a failed one it may replace). */
  | { kind: 'submit' }
  /**
   * The status call was throttled or failed transiently; the SDK must not retry inside the Lambda.
   * `retryAfterSeconds`: how long the system asked to be left alone (HTTP Retry-After), honoured up to
   * the deadline.
   */
  | { kind: 'throttled' | 'transient'; errorName: string; retryAfterSeconds?: number }
  /**
   * The machine's SubmitJob failed. `permanent`: Batch refused the request (it will refuse it again).
   * Otherwise the job may or may not exist (a lost response): the next poll looks the business key up again.
   */
  | { kind: 'submitFailed'; permanent: boolean; throttled: boolean; errorName: string; message: string };

/**
 * The longest Retry-After honoured (RFC 9110 lets a server ask for any delay): a proxy asking for an hour
 * would otherwise put the next poll past a forgetful system's history (DQOps keeps finished jobs 1 hour).
 */
export const MAX_RETRY_AFTER_SECONDS = 300;

/** Backoff after throttles and transient errors, in the state machine rather than in the Lambda. */
export const TRANSIENT_BACKOFF: DelayStrategy = { kind: 'exponential', minDelay: 2, maxDelay: 64 };

/**
 * The wait after a SubmitJob that failed in flight, before the business key is looked up again: at least
 * 30 s, because ListJobs is eventually consistent and a job created by a call whose response was lost may
 * not be listed at once. Doubling (with jitter) up to 4 minutes for repeated failures.
 */
export const SUBMIT_LOOKUP_BACKOFF: DelayStrategy = { kind: 'exponential', minDelay: 30, maxDelay: 240 };

/** SubmitJob failures (each followed by a lookup) before the wait gives up with StepWait.SubmitFailed. */
export const MAX_SUBMIT_FAILURES = 5;

/**
 * Throttled SubmitJob calls before the wait gives up: a throttle created nothing, and a nightly burst of
 * submits may be throttled for a while, so they do not use up MAX_SUBMIT_FAILURES. 20, backing off up to
 * 4 minutes each, is about an hour of being refused.
 */
export const MAX_SUBMIT_THROTTLES = 20;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The state before the first poll: stamps the deadline (now + timeoutSeconds) that every later poll keeps. */
export function startProgress(
  plan: WaitPlan,
  jobIds: readonly string[],
  timeoutSeconds: number,
  nowMs: number,
): WaitProgress {
  const firstStage = plan.stages[0];
  if (firstStage === undefined) throw new RangeError('a wait plan needs at least one stage');
  return {
    state: 'retry',
    status: 'RUNNING',
    stageIndex: 0,
    attempt: 0,
    delaySeconds: 0,
    startedAt: iso(nowMs),
    deadline: iso(nowMs + timeoutSeconds * 1000),
    jobIds: [...jobIds],
    seenJobIds: [],
    stages: [{ waiter: firstStage, attempts: 0, startedAt: iso(nowMs) }],
    jobs: [],
    timedOut: false,
    waitedSeconds: 0,
    throttledCalls: 0,
    transientErrors: 0,
    consecutiveTransientErrors: 0,
    segmentPolls: 0,
    segments: 1,
  };
}

function ended(
  progress: WaitProgress,
  nowMs: number,
  state: 'failure' | 'timeout',
  error: StepWaitErrorName,
  reason: string,
): WaitProgress {
  return {
    ...progress,
    stages: progress.stages.map((record, index) =>
      index === progress.stageIndex ? { ...record, finishedAt: iso(nowMs) } : record,
    ),
    state,
    status: state === 'timeout' ? 'TIMED_OUT' : 'FAILED',
    timedOut: state === 'timeout',
    delaySeconds: 0,
    error,
    cause: causeOf(reason, progress.jobs),
  };
}

/** Seconds to the deadline, rounded up so a clamped Wait ends at (never before) the deadline. */
function secondsLeft(progress: WaitProgress, nowMs: number): number {
  return Math.max(0, Math.ceil((Date.parse(progress.deadline) - nowMs) / 1000));
}

/** The deadline has passed: a job never seen is JobNotFound, anything else a timeout. */
function deadlinePassed(progress: WaitProgress, nowMs: number): WaitProgress {
  const neverSeen = progress.jobIds.filter((id) => !progress.seenJobIds.includes(id));
  if (progress.jobIds.length === 0 || neverSeen.length > 0) {
    const which = neverSeen.length > 0 ? `job ${neverSeen.join(', ')}` : 'a job with the business key';
    return ended(
      progress,
      nowMs,
      'failure',
      StepWaitError.JobNotFound,
      `${which} never appeared before the deadline ${progress.deadline}`,
    );
  }
  const stage = progress.stages[progress.stageIndex]?.waiter ?? '?';
  return ended(
    progress,
    nowMs,
    'timeout',
    StepWaitError.Timeout,
    `deadline ${progress.deadline} passed while waiting in ${stage}`,
  );
}

function keepWaiting(progress: WaitProgress, nowMs: number, delaySeconds: number): WaitProgress {
  const left = secondsLeft(progress, nowMs);
  if (left === 0) return deadlinePassed(progress, nowMs);
  return {
    ...progress,
    state: 'retry',
    status: 'RUNNING',
    delaySeconds: Math.max(1, Math.min(delaySeconds, left)),
  };
}

function withClock(progress: WaitProgress, nowMs: number): WaitProgress {
  return {
    ...progress,
    waitedSeconds: Math.max(0, Math.round((nowMs - Date.parse(progress.startedAt)) / 1000)),
  };
}

/** No decision yet: stop at a user-set attempt limit, else wait the stage's delay (clamped to the deadline). */
function retryStage(
  plan: WaitPlan,
  progress: WaitProgress,
  nowMs: number,
  random: () => number,
): WaitProgress {
  const stage = plan.stages[progress.stageIndex] as string;
  const limit = plan.maxAttempts[stage];
  if (limit !== undefined && progress.attempt >= limit) {
    return ended(
      progress,
      nowMs,
      'failure',
      StepWaitError.MaxAttemptsExceeded,
      `${stage}: no decision after ${progress.attempt} attempts (maxAttempts ${limit})`,
    );
  }
  const strategy = plan.delays[stage];
  if (strategy === undefined) throw new RangeError(`no delay strategy for stage ${stage}`);
  return keepWaiting(progress, nowMs, nextDelaySeconds(strategy, Math.max(1, progress.attempt), random));
}

function decideStages(
  plan: WaitPlan,
  progress: WaitProgress,
  outcome: PollOutcome,
  nowMs: number,
  random: () => number,
): WaitProgress {
  let current = progress;
  for (;;) {
    const stage = plan.stages[current.stageIndex] as string;
    const decision = plan.model.evaluate(stage, outcome);
    if (decision.state === 'success') {
      const stages = current.stages.map((record, index) =>
        index === current.stageIndex ? { ...record, finishedAt: iso(nowMs) } : record,
      );
      const nextStage = plan.stages[current.stageIndex + 1];
      if (nextStage === undefined) {
        return { ...current, stages, state: 'success', status: 'SUCCEEDED', delaySeconds: 0 };
      }
      // The response that ended this stage may already decide the next one: it costs no extra poll.
      current = {
        ...current,
        stages: [...stages, { waiter: nextStage, attempts: 0, startedAt: iso(nowMs) }],
        stageIndex: current.stageIndex + 1,
        attempt: 0,
      };
      continue;
    }
    if (decision.state === 'failure') {
      if (isErrorOutcome(outcome)) {
        return ended(
          current,
          nowMs,
          'failure',
          StepWaitError.PollFailed,
          `${stage}: the status call failed with ${outcome.error.name}${outcome.error.message ? `: ${outcome.error.message}` : ''}`,
        );
      }
      const failed = current.jobs.filter((job) => job.phase === 'failed').map((job) => job.jobId);
      const cancelled = current.jobs.filter((job) => job.phase === 'cancelled').map((job) => job.jobId);
      const which = [
        ...(failed.length > 0 ? [`job ${failed.join(', ')} failed`] : []),
        ...(cancelled.length > 0 ? [`job ${cancelled.join(', ')} was cancelled`] : []),
      ];
      if (which.length === 0) {
        // No job failed by its own account (e.g. a quality gate on a finished job): say what the jobs showed.
        const shown = current.jobs.map(
          ({ jobId, status, detail }) =>
            `job ${jobId} ${status ?? 'not visible'}${
              detail === undefined
                ? ''
                : ` (${Object.entries(detail)
                    .map(([key, value]) => `${key}: ${value}`)
                    .join(', ')})`
            }`,
        );
        which.push(`an acceptor reported failure${shown.length > 0 ? ` on ${shown.join('; ')}` : ''}`);
      }
      return ended(current, nowMs, 'failure', StepWaitError.JobFailed, `${stage}: ${which.join('; ')}`);
    }
    return retryStage(plan, current, nowMs, random);
  }
}

/**
 * The state after one poll. Throttles and transient errors back off without spending an attempt; anything
 * else is an attempt of the current stage, decided by the waiter model, and past the deadline a retry
 * becomes a timeout (or JobNotFound, for a job that never appeared).
 */
export function advanceProgress(
  plan: WaitPlan,
  previous: WaitProgress,
  observation: PollObservation,
  nowMs: number,
  random: () => number = Math.random,
): WaitProgress {
  const next = decidePoll(
    plan,
    { ...previous, segmentPolls: (previous.segmentPolls ?? 0) + 1 },
    observation,
    nowMs,
    random,
  );
  if (next.state === 'retry' && plan.pollBudget !== undefined && next.segmentPolls >= plan.pollBudget) {
    return { ...next, state: 'continue', continued: true };
  }
  return next;
}

function decidePoll(
  plan: WaitPlan,
  previous: WaitProgress,
  observation: PollObservation,
  nowMs: number,
  random: () => number,
): WaitProgress {
  const progress = withClock(previous, nowMs);
  if (observation.kind === 'submitFailed') return submitFailed(progress, observation, nowMs, random);
  if (observation.kind === 'throttled' || observation.kind === 'transient') {
    const consecutive = progress.consecutiveTransientErrors + 1;
    const counted = {
      ...progress,
      consecutiveTransientErrors: consecutive,
      throttledCalls: progress.throttledCalls + (observation.kind === 'throttled' ? 1 : 0),
      transientErrors: progress.transientErrors + (observation.kind === 'transient' ? 1 : 0),
    };
    const backoff = nextDelaySeconds(TRANSIENT_BACKOFF, consecutive, random);
    const asked = Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(observation.retryAfterSeconds ?? 0));
    return keepWaiting(counted, nowMs, Math.max(backoff, asked));
  }

  const attempt = progress.attempt + 1;
  const attempted: WaitProgress = {
    ...progress,
    attempt,
    consecutiveTransientErrors: 0,
    stages: progress.stages.map((record, index) =>
      index === progress.stageIndex ? { ...record, attempts: attempt } : record,
    ),
  };

  switch (observation.kind) {
    case 'ambiguous':
      return ended(
        attempted,
        nowMs,
        'failure',
        StepWaitError.AmbiguousBusinessKey,
        `${observation.jobIds.length} jobs are named ${observation.jobName}: ${observation.jobIds.join(', ')}; pass newest: true to wait for the newest`,
      );
    case 'notVisible':
      return retryStage(plan, attempted, nowMs, random);
    case 'submit':
      return { ...attempted, state: 'submit', status: 'RUNNING', delaySeconds: 0 };
    case 'described': {
      const { interpretation } = observation;
      if (interpretation.kind === 'vanished') {
        return ended(attempted, nowMs, 'failure', StepWaitError.JobNotFound, interpretation.reason);
      }
      if (interpretation.kind === 'forgotten') {
        return ended(attempted, nowMs, 'failure', StepWaitError.JobForgotten, interpretation.reason);
      }
      if (interpretation.kind === 'unknownStatus') {
        // The summaries (and so the cause) show the status the system reported, not the one before it.
        return ended(
          { ...attempted, jobs: interpretation.jobs },
          nowMs,
          'failure',
          StepWaitError.UnknownStatus,
          interpretation.reason,
        );
      }
      const { outcome } = interpretation;
      const jobs = isErrorOutcome(outcome) ? attempted.jobs : (interpretation.jobs ?? attempted.jobs);
      return decideStages(
        plan,
        { ...attempted, jobs, seenJobIds: interpretation.seenJobIds },
        outcome,
        nowMs,
        random,
      );
    }
  }
}

/**
 * A failed SubmitJob is not an attempt: a refusal ends the wait (StepWait.SubmitFailed, with Batch's
 * message); anything else may have created the job, so the wait backs off and the next poll looks the
 * business key up before any second SubmitJob, up to MAX_SUBMIT_FAILURES times.
 */
function submitFailed(
  progress: WaitProgress,
  observation: Extract<PollObservation, { kind: 'submitFailed' }>,
  nowMs: number,
  random: () => number,
): WaitProgress {
  const what = `SubmitJob failed with ${observation.errorName}: ${observation.message}`;
  if (observation.throttled && !observation.permanent) {
    const throttles = (progress.submitThrottles ?? 0) + 1;
    const counted = { ...progress, submitThrottles: throttles };
    if (throttles >= MAX_SUBMIT_THROTTLES) {
      return ended(
        counted,
        nowMs,
        'failure',
        StepWaitError.SubmitFailed,
        `${what} (throttled ${throttles} times)`,
      );
    }
    return keepWaiting(counted, nowMs, nextDelaySeconds(SUBMIT_LOOKUP_BACKOFF, throttles, random));
  }
  const failures = (progress.submitFailures ?? 0) + 1;
  const counted = { ...progress, submitFailures: failures };
  if (observation.permanent) {
    return ended(counted, nowMs, 'failure', StepWaitError.SubmitFailed, what);
  }
  if (failures >= MAX_SUBMIT_FAILURES) {
    return ended(
      counted,
      nowMs,
      'failure',
      StepWaitError.SubmitFailed,
      `${what} (${failures} failures in a row, each followed by a lookup that found no job)`,
    );
  }
  return keepWaiting(counted, nowMs, nextDelaySeconds(SUBMIT_LOOKUP_BACKOFF, failures, random));
}
