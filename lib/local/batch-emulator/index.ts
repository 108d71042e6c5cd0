import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../loopback-server';
import type { Clock } from '../virtual-clock';
import { BatchArns } from './arns';
import { BatchApiError, clientError, serverError, throttlingError, unknownOperationError } from './errors';
import { type BatchFaults, FaultInjector } from './faults';
import { describeJob, type EmulatedJobDetail } from './job-view';
import { isArrayChild, JobStore, jobNameProblem, type SubmitJobInput } from './jobs';
import { type JobSpec, type ResolvedJobSpec, resolveJobSpec } from './lifecycle';
import { type BatchOperation, OPERATION_PATHS, operationAt, runOperation } from './operations';
import {
  type JobDefinition,
  type JobDefinitionRegistration,
  type JobQueue,
  type JobQueueRegistration,
  ResourceRegistry,
} from './registry';
import { parseJsonObject } from './request';
import { Scheduler } from './schedule';
import { createJob, type JobTarget, runnableDefinition, type SubmitContext } from './submit-job';

export type { ContainerSettings, EnvironmentVariable, ResourceRequirement } from './container';
export type { BatchFaults } from './faults';
export type {
  EmulatedArrayProperties,
  EmulatedAttempt,
  EmulatedContainer,
  EmulatedJobDetail,
  EmulatedJobSummary,
} from './job-view';
export type { JobDependency, SubmitJobInput } from './jobs';
export {
  ARRAY_CHILD_FAILED,
  ATTEMPT_TIMED_OUT,
  type AttemptSpec,
  DEFAULT_DURATIONS,
  DEPENDENCY_FAILED,
  ESSENTIAL_CONTAINER_EXITED,
  JOB_STATUSES,
  type JobOutcome,
  type JobSpec,
  type JobStatus,
  KILLED_EXIT_CODE,
  type PhaseDurations,
} from './lifecycle';
export { LIST_JOBS_PAGE_LIMIT } from './list-jobs';
export { type BatchOperation, DESCRIBE_JOBS_LIMIT, OPERATION_PATHS } from './operations';
export type {
  JobDefinition,
  JobDefinitionRegistration,
  JobDefinitionStatus,
  JobDefinitionType,
  JobQueue,
  JobQueueRegistration,
  JobQueueState,
} from './registry';
export type { EvaluateOnExit, JobTimeout, RetryStrategy } from './retry-strategy';
export { ARRAY_SIZE, type JobTarget, MAX_DEPENDENCIES } from './submit-job';

