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
  now?: () => number;
}

/** GET calls made at once for a multi-job wait: well inside the poller's 30 s and gentle on DQOps. */
const CONCURRENCY = 8;

type CallOutcome = RetryableFailure | StatusCallResult | HttpJsonAnswer;

const isAnswer = (value: CallOutcome): value is HttpJsonAnswer => 'text' in value;

function isDqopsJob(body: unknown): body is DqopsJob {
  if (typeof body !== 'object' || body === null) return false;
  const { jobId, status } = body as DqopsJob;
  return (
    typeof jobId === 'object' && jobId !== null && jobId.jobId !== undefined && typeof status === 'string'
  );
}

export function dqopsIo(options: DqopsIoOptions): JobSystemIO {
  const now = options.now ?? Date.now;
  const jobUrl = (idOrKey: string) => `${options.baseUrl}/api/jobs/jobs/${encodeURIComponent(idOrKey)}`;

  const authorization = async (
    refresh: boolean,
  ): Promise<Record<string, string> | RetryableFailure | StatusCallResult> => {
    if (options.apiKey === undefined) return {};
    const { secretArn, source } = options.apiKey;
    const value = await (refresh ? source.refresh() : source.read());
    if (typeof value !== 'string') return value;
    const key = secretField(value, 'apiKey', secretArn, true);
    return typeof key === 'string' ? { authorization: `Bearer ${key}` } : key;
  };

  /** One call; a 401/403 reads the secret again (it may have rotated) and tries once more. */
  const call = async (method: 'GET' | 'DELETE', url: string): Promise<CallOutcome> => {
    for (const refresh of [false, true]) {
      const headers = await authorization(refresh);
      if ('kind' in headers || 'error' in headers || 'output' in headers) return headers as CallOutcome;
      const answer = await httpJson(
        options.fetch,
        { method, url, headers: headers as Record<string, string> },
        now,
      );
      if (!isAnswer(answer)) return answer;
      const deniedBeforeRefresh =
        (answer.httpStatusCode === 401 || answer.httpStatusCode === 403) && !refresh;
      if (deniedBeforeRefresh && options.apiKey !== undefined) continue;
      return answer;
    }
    throw new Error('unreachable');
  };

  const getJob = async (
    idOrKey: string,
  ): Promise<RetryableFailure | StatusCallResult | DqopsJob | undefined> => {
    const answer = await call('GET', jobUrl(idOrKey));
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
      const jobs: DqopsJob[] = [];
      const queue = [...new Set(jobIds)];
      let failure: RetryableFailure | StatusCallResult | undefined;
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined && failure === undefined; id = queue.shift()) {
          const result = await getJob(id);
          if (result === undefined) continue;
          if ('kind' in result || 'error' in result || 'output' in result)
            failure ??= result as RetryableFailure | StatusCallResult;
          else jobs.push(result);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
      return failure ?? { output: { jobs }, httpStatusCode: 200 };
    },

    /** The job with the business key: DQOps keeps one per key (a newer job with the key replaces the older). */
    async findByKey({ jobName }) {
      const result = await getJob(jobName);
      if (result === undefined) return [];
      if ('kind' in result || 'error' in result || 'output' in result)
        return result as RetryableFailure | StatusCallResult;
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
      const failures: string[] = [];
      for (const id of jobIds) {
        const answer = await call('DELETE', jobUrl(id));
        if (!isAnswer(answer)) failures.push(`${id}: ${'kind' in answer ? answer.errorName : 'error'}`);
        else if (answer.httpStatusCode !== 204 && answer.httpStatusCode !== 200)
          failures.push(`${id}: HTTP ${answer.httpStatusCode}`);
      }
      return failures;
    },
  };
}
