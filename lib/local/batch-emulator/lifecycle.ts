/**
 * How an emulated job behaves (its spec) and the words Batch uses about it. Nothing runs in the
 * background: timeline.ts works the status out from the clock each time someone asks.
 */

import { BATCH_JOB_STATUSES, type BatchJobStatus } from '../../../waiters';

/** Batch's documented job statuses, in the order a job walks them: the same list the waiters decide with. */
export const JOB_STATUSES = BATCH_JOB_STATUSES;
export type JobStatus = BatchJobStatus;

export type JobOutcome = 'SUCCEEDED' | 'FAILED';

/** Seconds a job spends in each status before it moves on; a phase of 0 seconds is never observed. */
export interface PhaseDurations {
  readonly submitted: number;
  readonly pending: number;
  /** Queue time: waiting for compute capacity, usually the longest wait before a job starts. */
  readonly runnable: number;
  readonly starting: number;
  readonly running: number;
}

/** How one job behaves; every field falls back to the emulator's default spec, then to the built-ins. */
export interface JobSpec {
  readonly durations?: Partial<PhaseDurations>;
  readonly outcome?: JobOutcome;
  /** The container's exit code; default 0 when the job succeeds and 1 when it fails. */
  readonly exitCode?: number;
  /** The statusReason once the job has finished; default {@link ESSENTIAL_CONTAINER_EXITED}. */
  readonly statusReason?: string;
  /** Default `<jobDefinitionName>/default/<jobId>`, the awslogs stream Batch creates. */
  readonly logStreamName?: string;
  /**
   * How each attempt ends, the first attempt first, for jobs with a retryStrategy; an attempt beyond the
   * list, or a field an entry leaves out, behaves as the fields above say.
   */
  readonly attempts?: readonly AttemptSpec[];
}

/** How one attempt ends. */
export interface AttemptSpec {
  readonly outcome?: JobOutcome;
  /** Default 0 when the attempt succeeds and 1 when it fails (or the job's exitCode if outcome is not set). */
  readonly exitCode?: number;
  readonly statusReason?: string;
  /** Seconds this attempt spends RUNNING; default durations.running. */
  readonly running?: number;
}

export interface ResolvedJobSpec {
  readonly durations: PhaseDurations;
  readonly outcome: JobOutcome;
  readonly exitCode: number;
  readonly statusReason: string;
  readonly logStreamName?: string;
  readonly attempts: readonly AttemptSpec[];
}

/** How attempt `n` (from 1) of a job ends and how long it runs. */
export interface AttemptPlan {
  readonly outcome: JobOutcome;
  readonly exitCode: number;
  readonly statusReason: string;
  readonly runningSeconds: number;
}

export const DEFAULT_DURATIONS: PhaseDurations = {
  submitted: 1,
  pending: 1,
  runnable: 30,
  starting: 10,
  running: 300,
};

/** What Batch reports when the job's (only, essential) container exits, whether it succeeded or failed. */
export const ESSENTIAL_CONTAINER_EXITED = 'Essential container in task exited';

/**
 * The exit code of a container killed by TerminateJob or a timeout: ECS stops it with SIGTERM, then
 * SIGKILL (128 + 9). An emulator choice; a container that handles SIGTERM would report its own code.
 */
export const KILLED_EXIT_CODE = 137;

/** Batch's statusReason for an attempt that ran past timeout.attemptDurationSeconds; it is not retried. */
export const ATTEMPT_TIMED_OUT = 'Job attempt duration exceeded timeout';

/** Batch's statusReason for a job whose dependency failed (it never runs). */
export const DEPENDENCY_FAILED = 'Dependent Job failed';

/** Batch's statusReason for an array job one of whose children failed. */
export const ARRAY_CHILD_FAILED = 'Array Child Job failed';

/** Merges spec layers, later ones winning field by field; throws RangeError on a spec that cannot be. */
export function resolveJobSpec(...layers: readonly (JobSpec | undefined)[]): ResolvedJobSpec {
  let durations: PhaseDurations = DEFAULT_DURATIONS;
  let merged: JobSpec = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    durations = { ...durations, ...withoutUndefined(layer.durations ?? {}) };
    merged = { ...merged, ...withoutUndefined(layer) };
  }
  const outcome = merged.outcome ?? 'SUCCEEDED';
  const spec: ResolvedJobSpec = {
    durations,
    outcome,
    exitCode: merged.exitCode ?? defaultExitCode(outcome),
    statusReason: merged.statusReason ?? ESSENTIAL_CONTAINER_EXITED,
    ...(merged.logStreamName === undefined ? {} : { logStreamName: merged.logStreamName }),
    attempts: [...(merged.attempts ?? [])],
  };
  validateSpec(spec);
  return spec;
}

/** How attempt `n` (from 1) ends: its entry in `attempts`, else the job's own fields. */
export function attemptPlan(spec: ResolvedJobSpec, n: number): AttemptPlan {
  const entry = spec.attempts[n - 1] ?? {};
  const outcome = entry.outcome ?? spec.outcome;
  return {
    outcome,
    exitCode: entry.exitCode ?? (entry.outcome === undefined ? spec.exitCode : defaultExitCode(outcome)),
    statusReason: entry.statusReason ?? spec.statusReason,
    runningSeconds: entry.running ?? spec.durations.running,
  };
}

function defaultExitCode(outcome: JobOutcome): number {
  return outcome === 'SUCCEEDED' ? 0 : 1;
}

function validateSpec(spec: ResolvedJobSpec): void {
  for (const [phase, seconds] of Object.entries(spec.durations)) {
    checkSeconds(`durations.${phase}`, seconds);
  }
  checkOutcome('outcome', spec.outcome);
  if (!Number.isInteger(spec.exitCode))
    throw new RangeError(`exitCode must be an integer, got ${spec.exitCode}`);
  for (const [index, attempt] of spec.attempts.entries()) {
    if (attempt.outcome !== undefined) checkOutcome(`attempts[${index}].outcome`, attempt.outcome);
    if (attempt.exitCode !== undefined && !Number.isInteger(attempt.exitCode)) {
      throw new RangeError(`attempts[${index}].exitCode must be an integer, got ${attempt.exitCode}`);
    }
    if (attempt.running !== undefined) checkSeconds(`attempts[${index}].running`, attempt.running);
  }
}

function checkSeconds(field: string, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`${field} must be a finite number of seconds >= 0, got ${seconds}`);
  }
}

function checkOutcome(field: string, outcome: string): void {
  if (outcome !== 'SUCCEEDED' && outcome !== 'FAILED') {
    throw new RangeError(`${field} must be SUCCEEDED or FAILED, got ${String(outcome)}`);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A TerminateJob or CancelJob that took effect. */
export interface Interruption {
  readonly kind: 'terminated' | 'cancelled';
  /** When it was asked for, epoch ms. */
  readonly at: number;
  readonly reason: string;
}

/** A status pinned by a test or tool, shown whatever the clock says (it may be one Batch never sends). */
export interface ForcedStatus {
  readonly status: string;
  readonly statusReason?: string;
}

export function isFinished(status: string): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED';
}
