import type { BatchJobDetail } from './describe-jobs';

/** What a wait reports of each job: enough to act on a failure without opening the Batch console. */
export interface JobSummary {
  jobId: string;
  jobName?: string;
  status?: string;
  statusReason?: string;
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  exitCode?: number;
  logStreamName?: string;
  /** How many times Batch ran the job (its retry strategy may run it more than once). */
  attempts: number;
}

/** Summarises one DescribeJobs JobDetail; the newest attempt supplies exit code and log stream if the container has none. */
export function summarizeJob(job: BatchJobDetail): JobSummary {
  const attempts = job.attempts ?? [];
  const lastAttempt = attempts[attempts.length - 1];
  const exitCode = job.container?.exitCode ?? lastAttempt?.container?.exitCode;
  const logStreamName = job.container?.logStreamName ?? lastAttempt?.container?.logStreamName;
  const summary: JobSummary = { jobId: job.jobId ?? '', attempts: attempts.length };
  if (job.jobName !== undefined) summary.jobName = job.jobName;
  if (job.status !== undefined) summary.status = job.status;
  if (job.statusReason !== undefined) summary.statusReason = job.statusReason;
  if (job.createdAt !== undefined) summary.createdAt = job.createdAt;
  if (job.startedAt !== undefined) summary.startedAt = job.startedAt;
  if (job.stoppedAt !== undefined) summary.stoppedAt = job.stoppedAt;
  if (exitCode !== undefined) summary.exitCode = exitCode;
  if (logStreamName !== undefined) summary.logStreamName = logStreamName;
  return summary;
}
