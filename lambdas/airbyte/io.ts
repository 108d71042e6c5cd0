import type { StatusCallResult } from '../../waiters';
import type { AirbyteJob } from '../../waiters/airbyte/jobs';
import { type Fetch, httpJson, invalidResponse, refused } from '../http-json';
import { type HttpSession, httpSession, inTurn, isAnswer, isFailure } from '../http-session';
import type { JobSystemIO, KeyedJob, RetryableFailure } from '../job-system-io';
import { type SecretSource, secretField } from '../secrets';

/**
 * Airbyte's I/O (its public API, reference.airbyte.com): `GET /v1/jobs/{jobId}` per job, `GET
 * /v1/jobs?connectionId=` to find a connection's sync, `POST /v1/jobs { connectionId, jobType: "sync" }` to
 * trigger one (409 while one runs: attach to it), `DELETE /v1/jobs/{jobId}` to cancel. Auth: client
 * credentials exchanged at `POST /v1/applications/token` (self-managed: `<host>/api/v1/applications/token`)
 * for a bearer token that lives minutes, cached below its lifetime and fetched again once after a 401; or
 * none, for an open self-managed Airbyte.
 */
export interface AirbyteIoOptions {
  /** https://api.airbyte.com (Cloud) or `https://<host>/api/public` (self-managed). */
  baseUrl: string;
  /** The secret with `{ "clientId": ..., "clientSecret": ... }`; absent for an open Airbyte. */
  credentials?: { secretArn: string; source: SecretSource };
  fetch: Fetch;
  now?: () => number;
  wallClock?: () => number;
}

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

function keyed(job: AirbyteJob): KeyedJob {
  const started = job.startTime === undefined ? 0 : Date.parse(job.startTime) || 0;
  return {
    jobId: String(job.jobId),
    createdAt: started,
    ...(job.status === undefined ? {} : { status: job.status }),
  };
}

export function airbyteIo(options: AirbyteIoOptions): JobSystemIO {
  const now = options.now ?? Date.now;
  const wallClock = options.wallClock ?? Date.now;
  let token: { value: string; usableUntil: number } | undefined;

  /** A fresh token from the client credentials, or why there is none. */
  const newToken = async (): Promise<string | RetryableFailure | StatusCallResult> => {
    const { secretArn, source } = options.credentials as NonNullable<AirbyteIoOptions['credentials']>;
    const read = await source.read();
    if (typeof read !== 'string') return read;
    const clientId = secretField(read, 'clientId', secretArn, false);
    if (typeof clientId !== 'string') return clientId;
    const clientSecret = secretField(read, 'clientSecret', secretArn, false);
    if (typeof clientSecret !== 'string') return clientSecret;
    const answer = await httpJson(
      options.fetch,
      {
        method: 'POST',
        url: tokenUrlOf(options.baseUrl),
        body: { client_id: clientId, client_secret: clientSecret, 'grant-type': 'client_credentials' },
        timeoutMs: 10_000,
      },
      now,
    );
    if (!isAnswer(answer)) return answer;
    const redacted = { ...answer, text: answer.text.split(clientSecret).join('<redacted>') };
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

  const session: HttpSession = httpSession({
    fetch: options.fetch,
    now,
    wallClock,
    ...(options.credentials === undefined
      ? {}
      : {
          credential: async (refresh: boolean) => {
            if (refresh) {
              // A 401: the token expired early or the client was rotated: read the secret again too.
              await options.credentials?.source.refresh();
              return newToken();
            }
            return token !== undefined && now() < token.usableUntil ? token.value : newToken();
          },
        }),
  });
  const jobsUrl = `${options.baseUrl}/v1/jobs`;

  const getJob = async (jobId: string, deadline: number) => {
    const answer = await session.call('GET', `${jobsUrl}/${encodeURIComponent(jobId)}`, deadline);
    if (!isAnswer(answer)) return answer;
    if (answer.httpStatusCode === 404) return undefined;
    if (answer.httpStatusCode !== 200) return refused(answer);
    if (!isAirbyteJob(answer.body)) return invalidResponse(answer, 'an Airbyte job (JobResponse)');
    return answer.body;
  };

  /** The connection's newest sync, among those started at or after `since` (and `status`, if given). */
  const newestSync = async (connectionId: string, since: number, deadline: number, status?: string) => {
    const query = new URLSearchParams({
      connectionId,
      jobType: 'sync',
      orderBy: 'createdAt|DESC',
      limit: '20',
    });
    if (status !== undefined) query.set('status', status);
    const answer = await session.call('GET', `${jobsUrl}?${query}`, deadline);
    if (!isAnswer(answer)) return answer;
    if (answer.httpStatusCode !== 200) return refused(answer);
    const data = (answer.body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data) || !data.every(isAirbyteJob))
      return invalidResponse(answer, 'a list of Airbyte jobs');
    const since_ = (data as AirbyteJob[]).filter((job) => keyed(job).createdAt >= since);
    return since_
      .map(keyed)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, 1);
  };

  return {
    async status(operation, jobIds) {
      if (operation !== 'GetJob')
        throw new RangeError(`Airbyte has no status operation ${operation} here (GetJob only)`);
      const deadline = session.deadline();
      const jobs: AirbyteJob[] = [];
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

    /** The connection's newest sync started since the wait began: one found is the one waited for. */
    findByKey: ({ jobName, since }) => newestSync(jobName, since ?? 0, session.deadline()),

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
        const running = await newestSync(jobName, 0, deadline, 'running');
        if (!Array.isArray(running)) return running;
        const [job] = running;
        return job ?? { kind: 'transient', errorName: 'HTTP 409 without a running sync' };
      }
      if (answer.httpStatusCode !== 200 && answer.httpStatusCode !== 201) return refused(answer);
      if (!isAirbyteJob(answer.body)) return invalidResponse(answer, 'the triggered job (JobResponse)');
      return keyed(answer.body);
    },

    async cancel(jobIds) {
      const deadline = session.deadline();
      const cancelled: string[] = [];
      const failures: string[] = [];
      await inTurn(jobIds, async (id) => {
        const answer = await session.call('DELETE', `${jobsUrl}/${encodeURIComponent(id)}`, deadline);
        if (!isAnswer(answer))
          failures.push(
            `${id}: ${'kind' in answer ? answer.errorName : 'error' in answer ? answer.error.name : 'error'}`,
          );
        else if (answer.httpStatusCode !== 200 && answer.httpStatusCode !== 204)
          failures.push(`${id}: HTTP ${answer.httpStatusCode}`);
        else cancelled.push(id);
        return false;
      });
      return { cancelled, failures };
    },
  };
}
