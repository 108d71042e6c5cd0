import type { DelayStrategy } from '../delay';
import {
  interpretAnswers,
  isFinishedPhase,
  type JobNaming,
  type JobPhase,
  type JobSummary,
  type JobSystemModel,
  type JobsInterpretation,
  phaseOf,
  type StatusCallResult,
} from '../job-system';
import { WaiterModel } from '../model';
import type { WaiterModelConfig } from '../types';
import dqopsWaiters from './dqops-waiters.json';

/**
 * DQOps jobs (dqops/dqo: docs/client/operations/jobs.md, JobsController, DqoJobHistoryEntryModel): a job is
 * read with `GET /api/jobs/jobs/{jobId}`, which looks the path segment up as a job business key first and
 * as a numeric id second (JobsController.findJobId), so the same call serves both. DQOps keeps finished jobs
 * only in an in-memory history (dqo.queue.keep-finished-jobs-history-seconds, 3,600 s by default, purged
 * when jobs change), so a job that finished may later answer 404: "finished and forgotten", not "never
 * existed".
 */

/** The job statuses DQOps documents (DqoJobStatus), and their common phase. */
export const DQOPS_PHASES: Readonly<Record<string, JobPhase>> = {
  queued: 'queued',
  running: 'running',
  // Held back by a concurrency limit (DqoJobStatus): not started yet.
  waiting: 'queued',
  finished: 'succeeded',
  failed: 'failed',
  // Cancelling is under way, the job still runs until it stops.
  cancel_requested: 'running',
  cancelled: 'cancelled',
};

/** Rule severities in DQOps' order (RuleSeverityLevel); a run-checks result carries the highest one found. */
export const DQOPS_SEVERITIES = ['valid', 'warning', 'error', 'fatal'] as const;
export type DqopsSeverity = (typeof DQOPS_SEVERITIES)[number];
/** The severities a wait may fail at (DqopsWaitForJobOperator's fail_at_severity; `valid` would fail every run). */
export type DqopsFailAtSeverity = Exclude<DqopsSeverity, 'valid'>;

/**
 * The part of a DQOps job (DqoJobHistoryEntryModel) stepwait reads; structural, every field optional. The
 * envelope is camelCase; run-checks parameters and results are snake_case (RunChecksParameters and
 * RunChecksResult use Jackson's SnakeCaseStrategy). Times are ISO strings (WRITE_DATES_AS_TIMESTAMPS off).
 */
export interface DqopsJob {
  /** `jobId` is a Java long: epoch seconds x 1,000,000 plus a counter, safe as a JSON number. */
  jobId?: { jobId?: number | string; jobBusinessKey?: string; parentJobId?: unknown; createdAt?: unknown };
  jobType?: string;
  status?: string;
  errorMessage?: string;
  statusChangedAt?: number | string;
  parameters?: {
    runChecksParameters?: { run_checks_result?: DqopsRunChecksResult };
    runChecksOnTableParameters?: { run_checks_result?: DqopsRunChecksResult };
  };
}

/** Attached when a run-checks job finishes; `highest_severity` counts fatals, errors, warnings (not execution errors). */
export interface DqopsRunChecksResult {
  highest_severity?: string;
  executed_checks?: number;
  valid_results?: number;
  warnings?: number;
  errors?: number;
  fatals?: number;
  execution_errors?: number;
}

/** What one GetJob round returns: the jobs that answered (404s are left out). */
export interface DqopsGetJobsOutput {
  jobs?: readonly DqopsJob[];
}

/** A job as the DQOps acceptors read it. `severityRank`: 0 valid .. 3 fatal, absent for jobs without checks. */
export interface DqopsDecisionJob {
  jobId: string;
  status?: string;
  jobType?: string;
  highestSeverity?: string;
  severityRank?: number;
}

export interface DqopsDecisionInput {
  jobs: DqopsDecisionJob[];
  requestedJobIds: string[];
  missingJobIds: string[];
}

