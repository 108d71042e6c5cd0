import type { DqopsJob } from '../../waiters/dqops/jobs';
import { type HttpSystemOptions, httpSession, isFailure } from '../http-session';
import type { JobSystemIO, KeyedJob } from '../job-system-io';
import { secretField } from '../secrets';

/**
 * DQOps' I/O (dqops/dqo JobsController): `GET /api/jobs/jobs/{jobId}` per job (the path segment may be a
 * business key: DQOps looks keys up first), `DELETE` of the same path to cancel (204 whatever the job's
 * state). The API key goes as `Authorization: Bearer <key>` (AuthenticateWithDqoCloudWebFilter); a DQOps
 * without authentication takes calls without one. The short `GET` is used, never the `/wait` long-poll,
 * which would hold the Lambda and answers 500 for failed jobs.
 */
/** `secret` holds the API key (plain, or JSON `{ "apiKey": ... }`); absent for an open DQOps. */
export type DqopsIoOptions = HttpSystemOptions;

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

  // A 401 reads the secret again (it may have rotated); answers never carry the key on.
  const session = httpSession({
    fetch: options.fetch,
    now,
    ...(options.wallClock === undefined ? {} : { wallClock: options.wallClock }),
    ...(options.secret === undefined
      ? {}
      : {
          credential: async (rejected: string | undefined) => {
            const { secretArn, source } = options.secret as NonNullable<DqopsIoOptions['secret']>;
            const value = await (rejected !== undefined ? source.refresh() : source.read());
            if (typeof value !== 'string') return value;
            return secretField(value, 'apiKey', secretArn, true);
          },
        }),
  });
  const getJob = (idOrKey: string, deadline: number) =>
    session.getJob(jobUrl(idOrKey), deadline, isDqopsJob, 'a DQOps job (DqoJobHistoryEntryModel)');

  return {
    async status(operation, jobIds) {
      if (operation !== 'GetJob')
        throw new RangeError(`DQOps has no status operation ${operation} here (GetJob only)`);
      return session.statusRound(jobIds, getJob);
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

    cancel: (jobIds) => session.cancelRound(jobIds, jobUrl),
  };
}
