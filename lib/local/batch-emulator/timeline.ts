/**
 * One job's course through Batch's statuses, worked out from what fixed it (its spec, retryStrategy,
 * timeout, the jobs it waits for, a TerminateJob or CancelJob) and read at any instant. Nothing runs in the
 * background: advancing a VirtualClock is all it takes to move jobs.
 */

import {
  ARRAY_CHILD_FAILED,
  ATTEMPT_TIMED_OUT,
  attemptPlan,
  DEPENDENCY_FAILED,
  type Interruption,
  type JobOutcome,
  KILLED_EXIT_CODE,
  type ResolvedJobSpec,
} from './lifecycle';
import { type RetryStrategy, retries } from './retry-strategy';

/** What fixes a job's course at SubmitJob. */
export interface RunPlan {
  readonly createdAt: number;
  readonly spec: ResolvedJobSpec;
  readonly retryStrategy?: RetryStrategy;
  /** timeout.attemptDurationSeconds, counted from each attempt's startedAt. */
  readonly timeoutSeconds?: number;
  /** The first attempt's awslogs stream; attempt n > 1 gets `<stream>-<n>` (each attempt is a new task). */
  readonly logStreamName: string;
  /** Whether the job waits for other jobs (dependsOn, or an array child's turn). */
  readonly waits: boolean;
}

/**
 * When the jobs a job waits for let it go on: all of them succeeded by `at`, or one failed at `at`. A job
 * waiting for one that never ends has no gate (undefined): it stays PENDING.
 */
export interface Gate {
  readonly at: number;
  readonly failed: boolean;
}

/** The gate of a job that waits for nothing. */
export const OPEN_GATE: Gate = { at: Number.NEGATIVE_INFINITY, failed: false };

/** One attempt: RUNNABLE from `runnableAt`, STARTING from `startingAt`, RUNNING from `startedAt`. */
export interface AttemptRun {
  readonly runnableAt: number;
  readonly startingAt: number;
  readonly startedAt: number;
  /** Before `startedAt` for an attempt cut short before it ran. */
  readonly stoppedAt: number;
  readonly outcome: JobOutcome;
  readonly exitCode: number;
  readonly statusReason: string;
  readonly logStreamName: string;
}

export interface Ending {
  readonly at: number;
  readonly status: JobOutcome;
  readonly statusReason?: string;
  /** Set when TerminateJob or CancelJob ended the job (DescribeJobs' isTerminated, isCancelled). */
  readonly interruption?: Interruption['kind'];
}

export interface Timeline {
  /** SUBMITTED until then. */
  readonly pendingAt: number;
  /** PENDING until then; infinite while the job waits for a job that does not end. */
  readonly runnableAt: number;
  readonly attempts: readonly AttemptRun[];
  /** Undefined for a job that never ends. */
  readonly end?: Ending;
}

/** What DescribeJobs reports about a job at one instant; times are epoch ms like Batch's. */
export interface JobState {
  readonly status: string;
  readonly statusReason?: string;
  /** When the (last) attempt went from STARTING to RUNNING (Batch API reference, JobDetail.startedAt). */
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly exitCode?: number;
  /** The running or last container's log stream. */
  readonly logStreamName?: string;
}

const toMs = (seconds: number) => Math.round(seconds * 1000);

/** An attempt whose container ran (it reached RUNNING before it stopped). */
export function ran(attempt: AttemptRun): boolean {
  return attempt.startedAt <= attempt.stoppedAt;
}

/** A single job's (or an array child's) course; `gate` is when the jobs it waits for let it go on. */
export function planTimeline(plan: RunPlan, gate: Gate | undefined, interruption?: Interruption): Timeline {
  const planned = plannedTimeline(plan, gate);
  return interruption ? interrupted(planned, plan.waits, gate, interruption) : planned;
}

/**
 * Attempts follow each other until one succeeds, one times out ("If a job is terminated for exceeding the
 * timeout duration, it isn't retried", Batch User Guide, Job timeouts), evaluateOnExit says EXIT, or the
 * retryStrategy's attempts are used up; a failed attempt sends the job back to RUNNABLE.
 */
function plannedTimeline(plan: RunPlan, gate: Gate | undefined): Timeline {
  const durations = plan.spec.durations;
  const pendingAt = plan.createdAt + toMs(durations.submitted);
  if (gate === undefined) return { pendingAt, runnableAt: Number.POSITIVE_INFINITY, attempts: [] };
  if (gate.failed) {
    const at = Math.max(pendingAt, gate.at);
    return {
      pendingAt,
      runnableAt: Number.POSITIVE_INFINITY,
      attempts: [],
      end: { at, status: 'FAILED', statusReason: DEPENDENCY_FAILED },
    };
  }
  const runnableAt = Math.max(pendingAt + toMs(durations.pending), gate.at);
  const maxAttempts = plan.retryStrategy?.attempts ?? 1;
  const attempts: AttemptRun[] = [];
  let next = runnableAt;
  for (let n = 1; n <= maxAttempts; n += 1) {
    const course = attemptPlan(plan.spec, n);
    const startingAt = next + toMs(durations.runnable);
    const startedAt = startingAt + toMs(durations.starting);
    const timedOut = plan.timeoutSeconds !== undefined && course.runningSeconds > plan.timeoutSeconds;
    const attempt: AttemptRun = {
      runnableAt: next,
      startingAt,
      startedAt,
      logStreamName: n === 1 ? plan.logStreamName : `${plan.logStreamName}-${n}`,
      ...(timedOut
        ? {
            stoppedAt: startedAt + toMs(plan.timeoutSeconds as number),
            outcome: 'FAILED',
            exitCode: KILLED_EXIT_CODE,
            statusReason: ATTEMPT_TIMED_OUT,
          }
        : {
            stoppedAt: startedAt + toMs(course.runningSeconds),
            outcome: course.outcome,
            exitCode: course.exitCode,
            statusReason: course.statusReason,
          }),
    };
    attempts.push(attempt);
    const last =
      attempt.outcome === 'SUCCEEDED' ||
      timedOut ||
      n === maxAttempts ||
      !retries(plan.retryStrategy, attempt);
    if (last) {
      return {
        pendingAt,
        runnableAt,
        attempts,
        end: { at: attempt.stoppedAt, status: attempt.outcome, statusReason: attempt.statusReason },
      };
    }
    next = attempt.stoppedAt;
  }
  throw new Error('unreachable: the last attempt always ends the job');
}

