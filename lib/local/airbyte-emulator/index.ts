import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, loopbackOrigin } from '../loopback-server';
import type { Clock } from '../virtual-clock';

/**
 * Airbyte's public API job endpoints (reference.airbyte.com) on 127.0.0.1, on the virtual clock:
 * - `POST /v1/applications/token` (Cloud) and `POST /api/v1/applications/token` (self-managed): client
 *   credentials for a bearer token that expires (`expires_in`, 180 s here, as Airbyte's shortest);
 * - `GET /v1/jobs/{jobId}`, `GET /v1/jobs?connectionId=&jobType=&status=&orderBy=createdAt|DESC&limit=`,
 *   `POST /v1/jobs { connectionId, jobType }` (409 while the connection has a sync pending or running),
 *   `DELETE /v1/jobs/{jobId}` (a pending or running job is cancelled) - under `/v1` for Cloud or
 *   `/api/public/v1` for self-managed.
 * Jobs: pending, then running, then succeeded or failed as told; with `incompleteSeconds`, a failed attempt
 * (`incomplete`) first. Expired or missing tokens get 401 when credentials are set.
 */

export interface AirbyteSyncSpec {
  /** @default 10 */
  readonly pendingSeconds?: number;
  /** @default 300 */
  readonly runSeconds?: number;
  /** @default 'succeeded' */
  readonly outcome?: 'succeeded' | 'failed';
  /** Seconds of `incomplete` (an attempt failed, Airbyte retries) in the middle of the run. */
  readonly incompleteSeconds?: number;
  /** A status Airbyte does not document, reported while running (to see a wait fail closed). */
  readonly runningStatus?: string;
}

export interface AirbyteFaults {
  readonly throttleProbability?: number;
  readonly retryAfterSeconds?: number;
  readonly serverErrorNext?: number;
  /** The next N sync triggers create the job but their answer is lost (the connection is destroyed). */
  readonly dropTriggerAnswerNext?: number;
  /** The next N refused token requests echo the request body (a misconfigured proxy's error page). */
  readonly echoTokenRequestNext?: number;
}

export interface AirbyteEmulatorOptions {
  readonly clock: Clock;
  /** Client credentials the token endpoint accepts; the API is open without them. */
  readonly credentials?: { clientId: string; clientSecret: string };
  /** @default 180 */
  readonly tokenLifetimeSeconds?: number;
  readonly random?: () => number;
}

interface EmulatedSync {
  id: number;
  connectionId: string;
  createdAt: number;
  spec: Required<Omit<AirbyteSyncSpec, 'runningStatus'>> & Pick<AirbyteSyncSpec, 'runningStatus'>;
  cancelledAt?: number;
}

export class AirbyteEmulator {
  private readonly server: Server;
  private readonly jobs = new Map<number, EmulatedSync>();
  private readonly tokens = new Map<string, number>();
  private readonly connections = new Map<string, AirbyteSyncSpec>();
  private nextId = 1000;
  private faults: AirbyteFaults = {};
  readonly requests: { method: string; path: string; at: number; status: number }[] = [];
  throttledCalls = 0;

