import type { StatusCallResult } from '../../waiters';
import type { DqopsJob } from '../../waiters/dqops/jobs';
import { type Fetch, invalidResponse, refused } from '../http-json';
import { httpSession, inTurn, isAnswer, isFailure } from '../http-session';
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

  // A 401/403 reads the secret again (it may have rotated); answers never carry the key on.
  const session = httpSession({
    fetch: options.fetch,
    now,
    ...(options.wallClock === undefined ? {} : { wallClock: options.wallClock }),
    ...(options.apiKey === undefined
      ? {}
      : {
          credential: async (rejected: string | undefined) => {
            const { secretArn, source } = options.apiKey as NonNullable<DqopsIoOptions['apiKey']>;
            const value = await (rejected !== undefined ? source.refresh() : source.read());
            if (typeof value !== 'string') return value;
            return secretField(value, 'apiKey', secretArn, true);
          },
        }),
  });
  const call = (method: 'GET' | 'DELETE', url: string, deadline: number) =>
    session.call(method, url, deadline);

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
      const deadline = session.deadline();
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
      const result = await getJob(jobName, session.deadline());
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
      const deadline = session.deadline();
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
