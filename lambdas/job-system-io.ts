import type { PollObservation, StatusCallResult } from '../waiters';

/**
 * The I/O half of a job system, what the poller calls: its status call, and optionally the lookup of a
 * business key and the judging of a failed submit. Each system implements it in lambdas/<system>/ with an
 * injected client; the poller knows no system by name.
 */

/** A call that failed in a way worth retrying later (throttled, or transient: 5xx, network, timeout). */
export type RetryableFailure = Extract<PollObservation, { kind: 'throttled' | 'transient' }>;

/** How the machine's submit task failed, judged by the system whose API refused it. */
export type SubmitFailure = Extract<PollObservation, { kind: 'submitFailed' }>;

/** A job a business-key lookup found; `status` is the system's own word. */
export interface KeyedJob {
  jobId: string;
  /** Epoch milliseconds: the newest job with the key is the one a wait attaches to. */
  createdAt: number;
  status?: string;
  /** When a finished job ended (epoch ms), where the system says. */
  endedAt?: number;
}

/** What a business-key wait asks for (the request's target, with its defaults filled in). */
export interface BusinessKeyTarget {
  jobName: string;
  /** Where the key is looked up, for a system that scopes keys by queue (a Batch job queue). */
  jobQueue?: string;
  newest: boolean;
  /**
   * When the wait began (epoch ms), less FIRST_POLL_LAG_MS: a system whose keys name a stream of jobs
   * (Airbyte) looks from here.
   */
  since?: number;
  /** The wait's first poll (epoch ms): a job that had already ended by then is not the wait's. */
  notEndedBefore?: number;
}

/**
 * How long a wait's first poll may come after the wait began: the Poll task retries a failing invocation
 * up to nine times (backoff 2 s doubling to 60 s, each attempt up to the poller's 30 s: about 6 minutes),
 * and the state's `startedAt` is stamped by the poll that finally ran. A job started within this margin
 * before it still belongs to the wait, unless it had ended before that poll.
 */
export const FIRST_POLL_LAG_MS = 10 * 60_000;

/**
 * How the machine's submit task failed, as its Catch recorded it (Step Functions' `{ Error, Cause }`).
 */
export interface CaughtSubmitError {
  Error?: unknown;
  Cause?: unknown;
}

export interface JobSystemIO {
  /**
   * One status call for up to 100 jobs, with the operation the current stage's waiter names (the model's
   * `operation`; the config check ensures the system implements it). Never retries and never sleeps.
   */
  status(operation: string, jobIds: readonly string[]): Promise<RetryableFailure | StatusCallResult>;
  /** Every job with exactly this business key; absent for a system whose jobs have no key. */
  findByKey?(target: BusinessKeyTarget): Promise<RetryableFailure | StatusCallResult | KeyedJob[]>;
  /**
   * Starts the job of a business key from the poller (Airbyte: a connection's sync), for a waiter that
   * triggers: the job it started, or the one already running that it attaches to.
   */
  trigger?(target: BusinessKeyTarget): Promise<RetryableFailure | StatusCallResult | KeyedJob>;
  /** Judges the machine's failed submit call; absent for a system the machine cannot submit to. */
  judgeSubmitError?(caught: CaughtSubmitError): SubmitFailure;
  /**
   * Cancels the jobs (cancelJobOnTimeout) from the poller, for a system the state machine cannot call
   * itself: the ids it cancelled, and each failure (`<id>: <why>`). Absent where the machine cancels
   * (Batch's TerminateJob).
   */
  cancel?(jobIds: readonly string[]): Promise<{ cancelled: string[]; failures: string[] }>;
}

/** The I/O of each system a poller may meet, by system id and (for an HTTP API) the config's endpoint. */
export type JobSystemIOs = (systemId: string, endpoint?: string) => JobSystemIO;

/** The I/O of the systems given, for tests and local runs; any other id is a bug in the caller. */
export function jobSystemIOs(byId: Readonly<Record<string, JobSystemIO>>): JobSystemIOs {
  return (id, _endpoint) => {
    const io = Object.hasOwn(byId, id) ? byId[id] : undefined;
    if (io === undefined)
      throw new RangeError(`no I/O given for job system ${id} (given: ${Object.keys(byId).join(', ')})`);
    return io;
  };
}
