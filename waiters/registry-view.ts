import type { JobSummary } from './job-system';
import { type TethysStatus, tethysStatus } from './registry-status';
import type { StageRecord, WaitState, WaitStatus } from './wait-state';

/**
 * What the registry keeps of a wait's progress, as one poll's state shows it. The registry is written only
 * when this changes (`registryViewChanged`), never on every poll: a wait of many polls makes a few writes
 * (one per status a job or the wait moves to).
 */
export interface RegistryView {
  status: WaitStatus;
  tethysStatus: TethysStatus;
  /** The stage reached (a stage name of the waiter). */
  stage: string;
  /** The system, where a state names one (absent: AWS Batch, as in the state). */
  system?: string;
  jobIds: string[];
  /** The jobs this wait submitted itself (submit-and-wait): the only ones a cancel may terminate. */
  submittedJobIds: string[];
  /** Each job as the jobs page's detail view shows it: status, reason, exit code, log stream. */
  jobs: JobSummary[];
  stages: StageRecord[];
  startedAt: string;
  deadline: string;
  callbackUrl?: string | null;
  /** Set once the wait ended: the poll that ended it, as an ISO time. */
  completedAt?: string;
  /**
   * Orders the writes of one wait: a write with a lower sequence than the record's never lands (a slow poll
   * from before cannot undo a newer status). Polls across every execution of the wait, counted as
   * segments x 100,000 + polls in the segment.
   */
  sequence: number;
}

/** Above any segment's polls (pollBudget is at most 2,500, lambdas/poller-config.ts), so `sequence` only grows. */
const POLLS_PER_SEGMENT_CEILING = 100_000;

/** The registry's view of a wait after a poll that returned `state`, the stage names being the waiter's. */
export function registryViewOf(state: WaitState, stages: readonly string[], nowIso: string): RegistryView {
  const ended = state.status !== 'RUNNING';
  return {
    status: state.status,
    tethysStatus: tethysStatus(state.status, state.jobs),
    stage: stages[state.stageIndex] ?? String(state.stageIndex),
    ...(state.system === undefined ? {} : { system: state.system }),
    jobIds: state.jobIds,
    submittedJobIds: state.submitted === undefined ? [] : [state.submitted.jobId],
    jobs: state.jobs,
    stages: state.stages,
    startedAt: state.startedAt,
    deadline: state.deadline,
    ...(state.callbackUrl === undefined ? {} : { callbackUrl: state.callbackUrl }),
    ...(ended ? { completedAt: nowIso } : {}),
    sequence: state.segments * POLLS_PER_SEGMENT_CEILING + state.segmentPolls,
  };
}

/**
 * Whether a poll changed what the registry shows: the wait's status, its Tethys status, the stage, the job
 * ids, any job's status or reason, the callback URL. Attempts, delays and times alone do not.
 */
export function registryViewChanged(before: RegistryView | undefined, after: RegistryView): boolean {
  if (before === undefined) return true;
  const jobsKey = (view: RegistryView) =>
    JSON.stringify(view.jobs.map(({ jobId, status, statusReason }) => [jobId, status, statusReason]));
  return (
    before.status !== after.status ||
    before.tethysStatus !== after.tethysStatus ||
    before.stage !== after.stage ||
    before.callbackUrl !== after.callbackUrl ||
    before.jobIds.join() !== after.jobIds.join() ||
    jobsKey(before) !== jobsKey(after)
  );
}
