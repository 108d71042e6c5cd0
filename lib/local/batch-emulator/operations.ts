import { clientError } from './errors';
import {
  describeJob,
  type JobRecord,
  type JobStore,
  jobIdProblem,
  jobNameProblem,
  type SubmitJobInput,
} from './jobs';
import { isFinished, type ResolvedJobSpec, underlyingStateAt } from './lifecycle';
import { listJobs } from './list-jobs';
import type { ResourceRegistry } from './registry';
import { type JsonObject, optionalStringMap, requireString, requireStringList } from './request';

/** The Batch operations the emulator serves. */
export type BatchOperation = 'SubmitJob' | 'DescribeJobs' | 'ListJobs' | 'TerminateJob' | 'CancelJob';

/** Each operation's HTTP path, as in the SDK's model (`@aws-sdk/client-batch`, all `POST`). */
export const OPERATION_PATHS: Readonly<Record<BatchOperation, string>> = {
  SubmitJob: '/v1/submitjob',
  DescribeJobs: '/v1/describejobs',
  ListJobs: '/v1/listjobs',
  TerminateJob: '/v1/terminatejob',
  CancelJob: '/v1/canceljob',
};

export const BATCH_OPERATIONS = Object.keys(OPERATION_PATHS) as BatchOperation[];

export function operationAt(method: string, path: string): BatchOperation | undefined {
  if (method !== 'POST') return undefined;
  return BATCH_OPERATIONS.find((operation) => OPERATION_PATHS[operation] === path);
}

export interface OperationContext {
  readonly store: JobStore;
  readonly registry: ResourceRegistry;
  /** The clock reading for this request, epoch ms. */
  readonly now: number;
  specFor(input: SubmitJobInput): ResolvedJobSpec;
}

type Handler = (body: JsonObject, context: OperationContext) => object;

const HANDLERS: Readonly<Record<BatchOperation, Handler>> = {
  SubmitJob: submitJob,
  DescribeJobs: describeJobs,
  ListJobs: (body, { store, now }) => listJobs(body, store, now),
  TerminateJob: terminateJob,
  CancelJob: cancelJob,
};

/** Answers one request's body; a BatchApiError it throws is Batch's error answer. */
export function runOperation(operation: BatchOperation, body: JsonObject, context: OperationContext): object {
  return HANDLERS[operation](body, context);
}

/**
 * SubmitJob (the subset jobName, jobQueue, jobDefinition, parameters); Batch returns jobArn, jobName, jobId.
 * The queue must exist and be ENABLED, the definition revision exist and be ACTIVE.
 */
function submitJob(body: JsonObject, { store, registry, now, specFor }: OperationContext): object {
  const jobName = requireString(body, 'jobName');
  const problem = jobNameProblem(jobName);
  if (problem) throw clientError(problem);
  const parameters = optionalStringMap(body, 'parameters');
  const input: SubmitJobInput = {
    jobName,
    jobQueue: requireString(body, 'jobQueue'),
    jobDefinition: requireString(body, 'jobDefinition'),
    ...(parameters === undefined ? {} : { parameters }),
  };
  const queue = registry.submittableQueue(input.jobQueue);
  const definition = registry.submittableDefinition(input.jobDefinition);
  if (definition.type !== 'container') {
    throw clientError(
      `${definition.arn} is a multinode job definition; the Batch emulator runs container jobs only`,
    );
  }
  const job = store.add({
    jobName,
    queue,
    definition,
    parameters: parameters ?? {},
    spec: specFor(input),
    createdAt: now,
  });
  return { jobArn: job.jobArn, jobName: job.jobName, jobId: job.jobId };
}

/** DescribeJobs accepts "a list of up to 100 job IDs" (Batch API reference, DescribeJobs.jobs). */
export const DESCRIBE_JOBS_LIMIT = 100;

/**
 * DescribeJobs: ids Batch does not know are left out of `jobs`, with no error; each job is listed once. An
 * id that cannot be a job id is refused.
 */
function describeJobs(body: JsonObject, { store, now }: OperationContext): object {
  const ids = requireStringList(body, 'jobs');
  if (ids.length > DESCRIBE_JOBS_LIMIT) {
    throw clientError(`jobs holds ${ids.length} ids; DescribeJobs takes at most ${DESCRIBE_JOBS_LIMIT}`);
  }
  for (const id of ids) {
    const problem = jobIdProblem(id);
    if (problem) throw clientError(problem);
  }
  const known = [...new Set(ids)].map((id) => store.get(id)).filter((job) => job !== undefined);
  return { jobs: known.map((job) => describeJob(job, now)) };
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

/** Where a job is at `now`, whatever status is forced on display; undefined once it has finished. */
function unfinishedStatus(job: JobRecord, now: number): string | undefined {
  const { status } = underlyingStateAt(job, now);
  return isFinished(status) ? undefined : status;
}

/** The statuses in which a job has not reached STARTING, where Batch cancels rather than terminates. */
const NOT_STARTED = new Set(['SUBMITTED', 'PENDING', 'RUNNABLE']);

/**
 * TerminateJob: "Jobs that are in the STARTING or RUNNING state are terminated, which causes them to
 * transition to FAILED. Jobs that have not progressed to the STARTING state are cancelled" (Batch API
 * reference); a running container is killed. A finished job is left as it was, and an id Batch does not
 * know is answered like any other (200, `{}`).
 */
function terminateJob(body: JsonObject, { store, now }: OperationContext): object {
  const { job, reason } = readInterruption(body, store);
  const status = job && unfinishedStatus(job, now);
  if (job && status !== undefined) {
    job.interruption = { kind: NOT_STARTED.has(status) ? 'cancelled' : 'terminated', at: now, reason };
  }
  return {};
}

/**
 * CancelJob: SUBMITTED, PENDING and RUNNABLE jobs become FAILED with the reason. Jobs that reached STARTING
 * or RUNNING are not cancelled, "however, the API operation still succeeds" (Batch API reference); so does
 * a CancelJob of an id Batch does not know.
 */
function cancelJob(body: JsonObject, { store, now }: OperationContext): object {
  const { job, reason } = readInterruption(body, store);
  const status = job && unfinishedStatus(job, now);
  if (job && status !== undefined && NOT_STARTED.has(status)) {
    job.interruption = { kind: 'cancelled', at: now, reason };
  }
  return {};
}
