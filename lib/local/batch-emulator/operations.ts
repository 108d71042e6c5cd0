import { clientError } from './errors';
import {
  describeJob,
  type JobRecord,
  type JobStore,
  jobNameProblem,
  type SubmitJobInput,
  summarizeJob,
} from './jobs';
import {
  isFinished,
  JOB_STATUSES,
  type JobState,
  jobStateAt,
  type ResolvedJobSpec,
  underlyingStateAt,
} from './lifecycle';
import type { ResourceRegistry } from './registry';
import {
  type JsonObject,
  optionalInteger,
  optionalObjectList,
  optionalString,
  optionalStringMap,
  requireString,
  requireStringList,
} from './request';

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
  ListJobs: listJobs,
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

/** DescribeJobs: ids Batch does not know are left out of `jobs`, with no error; each job is listed once. */
function describeJobs(body: JsonObject, { store, now }: OperationContext): object {
  const ids = requireStringList(body, 'jobs');
  if (ids.length > DESCRIBE_JOBS_LIMIT) {
    throw clientError(`jobs holds ${ids.length} ids; DescribeJobs takes at most ${DESCRIBE_JOBS_LIMIT}`);
  }
  const known = [...new Set(ids)].map((id) => store.get(id)).filter((job) => job !== undefined);
  return { jobs: known.map((job) => describeJob(job, now)) };
}

/**
 * ListJobs page sizes (Batch API reference, ListJobs.maxResults): with `filters` up to 100 jobs a page,
 * otherwise up to 1000.
 */
export const LIST_JOBS_PAGE_LIMIT = { filtered: 100, unfiltered: 1000 } as const;

/**
 * ListJobs by job queue. Newest first (the reference states it for filtered lists and the emulator uses it
 * for all). With a filter, jobStatus is ignored and every status is listed; without one, jobStatus
 * defaults to RUNNING.
 */
function listJobs(body: JsonObject, { store, now }: OperationContext): object {
  const query = readListQuery(body, store);
  const afterSeq =
    query.nextToken === undefined ? Number.POSITIVE_INFINITY : decodeNextToken(query.nextToken);
  const candidates = store
    .all()
    .filter((job) => job.jobQueue === query.jobQueue && job.seq < afterSeq && query.nameMatches(job.jobName))
    .sort((a, b) => b.seq - a.seq);
  const page: { job: JobRecord; state: JobState }[] = [];
  let more = false;
  for (const job of candidates) {
    const state = jobStateAt(job, now);
    if (query.status !== undefined && state.status !== query.status) continue;
    if (page.length === query.pageSize) {
      more = true;
      break;
    }
    page.push({ job, state });
  }
  const last = page.at(-1);
  return {
    jobSummaryList: page.map(({ job, state }) => summarizeJob(job, state)),
    ...(more && last ? { nextToken: encodeNextToken(last.job.seq) } : {}),
  };
}

interface ListQuery {
  /** The queue's ARN, or undefined for one that cannot exist here. */
  readonly jobQueue: string | undefined;
  /** The status to list, or undefined for all (a filter was given). */
  readonly status: string | undefined;
  readonly pageSize: number;
  readonly nextToken: string | undefined;
  nameMatches(jobName: string): boolean;
}

function readListQuery(body: JsonObject, store: JobStore): ListQuery {
  for (const unsupported of ['arrayJobId', 'multiNodeJobId']) {
    if (optionalString(body, unsupported) !== undefined) {
      throw clientError(`${unsupported} is not supported by the Batch emulator; list by jobQueue`);
    }
  }
  const jobQueue = optionalString(body, 'jobQueue');
  if (jobQueue === undefined || jobQueue === '') {
    throw clientError('one of jobQueue, arrayJobId or multiNodeJobId is required');
  }
  const filters = optionalObjectList(body, 'filters') ?? [];
  const jobStatus = optionalString(body, 'jobStatus');
  if (jobStatus !== undefined && !(JOB_STATUSES as readonly string[]).includes(jobStatus)) {
    throw clientError(`jobStatus must be one of ${JOB_STATUSES.join(', ')}, got ${jobStatus}`);
  }
  const limit = filters.length > 0 ? LIST_JOBS_PAGE_LIMIT.filtered : LIST_JOBS_PAGE_LIMIT.unfiltered;
  const maxResults = optionalInteger(body, 'maxResults');
  if (maxResults !== undefined && maxResults < 1)
    throw clientError(`maxResults must be at least 1, got ${maxResults}`);
  const queueName = store.arns.resourcePath(jobQueue, 'job-queue');
  return {
    // An ARN of another region or account matches no job here.
    jobQueue: queueName === undefined ? undefined : store.arns.jobQueue(queueName),
    status: filters.length > 0 ? undefined : (jobStatus ?? 'RUNNING'),
    pageSize: Math.min(maxResults ?? limit, limit),
    nextToken: optionalString(body, 'nextToken'),
    nameMatches: jobNameFilter(filters),
  };
}

