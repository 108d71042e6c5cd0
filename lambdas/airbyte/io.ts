import type { StatusCallResult } from '../../waiters';
import type { AirbyteJob } from '../../waiters/airbyte/jobs';
import { httpJson, invalidResponse, refused } from '../http-json';
import { type HttpSession, type HttpSystemOptions, httpSession, isAnswer } from '../http-session';
import type { JobSystemIO, KeyedJob, RetryableFailure } from '../job-system-io';
import { secretField } from '../secrets';

/**
 * Airbyte's I/O (its public API, reference.airbyte.com): `GET /v1/jobs/{jobId}` per job, `GET
 * /v1/jobs?connectionId=` to find a connection's sync, `POST /v1/jobs { connectionId, jobType: "sync" }` to
 * trigger one (409 while one runs: attach to it), `DELETE /v1/jobs/{jobId}` to cancel. Auth: client
 * credentials exchanged at `POST /v1/applications/token` (self-managed: `<host>/api/v1/applications/token`)
 * for a bearer token that lives minutes, cached below its lifetime and fetched again once after a 401; or
 * none, for an open self-managed Airbyte.
 */
/**
 * `baseUrl`: https://api.airbyte.com (Cloud) or `https://<host>/api/public` (self-managed); `secret`:
 * `{ "clientId": ..., "clientSecret": ... }`, absent for an open Airbyte.
 */
export type AirbyteIoOptions = HttpSystemOptions;

/** Where a base URL's token is issued: Cloud's `/v1/applications/token`, self-managed's `/api/v1/...`. */
export function tokenUrlOf(baseUrl: string): string {
  return baseUrl.endsWith('/api/public')
    ? `${baseUrl.slice(0, -'/public'.length)}/v1/applications/token`
    : `${baseUrl}/v1/applications/token`;
}

/** A token is used until this long before it expires (Airbyte's live 3 to 15 minutes). */
const TOKEN_MARGIN_MS = 60_000;

