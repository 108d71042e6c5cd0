/**
 * How an emulated job moves through Batch's statuses. Nothing runs in the background: the status is worked
 * out from the clock each time someone asks, so advancing a VirtualClock is all it takes to move jobs.
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
}

export interface ResolvedJobSpec {
  readonly durations: PhaseDurations;
  readonly outcome: JobOutcome;
  readonly exitCode: number;
  readonly statusReason: string;
  readonly logStreamName?: string;
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
 * The exit code of a container killed by TerminateJob: ECS stops it with SIGTERM, then SIGKILL (128 + 9).
 * An emulator choice; a container that handles SIGTERM would report its own code.
 */
export const KILLED_EXIT_CODE = 137;

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
    exitCode: merged.exitCode ?? (outcome === 'SUCCEEDED' ? 0 : 1),
    statusReason: merged.statusReason ?? ESSENTIAL_CONTAINER_EXITED,
    ...(merged.logStreamName === undefined ? {} : { logStreamName: merged.logStreamName }),
  };
  validateSpec(spec);
  return spec;
}

function validateSpec(spec: ResolvedJobSpec): void {
  for (const [phase, seconds] of Object.entries(spec.durations)) {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`durations.${phase} must be a finite number of seconds >= 0, got ${seconds}`);
    }
  }
  if (spec.outcome !== 'SUCCEEDED' && spec.outcome !== 'FAILED') {
    throw new RangeError(`outcome must be SUCCEEDED or FAILED, got ${String(spec.outcome)}`);
  }
  if (!Number.isInteger(spec.exitCode))
    throw new RangeError(`exitCode must be an integer, got ${spec.exitCode}`);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A TerminateJob or CancelJob that took effect. */
export interface Interruption {
  readonly kind: 'terminated' | 'cancelled';
  readonly at: number;
  readonly reason: string;
}

/** A status pinned by a test or tool, shown whatever the clock says (it may be one Batch never sends). */
export interface ForcedStatus {
  readonly status: string;
  readonly statusReason?: string;
}

/** What DescribeJobs reports about a job at one instant; times are epoch ms like Batch's. */
export interface JobState {
  readonly status: string;
  readonly statusReason?: string;
  /** When the job went from STARTING to RUNNING (Batch API reference, JobDetail.startedAt). */
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly exitCode?: number;
}

export interface JobTimes {
  readonly createdAt: number;
  readonly spec: ResolvedJobSpec;
  readonly interruption?: Interruption;
  readonly forced?: ForcedStatus;
}

const PHASES: readonly (readonly [JobStatus, keyof PhaseDurations])[] = [
  ['SUBMITTED', 'submitted'],
  ['PENDING', 'pending'],
  ['RUNNABLE', 'runnable'],
  ['STARTING', 'starting'],
  ['RUNNING', 'running'],
];

/** The state the job's spec alone gives at `now`, ignoring TerminateJob, CancelJob and forced statuses. */
export function scheduledStateAt(spec: ResolvedJobSpec, createdAt: number, now: number): JobState {
  let phaseEnd = createdAt;
  let startedAt = createdAt;
  for (const [status, key] of PHASES) {
    const phaseStart = phaseEnd;
    phaseEnd += Math.round(spec.durations[key] * 1000);
    if (status === 'RUNNING') startedAt = phaseStart;
    if (now < phaseEnd) return status === 'RUNNING' ? { status, startedAt } : { status };
  }
  return {
    status: spec.outcome,
    statusReason: spec.statusReason,
    startedAt,
    stoppedAt: phaseEnd,
    exitCode: spec.exitCode,
  };
}

/** The state DescribeJobs reports at `now`: a forced status, if any, shown over the real one. */
export function jobStateAt(job: JobTimes, now: number): JobState {
  const state = underlyingStateAt(job, now);
  if (!job.forced) return state;
  return { ...state, status: job.forced.status, statusReason: job.forced.statusReason ?? state.statusReason };
}

/** Where the job really is (schedule, TerminateJob, CancelJob), whatever status is forced on display. */
export function underlyingStateAt(job: JobTimes, now: number): JobState {
  return job.interruption
    ? interruptedState(job, job.interruption)
    : scheduledStateAt(job.spec, job.createdAt, now);
}

/** A terminated or cancelled job failed at that moment; one that was running has its container killed. */
function interruptedState(job: JobTimes, interruption: Interruption): JobState {
  const before = scheduledStateAt(job.spec, job.createdAt, interruption.at);
  return {
    status: 'FAILED',
    statusReason: interruption.reason,
    stoppedAt: interruption.at,
    ...(before.startedAt === undefined ? {} : { startedAt: before.startedAt, exitCode: KILLED_EXIT_CODE }),
  };
}

export function isFinished(status: string): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED';
}