/**
 * The JOB_NAME filter (Batch API reference, ListJobs.filters): a case-insensitive match on the job name,
 * and a value ending in `*` matches names beginning with what comes before it. Only one filter at a time.
 */
function jobNameFilter(filters: readonly JsonObject[]): (jobName: string) => boolean {
  const [filter, ...others] = filters;
  if (filter === undefined) return () => true;
  if (others.length > 0) throw clientError('only one filter can be used at a time');
  const name = optionalString(filter, 'name');
  if (name !== 'JOB_NAME') {
    throw clientError(`filter ${String(name)} is not supported by the Batch emulator; it supports JOB_NAME`);
  }
  const values = requireStringList(filter, 'values');
  const [value, ...extra] = values;
  if (value === undefined || extra.length > 0)
    throw clientError('the JOB_NAME filter takes exactly one value');
  const wanted = value.toLowerCase();
  if (wanted.endsWith('*')) {
    const prefix = wanted.slice(0, -1);
    return (jobName) => jobName.toLowerCase().startsWith(prefix);
  }
  return (jobName) => jobName.toLowerCase() === wanted;
}

/** An opaque token: the page continues with jobs created before the last one listed. */
function encodeNextToken(lastSeq: number): string {
  return Buffer.from(JSON.stringify({ before: lastSeq })).toString('base64url');
}

function decodeNextToken(token: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const before = (decoded as { before?: unknown } | null)?.before;
    if (typeof before === 'number' && Number.isInteger(before)) return before;
  } catch {
    // Falls through to the error below.
  }
  throw clientError('invalid nextToken');
}

/** Batch caps TerminateJob's and CancelJob's reason at 1024 characters. */
const REASON_LIMIT = 1024;

function readInterruption(body: JsonObject, store: JobStore): { job: JobRecord; reason: string } {
  const jobId = requireString(body, 'jobId');
  const reason = requireString(body, 'reason');
  if (reason.length > REASON_LIMIT) throw clientError(`reason is longer than ${REASON_LIMIT} characters`);
  const job = store.get(jobId);
  if (!job) throw clientError(`job ${jobId} not found`);
  return { job, reason };
}

/**
 * TerminateJob: a job in any unfinished status becomes FAILED with the reason as its statusReason; a
 * running container is killed. A finished job is left as it was. Decisions here and in CancelJob look at
 * where the job really is, not at a status forced for display.
 */
function terminateJob(body: JsonObject, { store, now }: OperationContext): object {
  const { job, reason } = readInterruption(body, store);
  if (!isFinished(underlyingStateAt(job, now).status))
    job.interruption = { kind: 'terminated', at: now, reason };
  return {};
}

/**
 * CancelJob: SUBMITTED, PENDING and RUNNABLE jobs become FAILED with the reason. Jobs that reached STARTING
 * or RUNNING are not cancelled, "however, the API operation still succeeds" (Batch API reference).
 */
function cancelJob(body: JsonObject, { store, now }: OperationContext): object {
  const { job, reason } = readInterruption(body, store);
  const { status } = underlyingStateAt(job, now);
  if (status === 'SUBMITTED' || status === 'PENDING' || status === 'RUNNABLE') {
    job.interruption = { kind: 'cancelled', at: now, reason };
  }
  return {};
}
