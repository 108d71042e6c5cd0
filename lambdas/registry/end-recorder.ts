import { isRecord, type JobSummary, type WaitStanding } from '../../waiters';
import { WAIT_ID_PATTERN } from '../wait-request';
import type { RegistryStore } from './registry-store';

/**
 * The registry's recorder of execution ends: an EventBridge rule sends the waiter machines' "Step Functions
 * Execution Status Change" events (Step Functions User Guide, "Automating Step Functions event delivery with
 * EventBridge": `detail` has `executionArn`, `name`, `status`, `stopDate` in epoch ms, `input`, `output`,
 * `error`, `cause`). An end the polls cannot see (a stopped execution, one past the machine's own timeout)
 * or one whose last write failed is recorded here. Events come at least once and in any order: recordEnd
 * is idempotent and never revives a deleted wait.
 */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  detail?: {
    executionArn?: string;
    name?: string;
    status?: string;
    stopDate?: number | null;
    input?: string | null;
    output?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

export type EndRecorded =
  | { recorded: true; waitId: string; standing: WaitStanding }
  | { recorded: false; why: string };

/**
 * The wait an execution ran, where the registry can know it: one the registry API started, whose execution is
 * named after its `waitId` (the poller honours a request's `waitId` only then). Other waits' ends come from
 * their last poll's write.
 */
function waitIdOf(detail: NonNullable<ExecutionStatusChange['detail']>): string | undefined {
  if (typeof detail.name !== 'string' || !WAIT_ID_PATTERN.test(detail.name)) return undefined;
  try {
    const input: unknown = JSON.parse(detail.input ?? 'null');
    return (input as { waitId?: unknown } | null)?.waitId === detail.name ? detail.name : undefined;
  } catch {
    // An input cut by EventBridge's size limit, or none.
    return undefined;
  }
}

/** How the wait stands after its execution ended with `status`, reading a success's output for a timed-out wait. */
function standingOf(detail: NonNullable<ExecutionStatusChange['detail']>): WaitStanding | undefined {
  switch (detail.status) {
    case 'SUCCEEDED': {
      try {
        const output = JSON.parse(detail.output ?? 'null') as { status?: unknown } | null;
        return output?.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'SUCCEEDED';
      } catch {
        return 'SUCCEEDED';
      }
    }
    case 'FAILED':
    case 'TIMED_OUT':
      return 'FAILED';
    case 'ABORTED':
      return 'ABORTED';
    default:
      return undefined;
  }
}

/**
 * The jobs as the execution's end reports them, for a wait whose last poll's write never landed: a success's
 * output has every job's summary (`jobs`, as the last poll had them); a failure's JSON cause has each job's
 * status, reason, exit code and log stream by id (waiters/cause.ts). Undefined where there is nothing whole
 * to read: no such field, or an input or output EventBridge cut.
 */
export function finalJobsOf(detail: NonNullable<ExecutionStatusChange['detail']>): JobSummary[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse((detail.status === 'SUCCEEDED' ? detail.output : detail.cause) ?? 'null');
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const { jobs } = parsed;
  if (Array.isArray(jobs)) {
    return jobs.every((job) => isRecord(job) && typeof job.jobId === 'string')
      ? (jobs as JobSummary[])
      : undefined;
  }
  if (!isRecord(jobs)) return undefined;
  const summaries: JobSummary[] = [];
  for (const [jobId, job] of Object.entries(jobs)) {
    if (!isRecord(job) || typeof job.status !== 'string') return undefined;
    const { status, statusReason, exitCode, logStreamName } = job;
    summaries.push({
      jobId,
      status,
      ...(typeof statusReason === 'string' ? { statusReason } : {}),
      ...(typeof exitCode === 'number' ? { exitCode } : {}),
      ...(typeof logStreamName === 'string' ? { logStreamName } : {}),
    });
  }
  return summaries;
}

export async function recordExecutionEnd(
  store: RegistryStore,
  event: ExecutionStatusChange,
): Promise<EndRecorded> {
  const detail = event.detail;
  if (detail === undefined) return { recorded: false, why: 'no detail' };
  const standing = standingOf(detail);
  if (standing === undefined)
    return { recorded: false, why: `status ${String(detail.status)} is not an end` };
  const waitId = waitIdOf(detail);
  if (waitId === undefined) {
    return { recorded: false, why: `execution ${String(detail.name)} is not named after a registry wait` };
  }
  const endedAt = new Date(typeof detail.stopDate === 'number' ? detail.stopDate : Date.now()).toISOString();
  const reason =
    detail.status === 'TIMED_OUT'
      ? 'the execution passed its state machine timeout'
      : detail.status === 'FAILED' && detail.error
        ? `the execution failed: ${detail.error}`
        : undefined;
  const found = await store.recordEnd(waitId, standing, endedAt, reason, finalJobsOf(detail));
  return found
    ? { recorded: true, waitId, standing }
    : { recorded: false, why: `no wait ${waitId} in the registry` };
}
