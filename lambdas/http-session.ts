import type { StatusCallResult } from '../waiters';
import { type Fetch, type HttpJsonAnswer, httpJson, invalidResponse, refused } from './http-json';
import type { RetryableFailure } from './job-system-io';
import type { SecretSource } from './secrets';

/**
 * Calls to one job system's HTTP API within a poll: a bearer credential (refreshed once after a 401:
 * it may have rotated or expired), a wall-clock budget per round so a hung API is a transient error and
 * never a killed invocation, and answers that never carry the credential on (a proxy's error page that
 * echoes the request would otherwise put it into a cause and the execution history).
 */

/** What one status round, and one cancel or trigger round, may take of the poller's 30 s Lambda timeout. */
export const CALL_BUDGET_MS = 12_000;
const CALL_TIMEOUT_MS = 10_000;

/** Calls made at once for a multi-job wait: gentle on the API, quick for 100 jobs. */
const CONCURRENCY = 8;

export type CallOutcome = RetryableFailure | StatusCallResult | HttpJsonAnswer;

export const isAnswer = (value: CallOutcome): value is HttpJsonAnswer => 'text' in value;
export const isFailure = (value: object): value is RetryableFailure | StatusCallResult =>
  'kind' in value || 'error' in value || 'output' in value;

/**
 * A bearer credential: undefined for an API without one, or why it could not be had. `rejected` is the
 * credential a 401 just refused (get a new one unless it has been replaced already); `deadline` bounds any
 * call made to get it.
 */
export type Credential = (
  rejected: string | undefined,
  deadline: number,
) => Promise<string | undefined | RetryableFailure | StatusCallResult>;

/** What a job system reached over HTTP is given to build its I/O (lambdas/job-systems.ts `connect`). */
export interface HttpSystemOptions {
  /** The API's base URL, one the poller's environment allows (lambdas/endpoints.ts). */
  baseUrl: string;
  /** The secret with the system's credentials, in the form its I/O reads; absent for an open API. */
  secret?: { secretArn: string; source: SecretSource };
  fetch: Fetch;
  /** The wait's clock (virtual in local runs), for Retry-After dates and token lifetimes. */
  now?: () => number;
  /** Real elapsed time, for the call budget (the Lambda's 30 s are real). @default Date.now */
  wallClock?: () => number;
}

export interface HttpSessionOptions {
  fetch: Fetch;
  credential?: Credential;
  /** The wait's clock (virtual in local runs), for Retry-After dates. */
  now?: () => number;
  /** Real elapsed time, for the call budget (the Lambda's 30 s are real). @default Date.now */
  wallClock?: () => number;
}

export interface HttpSession {
  /** A round's deadline: now plus CALL_BUDGET_MS, on the wall clock. */
  deadline(): number;
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    deadline: number,
    body?: unknown,
  ): Promise<CallOutcome>;
  /**
   * One job's document by `GET url`: undefined for a 404, a refusal for another non-200, and an
   * `InvalidResponse` for a body that is not `what`.
   */
  getJob<T>(
    url: string,
    deadline: number,
    isJob: (body: unknown) => body is T,
    what: string,
  ): Promise<T | undefined | RetryableFailure | StatusCallResult>;
  /**
   * A status round: one GET per job (`getJob` of the id), 8 at a time within one deadline. The jobs that
   * answered (404s left out), as the output of the status call, or the first failure.
   */
  statusRound<T>(
    jobIds: readonly string[],
    get: (jobId: string, deadline: number) => Promise<T | undefined | RetryableFailure | StatusCallResult>,
  ): Promise<RetryableFailure | StatusCallResult>;
  /** A cancel round: `DELETE` of each job's URL within one deadline; answered 200 or 204 is cancelled. */
  cancelRound(
    jobIds: readonly string[],
    urlOf: (jobId: string) => string,
  ): Promise<{ cancelled: string[]; failures: string[] }>;
}

export function httpSession(options: HttpSessionOptions): HttpSession {
  const wallClock = options.wallClock ?? Date.now;
  const now = options.now ?? Date.now;
  const session: HttpSession = {
    deadline: () => wallClock() + CALL_BUDGET_MS,
    async call(method, url, deadline, body) {
      let rejected: string | undefined;
      for (const refresh of [false, true]) {
        const credential =
          options.credential === undefined ? undefined : await options.credential(rejected, deadline);
        if (typeof credential === 'object') return credential;
        const left = deadline - wallClock();
        if (left <= 0) return { kind: 'transient', errorName: 'TimeoutError' };
        const answer = await httpJson(
          options.fetch,
          {
            method,
            url,
            headers: credential === undefined ? {} : { authorization: `Bearer ${credential}` },
            ...(body === undefined ? {} : { body }),
            timeoutMs: Math.min(CALL_TIMEOUT_MS, left),
          },
          now,
        );
        if (!isAnswer(answer)) return answer;
        const redacted: HttpJsonAnswer =
          credential !== undefined && answer.text.includes(credential)
            ? { ...answer, text: answer.text.split(credential).join('<redacted>'), body: undefined }
            : answer;
        // 401: the credential was refused (expired, rotated): one new try. 403 refuses the caller itself.
        if (redacted.httpStatusCode === 401 && !refresh && credential !== undefined) {
          rejected = credential;
          continue;
        }
        return redacted;
      }
      throw new Error('unreachable');
    },
    async getJob(url, deadline, isJob, what) {
      const answer = await session.call('GET', url, deadline);
      if (!isAnswer(answer)) return answer;
      if (answer.httpStatusCode === 404) return undefined;
      if (answer.httpStatusCode !== 200) return refused(answer);
      if (!isJob(answer.body)) return invalidResponse(answer, what);
      return answer.body;
    },
    async statusRound(jobIds, get) {
      const deadline = session.deadline();
      const jobs: unknown[] = [];
      let failure: RetryableFailure | StatusCallResult | undefined;
      await inTurn([...new Set(jobIds)], async (id) => {
        const result = await get(id, deadline);
        if (result === undefined) return false;
        if (isFailure(result as object)) {
          failure ??= result as RetryableFailure | StatusCallResult;
          return true;
        }
        jobs.push(result);
        return false;
      });
      return failure ?? { output: { jobs }, httpStatusCode: 200 };
    },
    async cancelRound(jobIds, urlOf) {
      const deadline = session.deadline();
      const cancelled: string[] = [];
      const failures: string[] = [];
      await inTurn(jobIds, async (id) => {
        const answer = await session.call('DELETE', urlOf(id), deadline);
        if (!isAnswer(answer)) {
          failures.push(
            `${id}: ${'kind' in answer ? answer.errorName : 'error' in answer ? answer.error.name : 'error'}`,
          );
        } else if (answer.httpStatusCode !== 200 && answer.httpStatusCode !== 204) {
          failures.push(`${id}: HTTP ${answer.httpStatusCode}`);
        } else {
          cancelled.push(id);
        }
        return false;
      });
      return { cancelled, failures };
    },
  };
  return session;
}

/** Runs `work` for each item, CONCURRENCY at a time, until it returns true (stop) or the items run out. */
export async function inTurn<T>(items: readonly T[], work: (item: T) => Promise<boolean>): Promise<void> {
  const queue = [...items];
  let stopped = false;
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined && !stopped; item = queue.shift()) {
      if (await work(item)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
}
