import { isFinishedPhase, type JobPhase, type JobSummary } from './job-system';
import type { WaitStatus } from './wait-state';

/**
 * A wait's status in the words of Tethys' job manager (Tethys Platform Jobs API, a job's `status`), for the
 * registry and the jobs page, beside stepwait's own (WaitStatus). Built from the wait's outcome and each
 * job's common phase, so it reads the same for every job system.
 *
 * Tethys also has Paused and Results-Ready; no system here has either: AWS Batch, DQOps and Airbyte jobs
 * cannot be paused (DQOps' `waiting` is a job held back by a concurrency limit, not started yet), and none
 * publishes results before it ends.
 */
export const TETHYS_STATUSES = [
  'Pending',
  'Submitted',
  'Running',
  'Complete',
  'Error',
  'Aborted',
  'Various',
  'Various-Complete',
  'Other',
] as const;
export type TethysStatus = (typeof TETHYS_STATUSES)[number];

/** Where a wait stands: recorded but not started, running, ended (WaitStatus), or stopped (StopExecution). */
export type WaitStanding = 'PENDING' | WaitStatus | 'ABORTED';

/** A job's phase as Tethys names it while the wait runs; a job not seen yet is queued as far as we know. */
const SINGLE: Readonly<Record<JobPhase, TethysStatus>> = {
  queued: 'Submitted',
  running: 'Running',
  succeeded: 'Complete',
  failed: 'Error',
  cancelled: 'Aborted',
};

/**
 * The Tethys status of a wait:
 * - Pending: not started, or started and no job named yet (a business key not found, a job not submitted);
 * - while it runs, its jobs' common phase (Submitted, Running, Complete, Error, Aborted); for jobs in
 *   different phases, Various, or Various-Complete once all have finished;
 * - once it ended: Complete when it succeeded (a waiter that stops at JobRunning leaves its job running);
 *   Aborted when it was stopped or its jobs were cancelled; Various-Complete when its jobs finished in
 *   different phases; Error when it failed otherwise; Other when it timed out without failing
 *   (`failOnTimeout: false`: it stopped watching, its jobs may run on).
 */
export function tethysStatus(
  standing: WaitStanding,
  jobs: readonly Pick<JobSummary, 'phase'>[],
): TethysStatus {
  if (standing === 'PENDING') return 'Pending';
  if (standing === 'ABORTED') return 'Aborted';
  if (standing === 'SUCCEEDED') return 'Complete';
  if (standing === 'TIMED_OUT') return 'Other';
  const phases = new Set(jobs.map((job) => job.phase ?? 'queued'));
  const allFinished = jobs.every((job) => isFinishedPhase(job.phase));
  const [only] = phases;
  if (standing === 'RUNNING') {
    if (only === undefined) return 'Pending';
    if (phases.size === 1) return SINGLE[only];
    return allFinished ? 'Various-Complete' : 'Various';
  }
  // FAILED.
  if (phases.size === 1 && only === 'cancelled') return 'Aborted';
  if (phases.size > 1 && allFinished) return 'Various-Complete';
  return 'Error';
}