function isAirbyteJob(body: unknown): body is AirbyteJob {
  if (typeof body !== 'object' || body === null) return false;
  const { jobId, status } = body as AirbyteJob;
  return (typeof jobId === 'number' || typeof jobId === 'string') && typeof status === 'string';
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
const ACTIVE = new Set(['pending', 'running', 'incomplete']);

function keyed(job: AirbyteJob): KeyedJob {
  const started = job.startTime === undefined ? 0 : Date.parse(job.startTime) || 0;
  const ended = job.lastUpdatedAt === undefined ? Number.NaN : Date.parse(job.lastUpdatedAt);
  return {
    ...(FINISHED.has(String(job.status)) && !Number.isNaN(ended) ? { endedAt: ended } : {}),
    jobId: String(job.jobId),
    createdAt: started,
    ...(job.status === undefined ? {} : { status: job.status }),
  };
}

export function airbyteIo(options: AirbyteIoOptions): JobSystemIO {
  const now = options.now ?? Date.now;
  const wallClock = options.wallClock ?? Date.now;
  let token: { value: string; usableUntil: number } | undefined;

  /** A fresh token from the client credentials, or why there is none; within the round's deadline. */
  const fetchToken = async (deadline: number): Promise<string | RetryableFailure | StatusCallResult> => {
    const { secretArn, source } = options.secret as NonNullable<AirbyteIoOptions['secret']>;
    const read = await source.read();
    if (typeof read !== 'string') return read;
    const clientId = secretField(read, 'clientId', secretArn, false);
    if (typeof clientId !== 'string') return clientId;
    const clientSecret = secretField(read, 'clientSecret', secretArn, false);
    if (typeof clientSecret !== 'string') return clientSecret;
    const left = deadline - wallClock();
    if (left <= 0) return { kind: 'transient', errorName: 'TimeoutError' };
    const answer = await httpJson(
      options.fetch,
      {
        method: 'POST',
        url: tokenUrlOf(options.baseUrl),
        body: { client_id: clientId, client_secret: clientSecret, 'grant-type': 'client_credentials' },
        timeoutMs: Math.min(10_000, left),
      },
      now,
    );
    if (!isAnswer(answer)) return answer;
    const redacted = {
      ...answer,
      body: undefined,
      text: answer.text.split(clientSecret).join('<redacted>').split(clientId).join('<client>'),
    };
    if (answer.httpStatusCode !== 200) return refused(redacted);
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      return invalidResponse(
        { ...redacted, text: '(a token answer without access_token)' },
        'an access token',
      );
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 180) * 1000;
    // Lifetimes run on the API's clock (the wait's, virtual in local runs), not the call budget's.
    token = {
      value: body.access_token,
      usableUntil: now() + Math.max(lifetimeMs / 2, lifetimeMs - TOKEN_MARGIN_MS),
    };
    return token.value;
  };
  // Concurrent calls of a round share one token request.
  let pending: Promise<string | RetryableFailure | StatusCallResult> | undefined;
  const newToken = (deadline: number) => {
    pending ??= fetchToken(deadline).finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const session: HttpSession = httpSession({
    fetch: options.fetch,
    now,
    wallClock,
    ...(options.secret === undefined
      ? {}
      : {
          credential: async (rejected: string | undefined, deadline: number) => {
            if (rejected !== undefined && token?.value === rejected) {
              // A 401 of the cached token: it expired early or the client was rotated. Read the secret
              // again too, once (calls refused with a token already replaced just take the new one).
              token = undefined;
              if (pending === undefined) await options.secret?.source.refresh();
            }
            return token !== undefined && now() < token.usableUntil ? token.value : newToken(deadline);
          },
        }),
  });
  const jobsUrl = `${options.baseUrl}/v1/jobs`;

  const jobUrl = (jobId: string) => `${jobsUrl}/${encodeURIComponent(jobId)}`;
  const getJob = (jobId: string, deadline: number) =>
    session.getJob(jobUrl(jobId), deadline, isAirbyteJob, 'an Airbyte job (JobResponse)');

  /** The connection's newest jobs (any type and status), newest first: Airbyte lists oldest first by default. */
  const jobsOf = async (connectionId: string, deadline: number) => {
    const query = new URLSearchParams({ connectionId, orderBy: 'createdAt|DESC', limit: '20' });
    const answer = await session.call('GET', `${jobsUrl}?${query}`, deadline);
    if (!isAnswer(answer)) return answer;
    if (answer.httpStatusCode !== 200) return refused(answer);
    const data = (answer.body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data) || !data.every(isAirbyteJob))
      return invalidResponse(answer, 'a list of Airbyte jobs');
    return data as AirbyteJob[];
  };

  /**
   * The connection's newest sync started in the wait's window (at or after `since`), unless it had already
   * ended before the wait's first poll (`notEndedBefore`): a sync that finished before the wait is not its.
   */
  const newestSync = async (
    connectionId: string,
    since: number,
    notEndedBefore: number,
    deadline: number,
  ) => {
    const jobs = await jobsOf(connectionId, deadline);
    if (!Array.isArray(jobs)) return jobs;
    return jobs
      .filter((job) => job.jobType === undefined || job.jobType === 'sync')
      .map(keyed)
      .filter((job) => job.createdAt >= since && !(job.endedAt !== undefined && job.endedAt < notEndedBefore))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, 1);
  };

  return {
    async status(operation, jobIds) {
      if (operation !== 'GetJob')
        throw new RangeError(`Airbyte has no status operation ${operation} here (GetJob only)`);
      return session.statusRound(jobIds, getJob);
    },

    /** The connection's newest sync started since the wait began: one found is the one waited for. */
    findByKey: ({ jobName, since, notEndedBefore }) =>
      newestSync(jobName, since ?? 0, notEndedBefore ?? 0, session.deadline()),

    /**
     * Triggers the connection's sync. 409 means one is running already (perhaps one this wait started
     * before its answer was lost): attach to it.
     */
    async trigger({ jobName }) {
      const deadline = session.deadline();
      const answer = await session.call('POST', jobsUrl, deadline, {
        connectionId: jobName,
        jobType: 'sync',
      });
      if (!isAnswer(answer)) return answer;
      if (answer.httpStatusCode === 409) {
        // The connection is busy: a sync pending, running or incomplete (attach to it), or a reset or
        // clear (wait for it to end, then trigger).
        const jobs = await jobsOf(jobName, deadline);
        if (!Array.isArray(jobs)) return jobs;
        const active = jobs.find((job) => ACTIVE.has(String(job.status)));
        if (active === undefined) return { kind: 'transient', errorName: 'HTTP 409 without an active job' };
        if (active.jobType !== undefined && active.jobType !== 'sync') {
          return {
            kind: 'transient',
            errorName: `HTTP 409: a ${active.jobType} of the connection is running`,
          };
        }
        return keyed(active);
      }
      if (answer.httpStatusCode !== 200 && answer.httpStatusCode !== 201) return refused(answer);
      if (!isAirbyteJob(answer.body)) return invalidResponse(answer, 'the triggered job (JobResponse)');
      return keyed(answer.body);
    },

    cancel: (jobIds) => session.cancelRound(jobIds, jobUrl),
  };
}