const dqopsStatuses = { phases: DQOPS_PHASES, title: 'DQOps' };

const idOf = (job: DqopsJob): string | undefined =>
  job.jobId?.jobId === undefined ? undefined : String(job.jobId.jobId);

function runChecksResult(job: DqopsJob): DqopsRunChecksResult | undefined {
  return (
    job.parameters?.runChecksParameters?.run_checks_result ??
    job.parameters?.runChecksOnTableParameters?.run_checks_result
  );
}

function severityRank(severity: string | undefined): number | undefined {
  const rank = (DQOPS_SEVERITIES as readonly (string | undefined)[]).indexOf(severity);
  return rank === -1 ? undefined : rank;
}

function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  return undefined;
}

/** A DQOps job as a wait reports it: the run-checks counts and highest severity beside the status. */
export function summarizeDqopsJob(job: DqopsJob, jobId: string): JobSummary {
  const summary: JobSummary = { jobId };
  if (job.jobId?.jobBusinessKey) summary.jobName = job.jobId.jobBusinessKey;
  if (job.status !== undefined) summary.status = job.status;
  const phase = phaseOf(dqopsStatuses, job.status);
  if (phase !== undefined) summary.phase = phase;
  if (job.errorMessage) summary.statusReason = job.errorMessage;
  const createdAt = timeOf(job.jobId?.createdAt);
  if (createdAt !== undefined) summary.createdAt = createdAt;
  const changedAt = timeOf(job.statusChangedAt);
  if (changedAt !== undefined && isFinishedPhase(phase)) summary.stoppedAt = changedAt;
  const result = runChecksResult(job);
  const detail: Record<string, string | number> = {};
  if (job.jobType) detail.jobType = job.jobType;
  if (result?.highest_severity) detail.highestSeverity = result.highest_severity;
  const counts = {
    executedChecks: 'executed_checks',
    warnings: 'warnings',
    errors: 'errors',
    fatals: 'fatals',
    executionErrors: 'execution_errors',
  } as const;
  for (const [name, key] of Object.entries(counts)) {
    const count = result?.[key];
    if (typeof count === 'number') detail[name] = count;
  }
  if (Object.keys(detail).length > 0) summary.detail = detail;
  return summary;
}

function decisionJob(summary: JobSummary): DqopsDecisionJob {
  const highestSeverity = summary.detail?.highestSeverity;
  const job: DqopsDecisionJob = { jobId: summary.jobId };
  if (summary.status !== undefined) job.status = summary.status;
  if (typeof summary.detail?.jobType === 'string') job.jobType = summary.detail.jobType;
  if (typeof highestSeverity === 'string') {
    job.highestSeverity = highestSeverity;
    const rank = severityRank(highestSeverity);
    if (rank !== undefined) job.severityRank = rank;
  }
  return job;
}

/**
 * Reads one GetJob round. A requested job that did not answer is not visible yet, unless an earlier poll
 * saw it: then DQOps forgot it. One whose outcome the previous poll already saw (finished, failed,
 * cancelled) keeps that outcome; one last seen unfinished ended with an outcome nobody can read now.
 */
export function interpretDqopsJobs(
  requestedJobIds: readonly string[],
  seenJobIds: readonly string[],
  result: StatusCallResult,
  previousJobs: readonly JobSummary[] = [],
): JobsInterpretation {
  const answer = (summary: JobSummary) => ({ jobId: summary.jobId, summary, decision: decisionJob(summary) });
  return interpretAnswers(
    dqopsStatuses,
    requestedJobIds,
    seenJobIds,
    result,
    (output, requested) => {
      const byId = new Map<string, JobSummary>();
      for (const job of (output as DqopsGetJobsOutput).jobs ?? []) {
        const id = idOf(job);
        if (id !== undefined) byId.set(id, summarizeDqopsJob(job, id));
      }
      // A job the previous poll saw finished keeps that outcome after DQOps forgets it.
      for (const id of requested) {
        const before = previousJobs.find((job) => job.jobId === id);
        if (!byId.has(id) && seenJobIds.includes(id) && isFinishedPhase(before?.phase)) {
          byId.set(id, before as JobSummary);
        }
      }
      return requested.flatMap((id) => {
        const summary = byId.get(id);
        return summary === undefined ? [] : [answer(summary)];
      });
    },
    // Seen unfinished and gone: it finished and left DQOps' history before this poll.
    (forgotten) => ({
      kind: 'forgotten',
      jobIds: forgotten,
      reason: `job ${forgotten.join(', ')} was seen unfinished by an earlier poll and DQOps no longer knows it: it finished and left DQOps' in-memory job history before the next poll, so its outcome is unknown (poll more often than the history is kept)`,
    }),
  );
}

