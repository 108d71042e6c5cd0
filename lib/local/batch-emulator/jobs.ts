import { randomUUID } from 'node:crypto';
import type { BatchArns } from './arns';
import {
  type ForcedStatus,
  type Interruption,
  type JobState,
  jobStateAt,
  type ResolvedJobSpec,
} from './lifecycle';
import type { JobDefinition, JobQueue } from './registry';

/** What SubmitJob was asked (the emulated subset), also handed to `jobSpecFor`. */
export interface SubmitJobInput {
  readonly jobName: string;
  /** The job queue's name or ARN, as sent. */
  readonly jobQueue: string;
  /** The job definition's name, `name:revision` or ARN, as sent. */
  readonly jobDefinition: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface JobRecord {
  /** Creation order; ListJobs pages by it. */
  readonly seq: number;
  readonly jobId: string;
  readonly jobArn: string;
  readonly jobName: string;
  /** Always an ARN, as DescribeJobs reports it. */
  readonly jobQueue: string;
  /** The ARN of the revision the job runs, as DescribeJobs reports it. */
  readonly jobDefinition: string;
  /** The definition's name, without revision (ListJobs' JOB_DEFINITION filter matches it). */
  readonly definitionName: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly spec: ResolvedJobSpec;
  readonly logStreamName: string;
  interruption?: Interruption;
  forced?: ForcedStatus;
}

/**
 * Job name rule from the Batch API reference (SubmitJob.jobName): up to 128 letters, numbers, hyphens and
 * underscores, starting with a letter or number.
 */
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Job ids: Batch refuses an id outside `[a-zA-Z_0-9-]{1,128}` ("Provided name <id> is not supported
 * pattern[a-zA-Z_0-9-]{1,128}", its answer to DescribeJobs quoted in boto/boto3#1922), but for the
 * suffixes of an array child (`<id>:<index>`) and of a multi-node parallel job's node (`<id>#<node>`),
 * which the API reference names as job ids (DescribeJobs, ListJobs.arrayJobId and multiNodeJobId).
 */
const JOB_ID = /^[A-Za-z0-9_-]{1,128}(?:[:#]\d{1,5})?$/;

/** Why Batch would refuse a job id, or undefined if it is well formed. */
export function jobIdProblem(jobId: string): string | undefined {
  return JOB_ID.test(jobId)
    ? undefined
    : `Provided name ${jobId} is not supported pattern[a-zA-Z_0-9-]{1,128}`;
}

/** Why a job name would be refused by SubmitJob, or undefined if it is fine. */
export function jobNameProblem(jobName: string): string | undefined {
  if (JOB_NAME.test(jobName)) return undefined;
  return (
    `invalid jobName ${JSON.stringify(jobName)}: it must be 1-128 characters of letters, numbers, ` +
    'hyphens and underscores, starting with a letter or number'
  );
}

/** A job about to be created, its queue and definition already resolved. */
export interface NewJob {
  readonly jobName: string;
  readonly queue: JobQueue;
  readonly definition: JobDefinition;
  readonly parameters: Readonly<Record<string, string>>;
  readonly spec: ResolvedJobSpec;
  readonly createdAt: number;
  /** Default: a fresh UUID, as Batch's job ids are. */
  readonly jobId?: string;
}

/** The emulator's jobs, in creation order. */
export class JobStore {
  private readonly byId = new Map<string, JobRecord>();
  private nextSeq = 1;

  constructor(readonly arns: BatchArns) {}

  add(job: NewJob): JobRecord {
    const jobId = job.jobId ?? randomUUID();
    if (this.byId.has(jobId)) throw new RangeError(`a job with id ${jobId} already exists`);
    const problem = jobIdProblem(jobId);
    if (problem) throw new RangeError(problem);
    const record: JobRecord = {
      seq: this.nextSeq++,
      jobId,
      jobArn: this.arns.job(jobId),
      jobName: job.jobName,
      jobQueue: job.queue.arn,
      jobDefinition: job.definition.arn,
      definitionName: job.definition.name,
      parameters: { ...job.parameters },
      createdAt: job.createdAt,
      spec: job.spec,
      // The awslogs stream Batch creates: `<definition name>/default/<task id>`.
      logStreamName: job.spec.logStreamName ?? `${job.definition.name}/default/${jobId}`,
    };
    this.byId.set(jobId, record);
    return record;
  }

  get(jobId: string): JobRecord | undefined {
    return this.byId.get(jobId);
  }

  remove(jobId: string): boolean {
    return this.byId.delete(jobId);
  }

  all(): JobRecord[] {
    return [...this.byId.values()];
  }
}

/** One attempt, as DescribeJobs lists it once the attempt has ended (AttemptDetail). */
export interface EmulatedAttempt {
  readonly container: { readonly exitCode?: number; readonly logStreamName: string };
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly statusReason?: string;
}

/** A job as DescribeJobs returns it (the JobDetail members the emulator fills in). */
export interface EmulatedJobDetail {
  readonly jobArn: string;
  readonly jobName: string;
  readonly jobId: string;
  readonly jobQueue: string;
  /** A string, not the SDK's enum: a forced status may be one Batch never documented. */
  readonly status: string;
  readonly statusReason?: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly jobDefinition: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly container: { readonly exitCode?: number; readonly logStreamName?: string };
  readonly attempts: readonly EmulatedAttempt[];
  readonly dependsOn: readonly never[];
  readonly tags: Readonly<Record<string, string>>;
  readonly platformCapabilities: readonly string[];
  /** Present, and true, only when CancelJob took effect (Batch API reference, JobSummary.isCancelled). */
  readonly isCancelled?: true;
  /** Present, and true, only when TerminateJob took effect. */
  readonly isTerminated?: true;
}

/** A job as ListJobs returns it (JobSummary). */
export interface EmulatedJobSummary {
  readonly jobArn: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly createdAt: number;
  readonly status: string;
  readonly statusReason?: string;
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly container?: { readonly exitCode: number };
  readonly jobDefinition: string;
  readonly isCancelled?: true;
  readonly isTerminated?: true;
}

export function describeJob(job: JobRecord, now: number): EmulatedJobDetail {
  const state = jobStateAt(job, now);
  const hasRun = state.startedAt !== undefined;
  return {
    jobArn: job.jobArn,
    jobName: job.jobName,
    jobId: job.jobId,
    jobQueue: job.jobQueue,
    status: state.status,
    ...optional('statusReason', state.statusReason),
    createdAt: job.createdAt,
    ...optional('startedAt', state.startedAt),
    ...optional('stoppedAt', state.stoppedAt),
    jobDefinition: job.jobDefinition,
    parameters: { ...job.parameters },
    container: {
      ...optional('exitCode', state.exitCode),
      ...optional('logStreamName', hasRun ? job.logStreamName : undefined),
    },
    attempts: attemptsOf(job, state),
    dependsOn: [],
    tags: {},
    platformCapabilities: ['EC2'],
    ...interruptionFlags(job),
  };
}

/** Batch adds an attempt when it ends, so a running job has none yet and a job that never ran has none. */
function attemptsOf(job: JobRecord, state: JobState): EmulatedAttempt[] {
  if (state.startedAt === undefined || state.stoppedAt === undefined) return [];
  return [
    {
      container: { ...optional('exitCode', state.exitCode), logStreamName: job.logStreamName },
      startedAt: state.startedAt,
      stoppedAt: state.stoppedAt,
      ...optional('statusReason', state.statusReason),
    },
  ];
}

export function summarizeJob(job: JobRecord, state: JobState): EmulatedJobSummary {
  return {
    jobArn: job.jobArn,
    jobId: job.jobId,
    jobName: job.jobName,
    createdAt: job.createdAt,
    status: state.status,
    ...optional('statusReason', state.statusReason),
    ...optional('startedAt', state.startedAt),
    ...optional('stoppedAt', state.stoppedAt),
    ...(state.exitCode === undefined ? {} : { container: { exitCode: state.exitCode } }),
    jobDefinition: job.jobDefinition,
    ...interruptionFlags(job),
  };
}

function interruptionFlags(job: JobRecord): { isCancelled?: true; isTerminated?: true } {
  if (job.interruption?.kind === 'cancelled') return { isCancelled: true };
  if (job.interruption?.kind === 'terminated') return { isTerminated: true };
  return {};
}

/** `{ [key]: value }`, or nothing when the value is absent: Batch leaves unset members out. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
