/**
 * Jobs as DescribeJobs (JobDetail) and ListJobs (JobSummary) report them: only members of the Batch
 * service model's shapes, unset ones left out as Batch leaves them out.
 */

import type { ContainerSettings } from './container';
import type { JobDependency, JobRecord } from './jobs';
import type { JobStatus } from './lifecycle';
import type { JobTimeout, RetryStrategy } from './retry-strategy';
import type { Scheduler } from './schedule';

/** One attempt, as DescribeJobs lists it once the attempt has ended (AttemptDetail). */
export interface EmulatedAttempt {
  readonly container: { readonly exitCode?: number; readonly logStreamName: string };
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly statusReason?: string;
}

/** ContainerDetail: the job's container settings, and once it ran its exit code and log stream. */
export interface EmulatedContainer extends ContainerSettings {
  readonly exitCode?: number;
  readonly logStreamName?: string;
}

/** ArrayPropertiesDetail: a parent's size and children per status, or a child's index. */
export interface EmulatedArrayProperties {
  readonly statusSummary?: Readonly<Record<JobStatus, number>>;
  readonly size?: number;
  readonly index?: number;
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
  readonly retryStrategy?: RetryStrategy;
  readonly startedAt?: number;
  readonly stoppedAt?: number;
  readonly dependsOn: readonly JobDependency[];
  readonly jobDefinition: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly container: EmulatedContainer;
  readonly arrayProperties?: EmulatedArrayProperties;
  readonly timeout?: JobTimeout;
  readonly tags: Readonly<Record<string, string>>;
  readonly propagateTags?: boolean;
  readonly platformCapabilities: readonly string[];
  readonly attempts: readonly EmulatedAttempt[];
  /** Present, and true, only when CancelJob (or TerminateJob before STARTING) took effect. */
  readonly isCancelled?: true;
  /** Present, and true, only when TerminateJob took effect on a STARTING or RUNNING job. */
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
  /** ArrayPropertiesSummary: a parent's size or a child's index. */
  readonly arrayProperties?: { readonly size?: number; readonly index?: number };
  readonly jobDefinition: string;
  readonly isCancelled?: true;
  readonly isTerminated?: true;
}

export function describeJob(job: JobRecord, scheduler: Scheduler, now: number): EmulatedJobDetail {
  const state = scheduler.displayedState(job, now);
  const { settings } = job;
  return {
    jobArn: job.jobArn,
    jobName: job.jobName,
    jobId: job.jobId,
    jobQueue: job.jobQueue,
    status: state.status,
    ...optional('statusReason', state.statusReason),
    createdAt: job.createdAt,
    ...optional('retryStrategy', settings.retryStrategy),
    ...optional('startedAt', state.startedAt),
    ...optional('stoppedAt', state.stoppedAt),
    dependsOn: settings.dependsOn.map((dependency) => ({ ...dependency })),
    jobDefinition: job.jobDefinition,
    parameters: { ...job.parameters },
    container: {
      ...settings.container,
      ...optional('exitCode', state.exitCode),
      ...optional('logStreamName', state.logStreamName),
    },
    ...optional('arrayProperties', arrayDetail(job, scheduler, now)),
    ...optional('timeout', settings.timeout),
    tags: { ...settings.tags },
    ...optional('propagateTags', settings.propagateTags),
    platformCapabilities: ['EC2'],
    attempts: scheduler.attempts(job, now).map((attempt) => ({
      container: { exitCode: attempt.exitCode, logStreamName: attempt.logStreamName },
      startedAt: attempt.startedAt,
      stoppedAt: attempt.stoppedAt,
      statusReason: attempt.statusReason,
    })),
    ...interruptionFlags(job, scheduler, now),
  };
}

export function summarizeJob(job: JobRecord, scheduler: Scheduler, now: number): EmulatedJobSummary {
  const state = scheduler.displayedState(job, now);
  const array = job.array;
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
    ...(array === undefined
      ? {}
      : { arrayProperties: array.kind === 'parent' ? { size: array.size } : { index: array.index } }),
    jobDefinition: job.jobDefinition,
    ...interruptionFlags(job, scheduler, now),
  };
}

function arrayDetail(job: JobRecord, scheduler: Scheduler, now: number): EmulatedArrayProperties | undefined {
  const array = job.array;
  if (array === undefined) return undefined;
  if (array.kind === 'child') return { index: array.index };
  return { statusSummary: scheduler.statusSummary(job, now), size: array.size };
}

/** isCancelled and isTerminated appear once the CancelJob or TerminateJob has ended the job. */
function interruptionFlags(
  job: JobRecord,
  scheduler: Scheduler,
  now: number,
): { isCancelled?: true; isTerminated?: true } {
  const kind = scheduler.ending(job, now)?.interruption;
  if (kind === 'cancelled') return { isCancelled: true };
  if (kind === 'terminated') return { isTerminated: true };
  return {};
}

/** `{ [key]: value }`, or nothing when the value is absent: Batch leaves unset members out. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
