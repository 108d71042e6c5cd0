import type { JobPhase, JobSummary } from './job-system';
import { MAX_CAUSE_LENGTH } from './stepwait-errors';

/**
 * How long stepwait lets its own causes grow: half of what Step Functions keeps. A machine that runs the
 * waiter nested (startExecution.sync) gets the child's DescribeExecution JSON as its task's Cause, cut at
 * MAX_CAUSE_LENGTH characters, with keys in alphabetical order: the child's `Cause` (escaped, so longer)
 * first and its `Error` right after. Within this budget the error name survives the cut.
 */
export const CAUSE_BUDGET = MAX_CAUSE_LENGTH / 2;

/** Reasons are short; one cut here leaves the rest of the cause its room. */
const MAX_REASON_LENGTH = 4_096;

type JobCause = Pick<JobSummary, 'status' | 'statusReason' | 'exitCode' | 'logStreamName' | 'detail'>;

const cut = (text: string, length: number) =>
  text.length > length ? `${text.slice(0, length - 3)}...` : text;

/**
 * `{ reason, jobs: { [jobId]: details }, ...extra }` as JSON of at most `maxLength` characters, jobs in
 * the order given (causeOf puts failed ones first) and those that do not fit counted in `omittedJobs`
 * (their summaries are in the state and the output).
 */
function fitted(
  reason: string,
  jobs: readonly [string, JobCause][],
  extra: Record<string, unknown>,
  maxLength: number,
): string {
  const shortReason = cut(reason, Math.min(MAX_REASON_LENGTH, maxLength / 4));
  const byJob: Record<string, JobCause> = {};
  let omitted = 0;
  for (const [jobId, details] of jobs) {
    byJob[jobId] = details;
    // Room for `"omittedJobs":100,` once anything is left out.
    if (JSON.stringify({ reason: shortReason, jobs: byJob, ...extra }).length > maxLength - 20) {
      delete byJob[jobId];
      omitted++;
    }
  }
  return JSON.stringify({
    reason: shortReason,
    jobs: byJob,
    ...extra,
    ...(omitted > 0 ? { omittedJobs: omitted } : {}),
  });
}

/** What a person needs first: failed (or cancelled) jobs, then unfinished ones, then those that succeeded. */
const rank = (phase: JobPhase | undefined) =>
  phase === 'failed' || phase === 'cancelled' ? 0 : phase === 'succeeded' ? 2 : 1;

/**
 * The Cause of a wait that ended badly: `{ reason, jobs }`, whole JSON within `maxLength` characters. Each
 * job shows the system's own status (its phase decides the order).
 */
export function causeOf(reason: string, jobs: readonly JobSummary[], maxLength = CAUSE_BUDGET): string {
  const failingFirst = [...jobs].sort((a, b) => rank(a.phase) - rank(b.phase));
  return fitted(
    reason,
    failingFirst.map(({ jobId, status, statusReason, exitCode, logStreamName, detail }) => [
      jobId,
      { status, statusReason, exitCode, logStreamName, ...(detail === undefined ? {} : { detail }) },
    ]),
    {},
    maxLength,
  );
}

/**
 * A cause made smaller, still whole JSON: a stepwait cause (`{ reason, jobs, ... }`) loses job details
 * first; any other text is cut.
 */
export function shrinkCause(cause: string, maxLength: number): string {
  if (cause.length <= maxLength) return cause;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return cut(cause, maxLength);
  }
  const record = parsed as { reason?: unknown; jobs?: unknown; omittedJobs?: unknown };
  if (typeof record !== 'object' || record === null || typeof record.reason !== 'string') {
    return JSON.stringify({ reason: cut(cause, maxLength / 2) });
  }
  const { reason, jobs, omittedJobs, ...extra } = record as Record<string, unknown>;
  const entries = Object.entries(
    typeof jobs === 'object' && jobs !== null ? (jobs as Record<string, JobCause>) : {},
  );
  const shrunk = JSON.parse(fitted(reason as string, entries, extra, maxLength)) as { omittedJobs?: number };
  const alreadyOmitted = typeof omittedJobs === 'number' ? omittedJobs : 0;
  if (alreadyOmitted > 0) shrunk.omittedJobs = (shrunk.omittedJobs ?? 0) + alreadyOmitted;
  return JSON.stringify(shrunk);
}
