import {
  interpretAnswers,
  type JobPhase,
  type JobsInterpretation,
  phaseOf,
  type StatusCallResult,
  vanishedFrom,
} from '../job-system';
import { summarizeJob } from './summary';

/** The job statuses AWS Batch documents (JobDetail.status), in lifecycle order. */
export const BATCH_JOB_STATUSES = [
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
] as const;

export type BatchJobStatus = (typeof BATCH_JOB_STATUSES)[number];

/**
 * The part of a DescribeJobs `JobDetail` stepwait reads. Structural, so waiters/ needs no AWS SDK; the
 * SDK's own type is assignable to it.
 */
export interface BatchJobDetail {
  jobId?: string;
  jobName?: string;
  jobArn?: string;
  status?: string;
  statusReason?: string;
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  container?: {
    exitCode?: number;
    logStreamName?: string;
    reason?: string;
    /** Where the container logs: `awslogs` with an `awslogs-group` option, or Batch's default group. */
    logConfiguration?: { logDriver?: string; options?: Readonly<Record<string, string>> };
  };
  attempts?: readonly {
    container?: { exitCode?: number; logStreamName?: string; reason?: string };
    startedAt?: number;
    stoppedAt?: number;
    statusReason?: string;
  }[];
}

/** One DescribeJobs call as the poller saw it: its output, or the error it raised. */
export type DescribeJobsResult =
  | { output: { jobs?: readonly BatchJobDetail[] }; httpStatusCode?: number }
  | { error: { name: string; message?: string }; httpStatusCode?: number };

/** What the Batch acceptors read: DescribeJobs' output plus which requested jobs it did not return. */
export interface DescribeJobsDecisionInput {
  jobs: BatchJobDetail[];
  requestedJobIds: string[];
  missingJobIds: string[];
}

/**
 * The common phase of each status Batch documents. Batch has no cancelled status: CancelJob and
 * TerminateJob end a job FAILED (with the caller's reason), so a cancelled Batch job is `failed`.
 */
export const BATCH_PHASES: Readonly<Record<BatchJobStatus, JobPhase>> = {
  SUBMITTED: 'queued',
  PENDING: 'queued',
  RUNNABLE: 'queued',
  STARTING: 'queued',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
};

const batchStatuses = { phases: BATCH_PHASES, title: 'AWS Batch' };

/**
 * Turns one DescribeJobs result into the input the acceptors decide on. A requested job missing from the
 * response is "not visible yet" (it stays in `missingJobIds`, which no Batch acceptor counts as success),
 * unless an earlier poll saw it: then it has vanished, which no waiting will mend. A status Batch did not
 * document when this was written fails closed rather than being guessed at.
 */
export function describeJobsOutcome(
  requestedJobIds: readonly string[],
  seenJobIds: readonly string[],
  result: StatusCallResult,
): JobsInterpretation {
  return interpretAnswers(
    batchStatuses,
    requestedJobIds,
    seenJobIds,
    result,
    (output) =>
      ((output as { jobs?: readonly BatchJobDetail[] }).jobs ?? []).flatMap((job) =>
        job.jobId === undefined
          ? []
          : [
              {
                jobId: job.jobId,
                summary: summarizeJob(job, phaseOf(batchStatuses, job.status)),
                decision: job,
              },
            ],
      ),
    vanishedFrom('DescribeJobs'),
  );
}