  private constructor(private readonly options: AirbyteEmulatorOptions) {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  static async start(options: AirbyteEmulatorOptions): Promise<AirbyteEmulator> {
    const emulator = new AirbyteEmulator(options);
    await listenOnLoopback(emulator.server);
    return emulator;
  }

  get origin(): string {
    return loopbackOrigin(this.server, 'the Airbyte emulator');
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  setFaults(faults: AirbyteFaults): void {
    this.faults = { ...faults };
  }

  /** A connection syncs can be triggered for, and how its syncs run. */
  addConnection(connectionId: string, spec: AirbyteSyncSpec = {}): void {
    this.connections.set(connectionId, spec);
  }

  /** A sync started by Airbyte itself (its schedule, the UI); its id. */
  startSync(connectionId: string, spec: AirbyteSyncSpec = {}): string {
    if (!this.connections.has(connectionId)) this.connections.set(connectionId, spec);
    const id = ++this.nextId;
    this.jobs.set(id, {
      id,
      connectionId,
      createdAt: this.options.clock.now(),
      spec: {
        pendingSeconds: spec.pendingSeconds ?? 10,
        runSeconds: spec.runSeconds ?? 300,
        outcome: spec.outcome ?? 'succeeded',
        incompleteSeconds: spec.incompleteSeconds ?? 0,
        ...(spec.runningStatus === undefined ? {} : { runningStatus: spec.runningStatus }),
      },
    });
    return String(id);
  }

  /** The job as `GET /v1/jobs/{id}` returns it now, or undefined (404). */
  job(jobId: string): Record<string, unknown> | undefined {
    const job = this.jobs.get(Number(jobId));
    return job === undefined ? undefined : this.view(job);
  }

  /** Syncs of a connection, newest first. */
  syncsOf(connectionId: string): Record<string, unknown>[] {
    return [...this.jobs.values()]
      .filter((job) => job.connectionId === connectionId)
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
      .map((job) => this.view(job));
  }

  private statusOf(job: EmulatedSync, now: number): { status: string; at: number } {
    const started = job.createdAt + job.spec.pendingSeconds * 1000;
    const ended = started + (job.spec.runSeconds + job.spec.incompleteSeconds) * 1000;
    if (job.cancelledAt !== undefined && job.cancelledAt < ended)
      return { status: 'cancelled', at: job.cancelledAt };
    if (now < started) return { status: 'pending', at: job.createdAt };
    if (now < ended) {
      const incompleteFrom = started + (job.spec.runSeconds / 2) * 1000;
      if (
        job.spec.incompleteSeconds > 0 &&
        now >= incompleteFrom &&
        now < incompleteFrom + job.spec.incompleteSeconds * 1000
      ) {
        return { status: 'incomplete', at: incompleteFrom };
      }
      return { status: job.spec.runningStatus ?? 'running', at: started };
    }
    return { status: job.spec.outcome, at: ended };
  }

  private view(job: EmulatedSync): Record<string, unknown> {
    const now = this.options.clock.now();
    const { status, at } = this.statusOf(job, now);
    const finished = status === 'succeeded' || status === 'failed' || status === 'cancelled';
    const seconds = Math.max(0, Math.round(((finished ? at : now) - job.createdAt) / 1000));
    return {
      jobId: job.id,
      status,
      jobType: 'sync',
      connectionId: job.connectionId,
      startTime: new Date(job.createdAt).toISOString(),
      lastUpdatedAt: new Date(finished ? at : now).toISOString(),
      duration: `PT${Math.floor(seconds / 60)}M${seconds % 60}S`,
      bytesSynced: status === 'succeeded' ? 1_048_576 : 0,
      rowsSynced: status === 'succeeded' ? 12_000 : 0,
    };
  }

  private take(key: 'serverErrorNext' | 'dropTriggerAnswerNext' | 'echoTokenRequestNext'): boolean {
    const left = this.faults[key] ?? 0;
    if (left <= 0) return false;
    this.faults = { ...this.faults, [key]: left - 1 };
    return true;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => this.answer(request, Buffer.concat(chunks).toString('utf8'), response));
  }

  private answer(request: IncomingMessage, text: string, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const record = {
      method: request.method ?? '',
      path: url.pathname,
      at: this.options.clock.now(),
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      response.writeHead(status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      });
      response.end(body === undefined ? '' : JSON.stringify(body));
    };
    const now = this.options.clock.now();
    const chance = this.faults.throttleProbability ?? 0;
    if (chance > 0 && (this.options.random ?? Math.random)() < chance) {
      this.throttledCalls++;
      const after = this.faults.retryAfterSeconds;
      send(
        429,
        { message: 'Too many requests' },
        after === undefined ? {} : { 'retry-after': String(after) },
      );
      return;
    }
    if (this.take('serverErrorNext')) {
      send(503, { message: 'Service unavailable' });
      return;
    }
    let body: Record<string, unknown> = {};
    if (text !== '') {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        send(400, { message: 'the body is not JSON' });
        return;
      }
    }
    const path = url.pathname
      .replace(/^\/api\/public/, '')
      .replace(/^\/api\/v1\/applications/, '/v1/applications');
    if (request.method === 'POST' && path === '/v1/applications/token') {
      const expected = this.options.credentials;
      if (
        expected === undefined ||
        body.client_id !== expected.clientId ||
        body.client_secret !== expected.clientSecret
      ) {
        send(401, {
          message: 'Invalid client credentials',
          ...(this.take('echoTokenRequestNext') ? { request: text } : {}),
        });
        return;
      }
      const token = randomUUID();
      const lifetime = this.options.tokenLifetimeSeconds ?? 180;
      this.tokens.set(token, now + lifetime * 1000);
      send(200, { access_token: token, token_type: 'Bearer', expires_in: lifetime });
      return;
    }
    if (this.options.credentials !== undefined) {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const expires = token === undefined ? undefined : this.tokens.get(token);
      if (expires === undefined || now >= expires) {
        send(401, { message: 'Unauthorized' });
        return;
      }
    }
    const one = /^\/v1\/jobs\/(\d+)$/.exec(path);
    if (one !== null) {
      const job = this.jobs.get(Number(one[1]));
      if (job === undefined) {
        send(404, { message: `job ${one[1]} not found` });
        return;
      }
      if (request.method === 'DELETE') {
        const { status } = this.statusOf(job, now);
        if (status === 'pending' || status === 'running' || status === 'incomplete') job.cancelledAt = now;
      } else if (request.method !== 'GET') {
        send(405);
        return;
      }
      send(200, this.view(job));
      return;
    }
    if (path !== '/v1/jobs') {
      send(404, { message: 'not found' });
      return;
    }
    if (request.method === 'GET') {
      const connectionId = url.searchParams.get('connectionId');
      const status = url.searchParams.get('status');
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const jobType = url.searchParams.get('jobType');
      // Airbyte lists oldest first unless asked otherwise (orderBy createdAt|ASC by default).
      const newestFirst = url.searchParams.get('orderBy') === 'createdAt|DESC';
      const listed =
        connectionId === null
          ? [...this.jobs.values()].map((job) => this.view(job))
          : this.syncsOf(connectionId);
      const data = (newestFirst ? listed : [...listed].reverse())
        .filter((job) => jobType === null || job.jobType === jobType)
        .filter((job) => status === null || job.status === status)
        .slice(0, limit);
      send(200, { data, previous: null, next: null });
      return;
    }
    if (request.method === 'POST') {
      const connectionId = body.connectionId;
      if (
        typeof connectionId !== 'string' ||
        !this.connections.has(connectionId) ||
        body.jobType !== 'sync'
      ) {
        send(typeof connectionId === 'string' && !this.connections.has(connectionId) ? 404 : 400, {
          message: 'connectionId must name a connection, jobType must be sync',
        });
        return;
      }
      const active = this.syncsOf(connectionId).find(
        (job) => job.status === 'pending' || job.status === 'running' || job.status === 'incomplete',
      );
      if (active !== undefined) {
        send(409, { message: `a sync is already running for connection ${connectionId}` });
        return;
      }
      const id = this.startSync(connectionId, this.connections.get(connectionId));
      if (this.take('dropTriggerAnswerNext')) {
        response.socket?.destroy();
        record.status = -1;
        return;
      }
      send(200, this.job(id));
      return;
    }
    send(405);
  }
}