/**
 * A TerminateJob or CancelJob that took effect: the job FAILED then with the reason, a running container
 * killed. "A PENDING job is cancelled after all dependency jobs are completed" (Batch API reference,
 * CancelJob), so a job that waits is cancelled when its wait ends, or never.
 */
function interrupted(
  planned: Timeline,
  waits: boolean,
  gate: Gate | undefined,
  interruption: Interruption,
): Timeline {
  let at = interruption.at;
  const status = stateAt(planned, at).status;
  if (waits && (status === 'SUBMITTED' || status === 'PENDING')) {
    if (gate === undefined) return planned;
    at = Math.max(at, gate.at);
  }
  if (planned.end !== undefined && planned.end.at < at) return planned;
  const attempts: AttemptRun[] = [];
  for (const attempt of planned.attempts) {
    if (attempt.stoppedAt <= at) {
      attempts.push(attempt);
      continue;
    }
    // The attempt under way: cut at `at`, its container (if it was running) killed.
    const killed = attempt.startedAt <= at;
    attempts.push({
      ...attempt,
      stoppedAt: at,
      outcome: 'FAILED',
      ...(killed ? { exitCode: KILLED_EXIT_CODE, statusReason: interruption.reason } : {}),
    });
    break;
  }
  return {
    pendingAt: planned.pendingAt,
    runnableAt: planned.runnableAt,
    attempts,
    end: { at, status: 'FAILED', statusReason: interruption.reason, interruption: interruption.kind },
  };
}

/**
 * An array job's parent: SUBMITTED, then PENDING while its children run ("Array job parents ... remain in
 * PENDING status while child jobs are running", ListJobs.jobStatus), then SUCCEEDED if every child
 * succeeded, else FAILED, once the last child has finished.
 */
export function arrayParentTimeline(
  createdAt: number,
  spec: ResolvedJobSpec,
  childEnds: readonly (Ending | undefined)[],
  interruption?: Interruption,
): Timeline {
  const pendingAt = createdAt + toMs(spec.durations.submitted);
  const base = { pendingAt, runnableAt: Number.POSITIVE_INFINITY, attempts: [] };
  if (childEnds.some((end) => end === undefined)) return base;
  const ends = childEnds as readonly Ending[];
  const at = Math.max(pendingAt, ...ends.map((end) => end.at));
  const failed = ends.some((end) => end.status === 'FAILED');
  const statusReason = interruption?.reason ?? (failed ? ARRAY_CHILD_FAILED : undefined);
  return {
    ...base,
    end: {
      at,
      status: failed ? 'FAILED' : 'SUCCEEDED',
      ...(statusReason === undefined ? {} : { statusReason }),
      ...(interruption === undefined ? {} : { interruption: interruption.kind }),
    },
  };
}

/** The status and times a timeline gives at `now`. */
export function stateAt(timeline: Timeline, now: number): JobState {
  const { end } = timeline;
  if (end !== undefined && now >= end.at) {
    const last = timeline.attempts.filter(ran).at(-1);
    return {
      status: end.status,
      ...(end.statusReason === undefined ? {} : { statusReason: end.statusReason }),
      stoppedAt: end.at,
      ...(last === undefined
        ? {}
        : { startedAt: last.startedAt, exitCode: last.exitCode, logStreamName: last.logStreamName }),
    };
  }
  if (now < timeline.pendingAt) return { status: 'SUBMITTED' };
  if (now < timeline.runnableAt) return { status: 'PENDING' };
  const attempt = timeline.attempts.find((candidate) => now < candidate.stoppedAt);
  if (attempt === undefined || now < attempt.startingAt) return { status: 'RUNNABLE' };
  if (now < attempt.startedAt) return { status: 'STARTING' };
  return { status: 'RUNNING', startedAt: attempt.startedAt, logStreamName: attempt.logStreamName };
}

/** The attempts that ran and ended by `now`: Batch lists an attempt once it is over (AttemptDetail). */
export function endedAttempts(timeline: Timeline, now: number): AttemptRun[] {
  return timeline.attempts.filter((attempt) => ran(attempt) && attempt.stoppedAt <= now);
}

/** Every instant at which a timeline's status may change, in no particular order. */
export function changeTimes(timeline: Timeline): number[] {
  return [
    timeline.pendingAt,
    timeline.runnableAt,
    ...timeline.attempts.flatMap((attempt) => [
      attempt.runnableAt,
      attempt.startingAt,
      attempt.startedAt,
      attempt.stoppedAt,
    ]),
    ...(timeline.end === undefined ? [] : [timeline.end.at]),
  ].filter((at) => Number.isFinite(at));
}