export interface BatchEmulatorOptions {
  /** Time as the jobs see it; a VirtualClock in local runs, so advancing it moves the jobs. */
  readonly clock: Clock;
  /** Default `us-east-1`; used in ARNs. */
  readonly region?: string;
  /** Default `123456789012`; used in ARNs. */
  readonly accountId?: string;
  /** How every job behaves unless `jobSpecFor` or the seed says otherwise. */
  readonly defaultJobSpec?: JobSpec;
  /**
   * How a job created by SubmitJob behaves, decided from the request (and, for each child of an array job,
   * its index); layered over `defaultJobSpec`.
   */
  readonly jobSpecFor?: (request: SubmitJobInput, target: JobTarget) => JobSpec | undefined;
  /**
   * The job queues SubmitJob may use, by name or ARN (ENABLED), or with a state; a queue Batch does not know
   * is refused. More with {@link BatchEmulator.registerJobQueue}.
   */
  readonly jobQueues?: readonly (string | JobQueueRegistration)[];
  /**
   * The job definitions SubmitJob may use: `name` (revision 1, or the next one), `name:revision`, an ARN, or
   * a registration with its status and type. More with {@link BatchEmulator.registerJobDefinition}.
   */
  readonly jobDefinitions?: readonly (string | JobDefinitionRegistration)[];
  readonly faults?: BatchFaults;
  /**
   * Sees every request and the answer it got (for logs, or to check answers against Batch's service
   * model in tests); a lost response (dropResponses) is reported with the answer that was not sent.
   */
  readonly onExchange?: (exchange: BatchExchange) => void;
  /** Source of randomness for probabilistic faults, in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/**
 * A job put straight into the emulator, as if submitted now; every field has a default. Its queue and
 * definition are registered when the emulator has never heard of them.
 */
export interface JobSeed extends JobSpec {
  readonly jobId?: string;
  readonly jobName?: string;
  /** Default `local-queue`. */
  readonly jobQueue?: string;
  /** Default `local-job-definition` (its latest ACTIVE revision). */
  readonly jobDefinition?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

/** `dropped`: processed, but the connection was destroyed instead of answering (the dropResponses fault). */
export type CallOutcome = 'ok' | 'throttled' | 'error' | 'dropped';

/** A request and its answer, as {@link BatchEmulatorOptions.onExchange} sees them. */
export interface BatchExchange {
  readonly operation: BatchOperation | 'Unknown';
  /** The request body as parsed, or undefined if it was no JSON object. */
  readonly request: unknown;
  readonly httpStatus: number;
  /** The `x-amzn-errortype` of an error answer. */
  readonly errorType?: string;
  /** The answer's body (what the SDK deserializes). */
  readonly response: unknown;
}

/** One request the emulator answered. */
export interface CallRecord {
  /** `Unknown` for a method and path that is no emulated operation. */
  readonly operation: BatchOperation | 'Unknown';
  /** The clock's reading when the request was answered, epoch ms. */
  readonly at: number;
  readonly outcome: CallOutcome;
  /** For a dropped response, the status the lost answer would have had. */
  readonly httpStatus: number;
  /** The error name sent in `x-amzn-errortype`, for a failed call. */
  readonly errorType?: string;
}

/** Defaults for jobs seeded with {@link BatchEmulator.addJob}. */
const SEED_QUEUE = 'local-queue';
const SEED_DEFINITION = 'local-job-definition';

/** Batch's request bodies are small; a larger one is a mistake, not something to buffer. */
const MAX_BODY_BYTES = 1024 * 1024;

interface Answer {
  readonly status: number;
  readonly body: object;
  readonly errorType?: string;
  /** Whether Batch processed the request (no injected throttle or 5xx stopped it first). */
  readonly processed?: boolean;
}

/**
 * A local AWS Batch speaking the real REST-JSON protocol on 127.0.0.1, so the unmodified
 * `@aws-sdk/client-batch` talks to it through `endpoint`. Jobs move SUBMITTED -> PENDING -> RUNNABLE ->
 * STARTING -> RUNNING -> SUCCEEDED | FAILED as the injected clock moves; faults can be injected.
 */
export class BatchEmulator {
  private readonly server: Server;
  private readonly store: JobStore;
  private readonly registry: ResourceRegistry;
  private readonly scheduler: Scheduler;
  private readonly faultInjector: FaultInjector;
  private readonly log: CallRecord[] = [];
  private seeded = 0;

