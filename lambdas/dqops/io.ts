import type { StatusCallResult } from '../../waiters';
import type { DqopsJob } from '../../waiters/dqops/jobs';
import { type Fetch, type HttpJsonAnswer, httpJson, invalidResponse, refused } from '../http-json';
import type { JobSystemIO, KeyedJob, RetryableFailure } from '../job-system-io';
import { type SecretSource, secretField } from '../secrets';

/**
 * DQOps' I/O (dqops/dqo JobsController): `GET /api/jobs/jobs/{jobId}` per job (the path segment may be a
 * business key: DQOps looks keys up first), `DELETE` of the same path to cancel (204 whatever the job's
 * state). The API key goes as `Authorization: Bearer <key>` (AuthenticateWithDqoCloudWebFilter); a DQOps
 * without authentication takes calls without one. The short `GET` is used, never the `/wait` long-poll,
 * which would hold the Lambda and answers 500 for failed jobs.
 */
export interface DqopsIoOptions {
  /** The API's base URL, e.g. https://dqops.example.com (checked against the poller's allowed endpoints). */
  baseUrl: string;
  /** The secret holding the API key (plain, or JSON `{ "apiKey": ... }`); absent for an open DQOps. */
  apiKey?: { secretArn: string; source: SecretSource };
  fetch: Fetch;
  /** The wait's clock (virtual in local runs), for Retry-After dates. */
  now?: () => number;
  /** Real elapsed time, for the call budget (the Lambda's 30 s are real). @default Date.now */
  wallClock?: () => number;
}

/** GET and DELETE calls made at once for a multi-job wait: gentle on DQOps, quick for 100 jobs. */
const CONCURRENCY = 8;

/**
 * What one status round, and one cancel round, may take of the poller's 30 s Lambda timeout: both together
 * stay under it, so a hung DQOps comes back as a transient error (a retry in the machine), never as a
 * killed invocation. Each call gets the smaller of its own 10 s and what is left.
 */
export const CALL_BUDGET_MS = 12_000;
const CALL_TIMEOUT_MS = 10_000;

type CallOutcome = RetryableFailure | StatusCallResult | HttpJsonAnswer;

const isAnswer = (value: CallOutcome): value is HttpJsonAnswer => 'text' in value;
const isFailure = (value: object): value is RetryableFailure | StatusCallResult =>
  'kind' in value || 'error' in value || 'output' in value;

function isDqopsJob(body: unknown): body is DqopsJob {
  if (typeof body !== 'object' || body === null) return false;
  const { jobId, status } = body as DqopsJob;
  return (
    typeof jobId === 'object' && jobId !== null && jobId.jobId !== undefined && typeof status === 'string'
  );
}

/** Runs `work` for each item, CONCURRENCY at a time, until it returns true (stop) or the items run out. */
async function inTurn<T>(items: readonly T[], work: (item: T) => Promise<boolean>): Promise<void> {
  const queue = [...items];
  let stopped = false;
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined && !stopped; item = queue.shift()) {
      if (await work(item)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
}

export function dqopsIo(options: DqopsIoOptions): JobSystemIO {
  const now = options.now ?? Date.now;
  const wallClock = options.wallClock ?? Date.now;
  const jobUrl = (idOrKey: string) => `${options.baseUrl}/api/jobs/jobs/${encodeURIComponent(idOrKey)}`;

  const apiKey = async (
    refresh: boolean,
  ): Promise<string | undefined | RetryableFailure | StatusCallResult> => {
    if (options.apiKey === undefined) return undefined;
    const { secretArn, source } = options.apiKey;
    const value = await (refresh ? source.refresh() : source.read());
    if (typeof value !== 'string') return value;
    return secretField(value, 'apiKey', secretArn, true);
  };

  /**
   * One call within the round's `deadline` (wall clock); a 401/403 reads the secret again (it may have
   * rotated) and tries once more. An answer never carries the key on: a proxy's error page that echoes the
   * request would otherwise put it into a cause and the execution history.
   */
  const call = async (method: 'GET' | 'DELETE', url: string, deadline: number): Promise<CallOutcome> => {
    for (const refresh of [false, true]) {
      const key = await apiKey(refresh);
      if (typeof key === 'object') return key;
      const left = deadline - wallClock();
      if (left <= 0) return { kind: 'transient', errorName: 'TimeoutError' };
      const answer = await httpJson(
        options.fetch,
        {
          method,
          url,
          headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
          timeoutMs: Math.min(CALL_TIMEOUT_MS, left),
        },
        now,
      );
      if (!isAnswer(answer)) return answer;
      const redacted: HttpJsonAnswer =
        key !== undefined && answer.text.includes(key)
          ? { ...answer, text: answer.text.split(key).join('<redacted>'), body: undefined }
          : answer;
      const denied = redacted.httpStatusCode === 401 || redacted.httpStatusCode === 403;
      if (denied && !refresh && key !== undefined) continue;
      return redacted;
    }
    throw new Error('unreachable');
  };

  const getJob = async (
    idOrKey: string,
    deadline: number,
  ): Promise<RetryableFailure | StatusCallResult | DqopsJob | undefined> => {
    const answer = await call('GET', jobUrl(idOrKey), deadline);
    if (!isAnswer(answer)) return answer;
    if (answer.httpStatusCode === 404) return undefined;
    if (answer.httpStatusCode !== 200) return refused(answer);
    if (!isDqopsJob(answer.body)) return invalidResponse(answer, 'a DQOps job (DqoJobHistoryEntryModel)');
    return answer.body;
  };

  return {
    async status(operation, jobIds) {
      if (operation !== 'GetJob')
        throw new RangeError(`DQOps has no status operation ${operation} here (GetJob only)`);
      const deadline = wallClock() + CALL_BUDGET_MS;
      const jobs: DqopsJob[] = [];
      let failure: RetryableFailure | StatusCallResult | undefined;
      await inTurn([...new Set(jobIds)], async (id) => {
        const result = await getJob(id, deadline);
        if (result === undefined) return false;
        if (isFailure(result)) {
          failure ??= result;
          return true;
        }
        jobs.push(result);
        return false;
      });
      return failure ?? { output: { jobs }, httpStatusCode: 200 };
    },

    /** The job with the business key: DQOps keeps one per key (a newer job with the key replaces the older). */
    async findByKey({ jobName }) {
      const result = await getJob(jobName, wallClock() + CALL_BUDGET_MS);
      if (result === undefined) return [];
      if (isFailure(result)) return result;
      const created = result.jobId?.createdAt;
      const keyed: KeyedJob = {
        jobId: String(result.jobId?.jobId),
        createdAt:
          typeof created === 'string' ? Date.parse(created) || 0 : typeof created === 'number' ? created : 0,
        ...(result.status === undefined ? {} : { status: result.status }),
      };
      return [keyed];
    },

    async cancel(jobIds) {
      const deadline = wallClock() + CALL_BUDGET_MS;
      const failures: string[] = [];
      const cancelled: string[] = [];
      await inTurn(jobIds, async (id) => {
        const answer = await call('DELETE', jobUrl(id), deadline);
        if (!isAnswer(answer)) {
          failures.push(
            `${id}: ${'kind' in answer ? answer.errorName : 'error' in answer ? answer.error.name : 'error'}`,
          );
        } else if (answer.httpStatusCode !== 204 && answer.httpStatusCode !== 200) {
          failures.push(`${id}: HTTP ${answer.httpStatusCode}`);
        } else {
          cancelled.push(id);
        }
        return false;
      });
      return { cancelled, failures };
    },
  };
}