const BUILT_IN = dqopsWaiters as WaiterModelConfig;

/**
 * The DQOps waiters, failing JobComplete when a run-checks job's highest severity reaches `failAtSeverity`
 * (the Airflow operator's fail_at_severity, FATAL by default): the threshold is a literal in the acceptor,
 * so the model stays data.
 */
export function dqopsWaiterModel(failAtSeverity: DqopsFailAtSeverity = 'fatal'): WaiterModel {
  const rank = severityRank(failAtSeverity);
  if (rank === undefined || rank === 0) {
    throw new RangeError(
      `failAtSeverity: expected one of warning, error, fatal, got ${JSON.stringify(failAtSeverity)}`,
    );
  }
  const base = new WaiterModel(BUILT_IN);
  const acceptors = base.getWaiter('JobComplete').acceptors.map((acceptor) =>
    acceptor.argument?.includes('severityRank >=')
      ? {
          ...acceptor,
          argument: acceptor.argument.replace(/severityRank >= `\d`/, `severityRank >= \`${rank}\``),
        }
      : acceptor,
  );
  return base.withOverrides({ JobComplete: { acceptors } });
}

/**
 * stepwait's delays for DQOps: Batch's shape (`npm run bench -- --system dqops` measures them beside the
 * others). The longest gap between two polls, 120 s, is a thirtieth of DQOps' default history of finished
 * jobs (3,600 s), so a job is seen finished long before it is forgotten. Each poll is one GET per job; none
 * holds a connection open (the `/wait` long-poll would hold the Lambda, and answers 500 for failed jobs).
 */
export const DQOPS_DEFAULT_DELAYS: Readonly<Record<string, DelayStrategy>> = {
  JobExists: { kind: 'exponential', minDelay: 2, maxDelay: 60 },
  JobRunning: { kind: 'fixed', delay: 30, jitter: 10 },
  JobComplete: { kind: 'exponential', minDelay: 30, maxDelay: 120 },
};

/**
 * DQOps job ids are Java longs (DqoJobIdGeneratorImpl); business keys are free strings the API takes as a
 * URL path segment, so `/` and control characters are refused (the key is URL-encoded in the call).
 */
export const DQOPS_NAMING: JobNaming = {
  idPattern: /^[0-9]{1,19}$/,
  idWhat: 'a DQOps job id (1-19 digits)',
  // `.` and `..` would be normalised out of the URL path, reaching another endpoint of DQOps.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  keyPattern: /^(?!\.{1,2}$)[^/\u0000-\u001f\u007f]{1,256}$/,
  keyWhat: 'a DQOps job business key (1-256 characters, no "/" or control characters, not "." or "..")',
  keyScopedByQueue: false,
};

export const dqopsJobSystem: JobSystemModel = {
  id: 'dqops',
  title: 'DQOps',
  waiterModel: dqopsWaiterModel(),
  stages: ['JobExists', 'JobRunning', 'JobComplete'],
  defaultDelays: DQOPS_DEFAULT_DELAYS,
  operations: ['GetJob'],
  naming: DQOPS_NAMING,
  phases: DQOPS_PHASES,
  interpret: interpretDqopsJobs,
};
