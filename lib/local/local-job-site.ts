/**
 * A job system's stand-in on 127.0.0.1, as local runs, the fault suite and the benchmark use it: they put
 * simulated jobs there, inject faults and read what was asked, without knowing which system it is. Each
 * system other than Batch registers one (lib/local/local-job-systems.ts, LOCAL_JOB_SITES).
 */
export interface LocalJobSite {
  /** Where the poller's calls go (its deployed base URL is rewritten to it). */
  readonly origin: string;
  /**
   * Puts a job there that queues, then runs, then ends as told; its id, as the system numbers it. A
   * business key makes it findable by that key.
   */
  startJob(
    spec: { queuedSeconds: number; runSeconds: number; outcome?: 'succeeded' | 'failed' },
    businessKey?: string,
  ): string;
  /** The business key this system would use for a name (DQOps: the name; Airbyte: a connection UUID). */
  businessKeyFor(name: string): string;
  /** When the job ended (epoch ms of the clock), or undefined while it has not. */
  stoppedAt(jobId: string): number | undefined;
  /**
   * Faults from now on: a share of calls throttled (429, with Retry-After when given; drawn with the
   * site's seeded random), and the next `serverErrors` calls failing (5xx).
   */
  setFaults(faults: {
    throttleProbability?: number;
    retryAfterSeconds?: number;
    serverErrors?: number;
  }): void;
  /** Every status call: when (clock ms) and how it was answered (429 throttled, 5xx error, else ok). */
  statusCalls(): { at: number; outcome: 'ok' | 'throttled' | 'error' }[];
  readonly throttledCalls: number;
}
