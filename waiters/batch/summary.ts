import type { JobPhase, JobSummary } from '../job-system';
import type { BatchJobDetail } from './describe-jobs';

/** A Batch job as a wait reports it: the common summary, with Batch's attempts always counted. */
export interface BatchJobSummary extends JobSummary {
  /** How many times Batch ran the job (its retry strategy may run it more than once). */
  attempts: number;
}

/**
 * Summarises one DescribeJobs JobDetail; the newest attempt supplies exit code and log stream if the
 * container has none. `phase` is given by the caller (the status mapping, batch/system.ts).
 */
export function summarizeJob(job: BatchJobDetail, phase?: JobPhase): BatchJobSummary {
  const attempts = job.attempts ?? [];
  const lastAttempt = attempts[attempts.length - 1];
  const exitCode = job.container?.exitCode ?? lastAttempt?.container?.exitCode;
  const logStreamName = job.container?.logStreamName ?? lastAttempt?.container?.logStreamName;
  const summary: BatchJobSummary = { jobId: job.jobId ?? '', attempts: attempts.length };
  if (job.jobName !== undefined) summary.jobName = job.jobName;
  if (job.status !== undefined) summary.status = job.status;
  if (phase !== undefined) summary.phase = phase;
  if (job.statusReason !== undefined) summary.statusReason = job.statusReason;
  if (job.createdAt !== undefined) summary.createdAt = job.createdAt;
  if (job.startedAt !== undefined) summary.startedAt = job.startedAt;
  if (job.stoppedAt !== undefined) summary.stoppedAt = job.stoppedAt;
  if (exitCode !== undefined) summary.exitCode = exitCode;
  if (logStreamName !== undefined) summary.logStreamName = logStreamName;
  // A log group other than Batch's default (/aws/batch/job), so a link to the stream finds it.
  const logging = job.container?.logConfiguration;
  const logGroup = logging?.logDriver === 'awslogs' ? logging.options?.['awslogs-group'] : undefined;
  if (logGroup !== undefined) summary.detail = { logGroup };
  return summary;
}
