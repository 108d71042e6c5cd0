import type { DelayStrategy } from '../delay';
import {
  interpretAnswers,
  type JobNaming,
  type JobPhase,
  type JobSummary,
  type JobSystemModel,
  type JobsInterpretation,
  phaseOf,
  type StatusCallResult,
  vanishedFrom,
} from '../job-system';
import { WaiterModel } from '../model';
import type { WaiterModelConfig } from '../types';
import airbyteWaiters from './airbyte-waiters.json';

/**
 * Airbyte jobs, through its public API (reference.airbyte.com): `GET /v1/jobs/{jobId}` returns `{ jobId,
 * status, jobType, connectionId, startTime, lastUpdatedAt, duration, bytesSynced, rowsSynced }`. Statuses
 * as Airflow's AirbyteJobSensor maps them: pending and running (and incomplete: an attempt failed and
 * Airbyte will retry) keep waiting, succeeded succeeds, failed and cancelled fail, anything else fails
 * closed.
 */

/** The job statuses Airbyte documents (JobStatusEnum), and their common phase. */
export const AIRBYTE_PHASES: Readonly<Record<string, JobPhase>> = {
  pending: 'queued',
  running: 'running',
  // An attempt failed and Airbyte retries it: still under way.
  incomplete: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The part of an Airbyte JobResponse stepwait reads; structural, every field optional. */
export interface AirbyteJob {
  jobId?: number | string;
  status?: string;
  jobType?: string;
  connectionId?: string;
  /** ISO times. */
  startTime?: string;
  lastUpdatedAt?: string;
  /** ISO 8601 duration, e.g. `PT8M50S`. */
  duration?: string;
  bytesSynced?: number;
  rowsSynced?: number;
}

/** What one GetJob round returns: the jobs that answered (404s are left out). */
export interface AirbyteGetJobsOutput {
  jobs?: readonly AirbyteJob[];
}

const airbyteStatuses = { phases: AIRBYTE_PHASES, title: 'Airbyte' };

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** An Airbyte job as a wait reports it: sync figures in `detail`. */
export function summarizeAirbyteJob(job: AirbyteJob): JobSummary {
  const summary: JobSummary = { jobId: String(job.jobId) };
  if (job.status !== undefined) summary.status = job.status;
  const phase = phaseOf(airbyteStatuses, job.status);
  if (phase !== undefined) summary.phase = phase;
  const started = job.startTime === undefined ? Number.NaN : Date.parse(job.startTime);
  if (!Number.isNaN(started)) {
    summary.createdAt = started;
    summary.startedAt = started;
  }
  const updated = job.lastUpdatedAt === undefined ? Number.NaN : Date.parse(job.lastUpdatedAt);
  if (!Number.isNaN(updated) && FINISHED.has(String(job.status))) summary.stoppedAt = updated;
  const detail: Record<string, string | number> = {};
  if (job.jobType) detail.jobType = job.jobType;
  if (job.connectionId) detail.connectionId = job.connectionId;
  if (typeof job.rowsSynced === 'number') detail.rowsSynced = job.rowsSynced;
  if (typeof job.bytesSynced === 'number') detail.bytesSynced = job.bytesSynced;
  if (job.duration) detail.duration = job.duration;
  if (Object.keys(detail).length > 0) summary.detail = detail;
  return summary;
}

/**
 * Reads one GetJob round. A requested job that did not answer is not visible yet, unless an earlier poll
 * saw it: Airbyte keeps its jobs, so that job has vanished (StepWait.JobNotFound).
 */
export function interpretAirbyteJobs(
  requestedJobIds: readonly string[],
  seenJobIds: readonly string[],
  result: StatusCallResult,
): JobsInterpretation {
  return interpretAnswers(
    airbyteStatuses,
    requestedJobIds,
    seenJobIds,
    result,
    (output) =>
      ((output as AirbyteGetJobsOutput).jobs ?? []).flatMap((job) =>
        job.jobId === undefined
          ? []
          : [
              {
                jobId: String(job.jobId),
                summary: summarizeAirbyteJob(job),
                decision: { jobId: String(job.jobId), status: job.status },
              },
            ],
      ),
    vanishedFrom('Airbyte'),
  );
}

export const airbyteWaiterModel: WaiterModel = new WaiterModel(airbyteWaiters as WaiterModelConfig);

/**
 * stepwait's delays for Airbyte: Batch's shape. Airflow's sensor pokes every 5 s (60 s deferred); syncs
 * run minutes to hours, so backing off to 2 minutes costs a quarter of a 30 s loop and notices a sync's
 * end within about a minute on average.
 */
export const AIRBYTE_DEFAULT_DELAYS: Readonly<Record<string, DelayStrategy>> = {
  JobExists: { kind: 'exponential', minDelay: 2, maxDelay: 60 },
  JobRunning: { kind: 'fixed', delay: 30, jitter: 10 },
  JobComplete: { kind: 'exponential', minDelay: 30, maxDelay: 120 },
};

/**
 * Airbyte job ids are integers; a wait's business key is a connection id (a UUID): the connection's sync,
 * started by this wait (`triggerSync`) or found among its jobs.
 */
export const AIRBYTE_NAMING: JobNaming = {
  idPattern: /^[0-9]{1,19}$/,
  idWhat: 'an Airbyte job id (1-19 digits)',
  keyPattern: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  keyWhat: 'an Airbyte connection id (a UUID)',
  keyScopedByQueue: false,
};

export const airbyteJobSystem: JobSystemModel = {
  id: 'airbyte',
  title: 'Airbyte',
  waiterModel: airbyteWaiterModel,
  stages: ['JobExists', 'JobRunning', 'JobComplete'],
  defaultDelays: AIRBYTE_DEFAULT_DELAYS,
  operations: ['GetJob'],
  naming: AIRBYTE_NAMING,
  phases: AIRBYTE_PHASES,
  interpret: interpretAirbyteJobs,
};
