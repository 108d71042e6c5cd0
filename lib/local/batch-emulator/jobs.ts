import { randomUUID } from 'node:crypto';
import type { BatchArns } from './arns';
import type { ContainerSettings } from './container';
import type { ForcedStatus, Interruption, ResolvedJobSpec } from './lifecycle';
import type { JobDefinition, JobQueue } from './registry';
import type { JobTimeout, RetryStrategy } from './retry-strategy';

/** What SubmitJob was asked (the emulated subset), also handed to `jobSpecFor`. */
export interface SubmitJobInput {
  readonly jobName: string;
  /** The job queue's name or ARN, as sent. */
  readonly jobQueue: string;
  /** The job definition's name, `name:revision` or ARN, as sent. */
  readonly jobDefinition: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

/** SubmitJob.dependsOn (the model's JobDependency): a job id, and for array jobs N_TO_N or SEQUENTIAL. */
export interface JobDependency {
  readonly jobId?: string;
  readonly type?: 'N_TO_N' | 'SEQUENTIAL';
}

/** What a job runs with, fixed at SubmitJob: the definition's settings with the request's over them. */
export interface JobSettings {
  readonly container: ContainerSettings;
  readonly retryStrategy?: RetryStrategy;
  readonly timeout?: JobTimeout;
  readonly tags: Readonly<Record<string, string>>;
  readonly propagateTags?: boolean;
  /** As submitted; DescribeJobs reports it. */
  readonly dependsOn: readonly JobDependency[];
}

/** An array job's parent (`size` children) or one of its children. */
export type ArrayRole =
  | { readonly kind: 'parent'; readonly size: number }
  | { readonly kind: 'child'; readonly parentId: string; readonly index: number };

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
  readonly settings: JobSettings;
  /** The jobs whose end this job waits for: its dependsOn, and for an array child its N_TO_N and SEQUENTIAL turns. */
  readonly waitsFor: readonly string[];
  readonly array?: ArrayRole;
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
  readonly settings: JobSettings;
  readonly createdAt: number;
  /** Default: a fresh UUID, as Batch's job ids are; an array child's is `<parent id>:<index>`. */
  readonly jobId?: string;
  readonly waitsFor?: readonly string[];
  readonly array?: ArrayRole;
}

/** The emulator's jobs, array children included, in creation order. */
export class JobStore {
  private readonly byId = new Map<string, JobRecord>();
  private nextSeq = 1;

  constructor(readonly arns: BatchArns) {}

  /** Jobs added so far (removed ones included): it changes whenever a job is added. */
  get added(): number {
    return this.nextSeq;
  }

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
      settings: job.settings,
      waitsFor: job.waitsFor ?? [],
      ...(job.array === undefined ? {} : { array: job.array }),
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

  /** Every job, array children included, in creation order. */
  all(): JobRecord[] {
    return [...this.byId.values()];
  }

  /** An array job's children in index order; none for any other job. */
  children(parent: JobRecord): JobRecord[] {
    if (parent.array?.kind !== 'parent') return [];
    return Array.from({ length: parent.array.size }, (_, index) =>
      this.byId.get(`${parent.jobId}:${index}`),
    ).filter((child) => child !== undefined);
  }
}

/** Whether a job is an array child (ListJobs by queue leaves children out; arrayJobId lists them). */
export function isArrayChild(job: JobRecord): boolean {
  return job.array?.kind === 'child';
}