  private constructor(private readonly options: BatchEmulatorOptions) {
    resolveJobSpec(options.defaultJobSpec); // Refuses a bad default spec now rather than on the first job.
    const arns = new BatchArns(options.region ?? 'us-east-1', options.accountId ?? '123456789012');
    this.store = new JobStore(arns);
    this.registry = new ResourceRegistry(arns);
    this.scheduler = new Scheduler(this.store);
    for (const queue of options.jobQueues ?? []) this.registerJobQueue(queue);
    for (const definition of options.jobDefinitions ?? []) this.registerJobDefinition(definition);
    this.faultInjector = new FaultInjector(options.faults ?? {}, options.random ?? Math.random);
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  /** Starts listening on an ephemeral port of 127.0.0.1 (never another interface). */
  static async start(options: BatchEmulatorOptions): Promise<BatchEmulator> {
    const emulator = new BatchEmulator(options);
    await new Promise<void>((resolve, reject) => {
      emulator.server.once('error', reject);
      emulator.server.listen(0, '127.0.0.1', () => {
        emulator.server.off('error', reject);
        resolve();
      });
    });
    return emulator;
  }

  /** The `endpoint` to give a BatchClient, e.g. `http://127.0.0.1:51234`. */
  get endpoint(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error('the Batch emulator is not listening');
    return `http://${address.address}:${address.port}`;
  }

  /** Stops listening and drops open connections (SDK clients keep sockets alive). Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  /** Every request answered so far, oldest first. */
  get calls(): readonly CallRecord[] {
    return [...this.log];
  }

  /** How many requests reached one operation (throttled and failed ones included), or all when omitted. */
  callCount(operation?: BatchOperation | 'Unknown'): number {
    return operation === undefined
      ? this.log.length
      : this.log.filter((c) => c.operation === operation).length;
  }

  /** How many requests were answered with a 429. */
  get throttledCalls(): number {
    return this.log.filter((c) => c.outcome === 'throttled').length;
  }

  get faults(): BatchFaults {
    return this.faultInjector.faults;
  }

  /** Replaces the injected faults; `setFaults({})` turns them all off. */
  setFaults(faults: BatchFaults): void {
    this.faultInjector.set(faults);
  }

  /** Every job as DescribeJobs would show it now, in creation order; array children through {@link job}. */
  jobs(): EmulatedJobDetail[] {
    const now = this.options.clock.now();
    return this.store
      .all()
      .filter((job) => !isArrayChild(job))
      .map((job) => describeJob(job, this.scheduler, now));
  }

  /**
   * Changes whenever a job's course may have: a job added, a TerminateJob or CancelJob, a job removed. A
   * reader that worked something out from every job need not work it out again while it stays the same.
   */
  get revision(): string {
    return `${this.store.added}:${this.scheduler.invalidations}`;
  }

  /** Every job (array children included), in creation order, with the first instant after `afterMs` at which its
   * status may change (undefined: it never will). */
  statusChangesAfter(afterMs: number): { jobId: string; at: number | undefined }[] {
    return this.store
      .all()
      .map((job) => ({ jobId: job.jobId, at: this.scheduler.nextChangeAfter(job, afterMs) }));
  }

  /** The first instant after `afterMs` at which one job's status may change (undefined: never, or no such job). */
  nextStatusChangeOf(jobId: string, afterMs: number): number | undefined {
    const job = this.store.get(jobId);
    return job && this.scheduler.nextChangeAfter(job, afterMs);
  }

  /** One job (an array child too) as DescribeJobs would show it at `at`, or undefined. */
  jobAt(jobId: string, at: number): EmulatedJobDetail | undefined {
    const job = this.store.get(jobId);
    return job && describeJob(job, this.scheduler, at);
  }

  /** One job (an array child too: `<parent id>:<index>`) as DescribeJobs would show it now, or undefined. */
  job(jobId: string): EmulatedJobDetail | undefined {
    const job = this.store.get(jobId);
    return job && describeJob(job, this.scheduler, this.options.clock.now());
  }

  /** Adds a job queue (ENABLED unless the registration says otherwise); throws RangeError if it exists. */
  registerJobQueue(queue: string | JobQueueRegistration): JobQueue {
    return asRangeError(() => this.registry.addQueue(typeof queue === 'string' ? { name: queue } : queue));
  }

  /**
   * Adds a job definition revision: the one named (`name:3`, or `revision`), else the next one, as
   * RegisterJobDefinition does. Throws RangeError if that revision exists.
   */
  registerJobDefinition(definition: string | JobDefinitionRegistration): JobDefinition {
    return asRangeError(() =>
      this.registry.addDefinition(typeof definition === 'string' ? { name: definition } : definition),
    );
  }

  /** The queue a name or ARN refers to, whatever its state. */
  jobQueue(nameOrArn: string): JobQueue | undefined {
    return this.registry.queue(nameOrArn);
  }

  /** The revision SubmitJob would look up: the latest ACTIVE one for a bare name, else the one named. */
  jobDefinition(reference: string): JobDefinition | undefined {
    return this.registry.definition(reference);
  }

  /** Whether the revision named (`name:revision`) exists, or any revision of a bare name, active or not. */
  hasJobDefinition(reference: string): boolean {
    return this.registry.hasDefinition(reference);
  }

  /**
   * Creates a job as if SubmitJob had been called now (no request is made or logged); returns its id. A
   * queue or definition name the emulator has never heard of is registered first; one that exists but is
   * DISABLED or INACTIVE is refused as SubmitJob would refuse it (RangeError).
   */
  addJob(seed: JobSeed = {}): string {
    this.seeded += 1;
    const jobName = seed.jobName ?? `seeded-job-${this.seeded}`;
    const problem = jobNameProblem(jobName);
    if (problem) throw new RangeError(problem);
    const input: SubmitJobInput = {
      jobName,
      jobQueue: seed.jobQueue ?? SEED_QUEUE,
      jobDefinition: seed.jobDefinition ?? SEED_DEFINITION,
      ...(seed.parameters === undefined ? {} : { parameters: seed.parameters }),
    };
    if (this.registry.queue(input.jobQueue) === undefined) this.registerJobQueue(input.jobQueue);
    if (!this.registry.hasDefinition(input.jobDefinition)) this.registerJobDefinition(input.jobDefinition);
    const queue = asRangeError(() => this.registry.submittableQueue(input.jobQueue));
    const definition = asRangeError(() =>
      runnableDefinition(this.registry.submittableDefinition(input.jobDefinition)),
    );
    const context: SubmitContext = {
      ...this.submitContext(),
      specFor: () => resolveJobSpec(this.options.defaultJobSpec, seed),
    };
    return createJob(context, {
      input,
      queue,
      definition,
      overrides: {},
      ...(seed.jobId === undefined ? {} : { jobId: seed.jobId }),
    }).jobId;
  }

  /**
   * Deletes a job (an array job with its children), as Batch forgets finished jobs after a while; returns
   * whether it existed. Jobs that depend on it go on as its end (or its not having ended) says.
   */
  removeJob(jobId: string): boolean {
    const job = this.store.get(jobId);
    if (job === undefined) return false;
    this.scheduler.retire(job);
    for (const child of this.store.children(job)) this.store.remove(child.jobId);
    return this.store.remove(jobId);
  }

  /**
   * Pins the status (and optionally the statusReason) DescribeJobs and ListJobs show for a job, whatever
   * the clock says; any string, even one Batch never documented (e.g. `PAUSED`). `null` unpins it.
   */
  setJobStatus(jobId: string, status: string | null, statusReason?: string): void {
    const job = this.store.get(jobId);
    if (!job) throw new RangeError(`no job with id ${jobId}`);
    job.forced =
      status === null ? undefined : { status, ...(statusReason === undefined ? {} : { statusReason }) };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const operation = operationAt(method, path);
    const body = await readRequestBody(request).catch((error) => error as Error);
    const answer = this.answer(operation, method, path, body);
    this.options.onExchange?.({
      operation: operation ?? 'Unknown',
      request: typeof body === 'string' ? parsedOrUndefined(body) : undefined,
      httpStatus: answer.status,
      ...(answer.errorType === undefined ? {} : { errorType: answer.errorType }),
      // As the client receives it: through JSON.
      response: JSON.parse(JSON.stringify(answer.body)),
    });
    if (operation !== undefined && answer.processed && this.faultInjector.dropResponse(operation)) {
      // A lost response: Batch acted, the caller never hears of it.
      this.record(operation, answer, 'dropped');
      response.socket?.destroy();
      return;
    }
    this.record(operation ?? 'Unknown', answer);
    send(response, answer);
  }

  /** Faults come first, before the body is looked at, as a front end throttles before the service runs. */
  private answer(
    operation: BatchOperation | undefined,
    method: string,
    path: string,
    body: string | Error,
  ): Answer {
    try {
      if (operation === undefined) throw unknownOperationError(method, path, Object.values(OPERATION_PATHS));
      if (body instanceof Error) throw body;
      const now = this.options.clock.now();
      const verdict = this.faultInjector.decide(operation, now);
      if (verdict === 'throttle') throw throttlingError();
      if (verdict === 'server-error') throw serverError('injected server error');
    } catch (error) {
      return errorAnswer(error);
    }
    try {
      const context = {
        ...this.submitContext(),
        scheduler: this.scheduler,
        listJobsLagSeconds: this.faultInjector.listJobsLagSeconds,
      };
      return { status: 200, body: runOperation(operation, parseJsonObject(body), context), processed: true };
    } catch (error) {
      return { ...errorAnswer(error), processed: true };
    }
  }

  private submitContext(): SubmitContext {
    return {
      store: this.store,
      registry: this.registry,
      now: this.options.clock.now(),
      specFor: (input, target) => this.specFor(input, target),
    };
  }

  private specFor(input: SubmitJobInput, target: JobTarget): ResolvedJobSpec {
    return resolveJobSpec(this.options.defaultJobSpec, this.options.jobSpecFor?.(input, target));
  }

  private record(operation: BatchOperation | 'Unknown', answer: Answer, dropped?: 'dropped'): void {
    const outcome: CallOutcome =
      dropped ?? (answer.status === 200 ? 'ok' : answer.status === 429 ? 'throttled' : 'error');
    this.log.push({
      operation,
      at: this.options.clock.now(),
      outcome,
      httpStatus: answer.status,
      ...(answer.errorType === undefined ? {} : { errorType: answer.errorType }),
    });
  }
}

/** Runs a registration for a caller of the emulator's methods, to whom Batch's ClientException is a RangeError. */
function asRangeError<T>(register: () => T): T {
  try {
    return register();
  } catch (error) {
    if (error instanceof BatchApiError) throw new RangeError(error.message);
    throw error;
  }
}

function parsedOrUndefined(body: string): unknown {
  try {
    return parseJsonObject(body);
  } catch {
    return undefined;
  }
}

async function readRequestBody(request: IncomingMessage): Promise<string> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === undefined) throw clientError(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
  return body.toString('utf8');
}

/** Anything but a BatchApiError is an emulator bug (or a bad job spec), reported as Batch's ServerException. */
function errorAnswer(error: unknown): Answer {
  const apiError =
    error instanceof BatchApiError
      ? error
      : serverError(`Batch emulator failure: ${error instanceof Error ? error.message : String(error)}`);
  return { status: apiError.status, body: { message: apiError.message }, errorType: apiError.errorType };
}

function send(response: ServerResponse, answer: Answer): void {
  if (response.writableEnded || response.destroyed) return;
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    ...(answer.errorType === undefined ? {} : { 'x-amzn-errortype': answer.errorType }),
  });
  response.end(JSON.stringify(answer.body));
}
