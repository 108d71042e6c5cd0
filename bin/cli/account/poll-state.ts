import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { type JobSummary, POLL_STATE_SUFFIX, type StageRecord, type WaitState } from '../../../waiters';
import { HistoryNewestFirst } from './history';
import { isRecord, parseJson } from './outcome';

/** A stage as the poller records it (the wait-state contract's StageRecord, read defensively). */
export type StageView = Pick<StageRecord, 'waiter' | 'attempts'> &
  Partial<Pick<StageRecord, 'startedAt' | 'finishedAt'>>;

/** A job as the poller summarises it: the fields a person acts on. */
export type JobView = Pick<
  JobSummary,
  'jobId' | 'jobName' | 'status' | 'statusReason' | 'exitCode' | 'logStreamName'
>;

/** What the newest poll left in the execution's state (a WaitState): where the wait is and what it saw. */
export interface PollStateView extends Pick<WaitState, 'stageIndex' | 'attempt' | 'jobIds' | 'system'> {
  stages: StageView[];
  jobs: JobView[];
  waitedSeconds?: number;
  deadline?: string;
  /** Event mode with callbacks: the URL that wakes the wait. */
  callbackUrl?: string;
}

/** Stage records from a poll state or a finished wait's output. */
export function stageViews(value: unknown): StageView[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((stage) => {
    const view: StageView = {
      waiter: String(stage.waiter),
      attempts: typeof stage.attempts === 'number' ? stage.attempts : 0,
    };
    if (typeof stage.startedAt === 'string') view.startedAt = stage.startedAt;
    if (typeof stage.finishedAt === 'string') view.finishedAt = stage.finishedAt;
    return view;
  });
}

/** Jobs from the poller's summaries (an array) or from a Cause's `jobs` (an object keyed by job id). */
export function jobViews(value: unknown): JobView[] {
  const entries: Record<string, unknown>[] = Array.isArray(value)
    ? value.filter(isRecord)
    : isRecord(value)
      ? Object.entries(value).map(([jobId, job]) => ({ ...(isRecord(job) ? job : {}), jobId }))
      : [];
  return entries.map((job) => {
    const view: JobView = { jobId: String(job.jobId) };
    if (typeof job.jobName === 'string') view.jobName = job.jobName;
    if (typeof job.status === 'string') view.status = job.status;
    if (typeof job.statusReason === 'string') view.statusReason = job.statusReason;
    if (typeof job.exitCode === 'number') view.exitCode = job.exitCode;
    if (typeof job.logStreamName === 'string') view.logStreamName = job.logStreamName;
    return view;
  });
}

/** A poller result, or undefined if `value` is not one (another task's output). */
export function pollStateView(value: unknown): PollStateView | undefined {
  if (!isRecord(value) || typeof value.stageIndex !== 'number' || !Array.isArray(value.stages))
    return undefined;
  const view: PollStateView = {
    stageIndex: value.stageIndex,
    attempt: typeof value.attempt === 'number' ? value.attempt : 0,
    stages: stageViews(value.stages),
    jobs: jobViews(value.jobs),
    jobIds: Array.isArray(value.jobIds) ? value.jobIds.filter((id) => typeof id === 'string') : [],
  };
  if (typeof value.waitedSeconds === 'number') view.waitedSeconds = value.waitedSeconds;
  if (typeof value.system === 'string') view.system = value.system;
  if (typeof value.deadline === 'string') view.deadline = value.deadline;
  if (typeof value.callbackUrl === 'string') view.callbackUrl = value.callbackUrl;
  return view;
}

/**
 * The poller's state in one history event: a `<Stage> Poll` TaskStateExited carries it directly (the task
 * keeps `$.Payload`); a TaskSucceeded carries the lambda:invoke envelope, whose `Payload` is it (that
 * event names no state, so the payload's shape decides). A segment execution starts from the state its
 * hand-over carried (input `{ handOver: <state> }`): until its first poll, that is where the wait is.
 */
export function pollStateOfEvent(event: HistoryEvent): PollStateView | undefined {
  if (event.type === 'ExecutionStarted') {
    const input = parseJson(event.executionStartedEventDetails?.input);
    return isRecord(input) ? pollStateView(input.handOver) : undefined;
  }
  if (event.type === 'TaskStateExited') {
    const details = event.stateExitedEventDetails;
    if (!details?.name?.endsWith(POLL_STATE_SUFFIX)) return undefined;
    return pollStateView(parseJson(details.output));
  }
  if (event.type === 'TaskSucceeded') {
    const envelope = parseJson(event.taskSucceededEventDetails?.output);
    return isRecord(envelope) ? pollStateView(envelope.Payload) : undefined;
  }
  return undefined;
}

/** The newest poll state among events in any order (history pages are read newest first). */
export function newestPollState(events: readonly HistoryEvent[]): PollStateView | undefined {
  const newestFirst = [...events].sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
  for (const event of newestFirst) {
    const state = pollStateOfEvent(event);
    if (state !== undefined) return state;
  }
  return undefined;
}

/**
 * The newest poll state of one execution's own history, newest first within MAX_HISTORY_PAGES pages;
 * undefined before the first poll. It does not follow hand-overs: readWaitLocation (wait-location.ts) does.
 */
export async function latestPollState(
  sfn: SFNClient,
  executionArn: string,
): Promise<PollStateView | undefined> {
  const history = new HistoryNewestFirst(sfn, executionArn);
  for (let event = await history.next(); event !== undefined; event = await history.next()) {
    const state = pollStateOfEvent(event);
    if (state !== undefined) return state;
  }
  return undefined;
}
