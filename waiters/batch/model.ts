import { WaiterModel } from '../model';
import type { WaiterModelConfig } from '../types';
import batchWaiters from './batch-waiters.json';

/**
 * AWS Batch's waiters: JobExists, JobRunning, JobComplete on DescribeJobs. Delays and attempt counts are
 * Apache Airflow's (providers/amazon/aws/hooks/batch_waiters.json). The acceptors differ on purpose:
 * - Airflow tests one status per pathAll acceptor, so several jobs in mixed states (RUNNABLE + RUNNING)
 *   never match; ours compare the count of jobs in the wanted states with the count requested.
 * - Airflow's JobExists ends with `error expected ""` (any normal response fails), so an empty `jobs`
 *   list fails at once; ours keeps waiting, because a job may not be visible yet.
 * They read the decision input of `describeJobsOutcome`: DescribeJobs' `jobs` plus `requestedJobIds` and
 * `missingJobIds`.
 */
export const batchWaiterModel: WaiterModel = new WaiterModel(batchWaiters as WaiterModelConfig);

/** The stages a Batch wait goes through, in order. */
export const BATCH_STAGES: readonly string[] = ['JobExists', 'JobRunning', 'JobComplete'];
