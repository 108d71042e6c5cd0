import type { DelayStrategy } from '../delay';
import type { JobSystemModel } from '../job-system';
import { BATCH_PHASES, describeJobsOutcome } from './describe-jobs';
import { BATCH_STAGES, batchWaiterModel } from './model';
import { BATCH_NAMING } from './naming';
import { BATCH_EVENT_SOURCE, BATCH_JOB_STATE_CHANGE, batchStateChange } from './state-change-event';

/**
 * stepwait's delays for the built-in Batch stages, picked from the cost/latency frontier that
 * `npm run bench` measures (README, "Choosing delays"):
 * - JobExists backs off from 2 s to 60 s: a job id is visible at the first poll, and a business key whose
 *   job is not submitted yet should not cost 1,800 polls an hour.
 * - JobRunning polls every 30 +/- 10 s: nobody needs to know within seconds that a job left the queue,
 *   and the jitter spreads waits that started together (a nightly batch) from their second call on.
 * - JobComplete backs off from 30 s to 120 s: short jobs are noticed quickly, long ones within two
 *   minutes, and a 24-hour job stays far below the 25,000-event history limit.
 */
export const BATCH_DEFAULT_DELAYS: Readonly<Record<string, DelayStrategy>> = {
  JobExists: { kind: 'exponential', minDelay: 2, maxDelay: 60 },
  JobRunning: { kind: 'fixed', delay: 30, jitter: 10 },
  JobComplete: { kind: 'exponential', minDelay: 30, maxDelay: 120 },
};

/** AWS Batch: DescribeJobs by id (up to 100 a call), ListJobs for a business key, SubmitJob, TerminateJob. */
export const batchJobSystem: JobSystemModel = {
  id: 'batch',
  title: 'AWS Batch',
  waiterModel: batchWaiterModel,
  stages: BATCH_STAGES,
  defaultDelays: BATCH_DEFAULT_DELAYS,
  operations: ['DescribeJobs'],
  naming: BATCH_NAMING,
  phases: BATCH_PHASES,
  interpret: describeJobsOutcome,
  stateChangeEvents: {
    source: BATCH_EVENT_SOURCE,
    detailType: BATCH_JOB_STATE_CHANGE,
    statusField: 'status',
    read: batchStateChange,
  },
};
