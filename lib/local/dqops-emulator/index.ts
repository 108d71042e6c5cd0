import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DqopsSeverity } from '../../../waiters/dqops/jobs';
import { closeServer, listenOnLoopback, loopbackOrigin } from '../loopback-server';
import type { Clock } from '../virtual-clock';

/**
 * DQOps' job endpoints as dqops/dqo serves them (JobsController, DqoJobHistoryEntryModel), on 127.0.0.1
 * and on the virtual clock, for local runs and tests:
 * - `GET /api/jobs/jobs/{jobIdOrBusinessKey}`: the job (camelCase envelope, snake_case run-checks result,
 *   ISO times), looked up by business key first and numeric id second; 404 with an empty body otherwise.
 * - `DELETE /api/jobs/jobs/{...}`: 204 whatever the job's state (a finished job stays as it was); a queued
 *   or running one goes to cancel_requested and, a moment later, cancelled.
 * - With an API key: `Authorization: Bearer <key>` exactly, else 401 with an empty body.
 * - Finished jobs stay in an in-memory history for `historySeconds` (DQOps' default 3,600 s), then answer 404.
 */

export interface DqopsJobSpec {
  /** Seconds in `queued` (then `running`). @default 5 */
  readonly queuedSeconds?: number;
  /** Seconds in `running` before the outcome. @default 60 */
  readonly runSeconds?: number;
  /** @default 'finished' */
  readonly outcome?: 'finished' | 'failed';
  /** @default 'run_checks' */
  readonly jobType?: string;
  /** The run-checks result's highest severity (finished run-checks jobs only). @default 'valid' */
  readonly highestSeverity?: DqopsSeverity;
  /** A status DQOps does not document, reported while running (to see a wait fail closed). */
  readonly runningStatus?: string;
}

export interface DqopsFaults {
  /** The next N requests answer 429 (with Retry-After when `retryAfterSeconds` is set). */
  readonly throttleNext?: number;
  /** Chance (0..1) that a request answers 429, drawn with the emulator's `random`. */
  readonly throttleProbability?: number;
  readonly retryAfterSeconds?: number;
  /** The next N requests answer 503. */
  readonly serverErrorNext?: number;
  /** The next N requests answer 200 with a body that is not JSON (a proxy's error page). */
  readonly garbageNext?: number;
  /** The next N requests are refused with 401 whatever their key (a key rotated mid-wait). */
  readonly unauthorizedNext?: number;
  /** The next N requests get a 401 whose body echoes the request's headers (a proxy's debug error page). */
  readonly echoHeadersNext?: number;
  /** The next N DELETEs answer 503 (GETs are answered). */
  readonly failDeletesNext?: number;
  /** The next N requests are never answered (a hung DQOps); the connection stays open until the caller gives up. */
  readonly hangNext?: number;
}

export interface DqopsEmulatorOptions {
  readonly clock: Clock;
  /** Required as a bearer token when set (DQOps with authentication); open when absent. */
  readonly apiKey?: string;
  /** @default 3600 (dqo.queue.keep-finished-jobs-history-seconds) */
  readonly historySeconds?: number;
  /** Chance for `throttleProbability`; seeded in local runs. @default Math.random */
  readonly random?: () => number;
}

interface EmulatedDqopsJob {
  id: number;
  businessKey?: string;
  spec: Required<Omit<DqopsJobSpec, 'runningStatus'>> & Pick<DqopsJobSpec, 'runningStatus'>;
  createdAt: number;
  cancelRequestedAt?: number;
}

/** Seconds between a cancel request and `cancelled` (the worker notices it). */
const CANCEL_SECONDS = 2;

export class DqopsEmulator {
  private readonly server: Server;
  private readonly jobs = new Map<number, EmulatedDqopsJob>();
  private nextCounter = 0;
  private faults: DqopsFaults = {};
  /** Every request, in order: method, path, the virtual time it came, and the HTTP status it got. */
  readonly requests: { method: string; path: string; at: number; status: number }[] = [];
  /** Requests answered 429. */
  throttledCalls = 0;

