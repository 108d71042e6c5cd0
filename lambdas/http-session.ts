import type { StatusCallResult } from '../waiters';
import { type Fetch, type HttpJsonAnswer, httpJson } from './http-json';
import type { RetryableFailure } from './job-system-io';

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
}

export function httpSession(options: HttpSessionOptions): HttpSession {
  const wallClock = options.wallClock ?? Date.now;
  const now = options.now ?? Date.now;
  return {
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
  };
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
