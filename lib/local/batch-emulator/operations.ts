import { clientError } from './errors';
import { describeJob } from './job-view';
import { type JobRecord, type JobStore, jobIdProblem } from './jobs';
import { type Interruption, isFinished } from './lifecycle';
import { listJobs } from './list-jobs';
import { type JsonObject, requireString, requireStringList } from './request';
import { createJobQueue, registerJobDefinition } from './resource-operations';
import type { Scheduler } from './schedule';
import { type SubmitContext, submitJob } from './submit-job';

/** The Batch operations the emulator serves. */
export type BatchOperation =
  | 'SubmitJob'
  | 'DescribeJobs'
  | 'ListJobs'
  | 'TerminateJob'
  | 'CancelJob'
  | 'CreateJobQueue'
  | 'RegisterJobDefinition';

/** Each operation's HTTP path, as in the Batch service model's `http` traits (all `POST`). */
export const OPERATION_PATHS: Readonly<Record<BatchOperation, string>> = {
  SubmitJob: '/v1/submitjob',
  DescribeJobs: '/v1/describejobs',
  ListJobs: '/v1/listjobs',
  TerminateJob: '/v1/terminatejob',
  CancelJob: '/v1/canceljob',
  CreateJobQueue: '/v1/createjobqueue',
  RegisterJobDefinition: '/v1/registerjobdefinition',
};

export const BATCH_OPERATIONS = Object.keys(OPERATION_PATHS) as BatchOperation[];

export function operationAt(method: string, path: string): BatchOperation | undefined {
  if (method !== 'POST') return undefined;
  return BATCH_OPERATIONS.find((operation) => OPERATION_PATHS[operation] === path);
}

export interface OperationContext extends SubmitContext {
  readonly scheduler: Scheduler;
  /** The listJobsLagSeconds fault: how long a new job stays out of ListJobs. */
  readonly listJobsLagSeconds: number;
}

type Handler = (body: JsonObject, context: OperationContext) => object;

const HANDLERS: Readonly<Record<BatchOperation, Handler>> = {
  SubmitJob: submitJob,
  DescribeJobs: describeJobs,
  ListJobs: (body, { store, scheduler, now, listJobsLagSeconds }) =>
    listJobs(body, { store, scheduler, now, lagSeconds: listJobsLagSeconds }),
  TerminateJob: terminateJob,
  CancelJob: cancelJob,
  CreateJobQueue: (body, { registry }) => createJobQueue(body, registry),
  RegisterJobDefinition: (body, { registry }) => registerJobDefinition(body, registry),
};

/** Answers one request's body; a BatchApiError it throws is Batch's error answer. */
export function runOperation(operation: BatchOperation, body: JsonObject, context: OperationContext): object {
  return HANDLERS[operation](body, context);
}

/** DescribeJobs accepts "a list of up to 100 job IDs" (Batch API reference, DescribeJobs.jobs). */
export const DESCRIBE_JOBS_LIMIT = 100;

/**
 * DescribeJobs: ids Batch does not know are left out of `jobs`, with no error; each job is listed once. An
 * id that cannot be a job id is refused. Array children (`<id>:<index>`) are described like any job.
 */
function describeJobs(body: JsonObject, { store, scheduler, now }: OperationContext): object {
  const ids = requireStringList(body, 'jobs');
  if (ids.length > DESCRIBE_JOBS_LIMIT) {
    throw clientError(`jobs holds ${ids.length} ids; DescribeJobs takes at most ${DESCRIBE_JOBS_LIMIT}`);
  }
  for (const id of ids) {
    const problem = jobIdProblem(id);
    if (problem) throw clientError(problem);
  }
  const known = [...new Set(ids)].map((id) => store.get(id)).filter((job) => job !== undefined);
  return { jobs: known.map((job) => describeJob(job, scheduler, now)) };
}

/** Batch caps TerminateJob's and CancelJob's reason at 1024 characters. */
const REASON_LIMIT = 1024;

/** The job a TerminateJob or CancelJob names (undefined if Batch has none) and the reason it gives. */
function readInterruption(body: JsonObject, store: JobStore): { job: JobRecord | undefined; reason: string } {
  const jobId = requireString(body, 'jobId');
  const reason = requireString(body, 'reason');
  if (reason.length > REASON_LIMIT) throw clientError(`reason is longer than ${REASON_LIMIT} characters`);
  return { job: store.get(jobId), reason };
}

/** The statuses in which a job has not reached STARTING, where Batch cancels rather than terminates. */
const NOT_STARTED = new Set(['SUBMITTED', 'PENDING', 'RUNNABLE']);

type Request = 'terminate' | 'cancel';

/**
 * TerminateJob: "Jobs that are in the STARTING or RUNNING state are terminated, which causes them to
 * transition to FAILED. Jobs that have not progressed to the STARTING state are cancelled" (Batch API
 * reference); a running container is killed, and no attempt follows. A finished job is left as it was,
 * and an id Batch does not know is answered like any other (200, `{}`).
 */
function terminateJob(body: JsonObject, context: OperationContext): object {
  const { job, reason } = readInterruption(body, context.store);
  if (job) interrupt(job, 'terminate', reason, context);
  return {};
}

/**
 * CancelJob: SUBMITTED, PENDING and RUNNABLE jobs become FAILED with the reason. Jobs that reached STARTING
 * or RUNNING are not cancelled, "however, the API operation still succeeds" (Batch API reference); so does
 * a CancelJob of an id Batch does not know.
 */
function cancelJob(body: JsonObject, context: OperationContext): object {
  const { job, reason } = readInterruption(body, context.store);
  if (job) interrupt(job, 'cancel', reason, context);
  return {};
}

/**
 * Applies a TerminateJob or CancelJob to a job that has not finished, looking at where it really is (not
 * at a status forced for display). On an array job's parent it applies to each unfinished child ("Batch
 * attempts to cancel all child jobs"); the parent, marked like its children, ends when they have.
 */
function interrupt(job: JobRecord, request: Request, reason: string, context: OperationContext): void {
  const { store, scheduler, now } = context;
  const targets = job.array?.kind === 'parent' ? store.children(job) : [job];
  const decided: { target: JobRecord; kind: Interruption['kind'] }[] = [];
  for (const target of targets) {
    const { status } = scheduler.underlyingState(target, now);
    if (isFinished(status) || target.interruption !== undefined) continue;
    if (NOT_STARTED.has(status)) decided.push({ target, kind: 'cancelled' });
    else if (request === 'terminate') decided.push({ target, kind: 'terminated' });
  }
  if (decided.length === 0) return;
  if (job.array?.kind === 'parent' && job.interruption === undefined) {
    const kind = decided.some((entry) => entry.kind === 'terminated') ? 'terminated' : 'cancelled';
    decided.push({ target: job, kind });
  }
  for (const { target, kind } of decided) target.interruption = { kind, at: now, reason };
  scheduler.invalidate();
}