  private apiKey: string | undefined;

  private constructor(private readonly options: DqopsEmulatorOptions) {
    this.apiKey = options.apiKey;
    this.server = createServer((request, response) => this.handle(request, response));
  }

  /** Starts listening on an ephemeral port of 127.0.0.1 (never another interface). */
  static async start(options: DqopsEmulatorOptions): Promise<DqopsEmulator> {
    const emulator = new DqopsEmulator(options);
    await listenOnLoopback(emulator.server);
    return emulator;
  }

  /** The origin to send DQOps calls to, e.g. `http://127.0.0.1:51234`. */
  get origin(): string {
    return loopbackOrigin(this.server, 'the DQOps emulator');
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  setFaults(faults: DqopsFaults): void {
    this.faults = { ...faults };
  }

  /**
   * A job started in DQOps (by DQOps' scheduler, its UI, or a run-checks call), returned as its id. Ids
   * follow DqoJobIdGeneratorImpl: epoch seconds x 1,000,000 plus a counter.
   */
  startJob(spec: DqopsJobSpec = {}, businessKey?: string): string {
    const createdAt = this.options.clock.now();
    const id = Math.floor(createdAt / 1000) * 1_000_000 + ++this.nextCounter;
    this.jobs.set(id, {
      id,
      ...(businessKey === undefined ? {} : { businessKey }),
      createdAt,
      spec: {
        queuedSeconds: spec.queuedSeconds ?? 5,
        runSeconds: spec.runSeconds ?? 60,
        outcome: spec.outcome ?? 'finished',
        jobType: spec.jobType ?? 'run_checks',
        highestSeverity: spec.highestSeverity ?? 'valid',
        ...(spec.runningStatus === undefined ? {} : { runningStatus: spec.runningStatus }),
      },
    });
    return String(id);
  }

  /** The job as GET returns it now, or undefined once DQOps would answer 404. */
  job(idOrKey: string): Record<string, unknown> | undefined {
    const job = this.find(idOrKey);
    return job === undefined ? undefined : this.view(job);
  }

  private statusOf(job: EmulatedDqopsJob, now: number): { status: string; changedAt: number } {
    const started = job.createdAt + job.spec.queuedSeconds * 1000;
    const ended = started + job.spec.runSeconds * 1000;
    if (job.cancelRequestedAt !== undefined && job.cancelRequestedAt < ended) {
      const cancelledAt = job.cancelRequestedAt + CANCEL_SECONDS * 1000;
      if (now >= cancelledAt) return { status: 'cancelled', changedAt: cancelledAt };
      return { status: 'cancel_requested', changedAt: job.cancelRequestedAt };
    }
    if (now < started) return { status: 'queued', changedAt: job.createdAt };
    if (now < ended) return { status: job.spec.runningStatus ?? 'running', changedAt: started };
    return { status: job.spec.outcome, changedAt: ended };
  }

  /** Business key first, then the numeric id (JobsController.findJobId); forgotten jobs are gone. */
  private find(idOrKey: string): EmulatedDqopsJob | undefined {
    const now = this.options.clock.now();
    const history = (this.options.historySeconds ?? 3_600) * 1000;
    const alive = (job: EmulatedDqopsJob) => {
      const { status, changedAt } = this.statusOf(job, now);
      const finished = status === 'finished' || status === 'failed' || status === 'cancelled';
      return !finished || now - changedAt < history;
    };
    // One key -> job map, the newest job with the key replacing the older; a purged job answers 404.
    const byKey = [...this.jobs.values()].filter((job) => job.businessKey === idOrKey).at(-1);
    if (byKey !== undefined) return alive(byKey) ? byKey : undefined;
    const byId = /^\d+$/.test(idOrKey) ? this.jobs.get(Number(idOrKey)) : undefined;
    return byId !== undefined && alive(byId) ? byId : undefined;
  }

  private view(job: EmulatedDqopsJob): Record<string, unknown> {
    const { status, changedAt } = this.statusOf(job, this.options.clock.now());
    const iso = (ms: number) => new Date(ms).toISOString();
    const view: Record<string, unknown> = {
      jobId: {
        jobId: job.id,
        ...(job.businessKey === undefined ? {} : { jobBusinessKey: job.businessKey }),
        createdAt: iso(job.createdAt),
      },
      jobType: job.spec.jobType,
      status,
      statusChangedAt: iso(changedAt),
      dataDomain: '',
    };
    if (status === 'failed') view.errorMessage = 'DqoQueueJobExecutionException: the check run failed';
    if (status === 'finished' && job.spec.jobType === 'run_checks') {
      const severity = job.spec.highestSeverity;
      const counts = { warning: 0, error: 0, fatal: 0, [severity]: 1 } as Record<string, number>;
      view.parameters = {
        runChecksParameters: {
          run_checks_result: {
            highest_severity: severity,
            executed_checks: 10,
            valid_results: 10 - (counts.warning ?? 0) - (counts.error ?? 0) - (counts.fatal ?? 0),
            warnings: counts.warning,
            errors: counts.error,
            fatals: counts.fatal,
            execution_errors: 0,
          },
        },
      };
    }
    return view;
  }

  /** Rotates the API key DQOps accepts (the old one is refused from now on). */
  setApiKey(apiKey: string): void {
    this.apiKey = apiKey;
  }

  private takeFault(
    key:
      | 'throttleNext'
      | 'serverErrorNext'
      | 'garbageNext'
      | 'unauthorizedNext'
      | 'echoHeadersNext'
      | 'failDeletesNext'
      | 'hangNext',
  ): boolean {
    const left = this.faults[key] ?? 0;
    if (left <= 0) return false;
    this.faults = { ...this.faults, [key]: left - 1 };
    return true;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const record = { method: request.method ?? '', path, at: this.options.clock.now(), status: 0 };
    this.requests.push(record);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      });
      response.end(text);
    };
    const chance = this.faults.throttleProbability ?? 0;
    if (this.takeFault('throttleNext') || (chance > 0 && (this.options.random ?? Math.random)() < chance)) {
      this.throttledCalls++;
      const after = this.faults.retryAfterSeconds;
      send(429, undefined, after === undefined ? {} : { 'retry-after': String(after) });
      return;
    }
    if (this.takeFault('serverErrorNext')) {
      send(503);
      return;
    }
    if (this.takeFault('hangNext')) return;
    if (this.takeFault('echoHeadersNext')) {
      send(
        401,
        `<html><body>401 at the proxy; your request: ${JSON.stringify(request.headers)}</body></html>`,
      );
      return;
    }
    const key = this.apiKey;
    if (
      this.takeFault('unauthorizedNext') ||
      (key !== undefined && request.headers.authorization !== `Bearer ${key}`)
    ) {
      send(401);
      return;
    }
    const match = /^\/api\/jobs\/jobs\/([^/]+)$/.exec(path);
    if (match === null) {
      send(404);
      return;
    }
    let idOrKey: string;
    try {
      idOrKey = decodeURIComponent(match[1] as string);
    } catch {
      send(400);
      return;
    }
    if (request.method === 'DELETE' && this.takeFault('failDeletesNext')) {
      send(503);
      return;
    }
    if (request.method === 'DELETE') {
      const job = this.find(idOrKey);
      const now = this.options.clock.now();
      if (job !== undefined && job.cancelRequestedAt === undefined) {
        const { status } = this.statusOf(job, now);
        if (status === 'queued' || status === 'running' || status === job.spec.runningStatus)
          job.cancelRequestedAt = now;
      }
      send(204);
      return;
    }
    if (request.method !== 'GET') {
      send(405);
      return;
    }
    if (this.takeFault('garbageNext')) {
      record.status = 200;
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    const job = this.find(idOrKey);
    if (job === undefined) {
      send(404);
      return;
    }
    send(200, this.view(job));
  }
}
