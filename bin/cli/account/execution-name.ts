import { createHash } from 'node:crypto';

/**
 * Execution names from business keys. Step Functions takes 1-80 characters; stepwait keeps to letters,
 * digits, `-` and `_`, which are valid everywhere a name appears (ARNs, CloudWatch, the console's URLs).
 *
 * A name is for people (find the wait for `nightly-etl` in a list), not a lock: a closed execution keeps its
 * name for 90 days, so the same job name started again tomorrow needs another name, and StartExecution only
 * treats a repeated name as "the same execution" while that execution runs with identical input.
 */
export const MAX_EXECUTION_NAME_LENGTH = 80;

/** What a wait is for, as `stepwait start` was told it. */
export type WaitTarget =
  | { jobId: string }
  | { jobIds: string[] }
  | { jobName: string; jobQueue?: string; newest: boolean };

/** The business key: the job name, or `job-<id>` (`job-<id>-<id>...` for several ids). */
export function businessKeyOf(target: WaitTarget): string {
  if ('jobName' in target) return target.jobName;
  return `job-${'jobId' in target ? target.jobId : target.jobIds.join('-')}`;
}

/**
 * `key` made a valid name, with `suffix` (already valid) appended. Other characters become `-` (array
 * child ids carry `:`). A key too long is cut and ends in 8 hex digits of its SHA-256, so two long keys
 * that share their first 70 characters (several job ids, say) still get different names.
 */
export function executionName(key: string, suffix = ''): string {
  const room = MAX_EXECUTION_NAME_LENGTH - suffix.length;
  const clean = key.replace(/[^A-Za-z0-9_-]/g, '-');
  if (clean.length > 0 && clean.length <= room) return `${clean}${suffix}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const kept = clean.slice(0, Math.max(0, room - hash.length - 1));
  return kept.length > 0 ? `${kept}-${hash}${suffix}` : `${hash}${suffix}`;
}

/** `-20250611T021500Z`: when the name was taken, readable and sorting with time. */
export function timestampSuffix(nowMs: number): string {
  return `-${new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}`;
}

/**
 * The names to try, in order: the plain key; then the key with the start time (a key used before, e.g.
 * yesterday's run of the same job, still holds its name for 90 days; one call, however many runs came
 * before, rather than counting up -2, -3, ... one call each); then that with -2, -3, ... for starts
 * within the same second.
 */
export function candidateNames(key: string, nowMs: number, count: number): string[] {
  const stamp = timestampSuffix(nowMs);
  const names = [executionName(key)];
  for (let n = 1; names.length < count; n++) {
    names.push(executionName(key, n === 1 ? stamp : `${stamp}-${n}`));
  }
  return names;
}
