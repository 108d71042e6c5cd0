/**
 * ListJobs: a queue's jobs, newest first, one status at a time or matched by one filter; or an array job's
 * children (Batch API reference, ListJobsRequest).
 */

import type { BatchArns } from './arns';
import { clientError } from './errors';
import { summarizeJob } from './job-view';
import { isArrayChild, type JobRecord, type JobStore } from './jobs';
import { JOB_STATUSES } from './lifecycle';
import {
  type JsonObject,
  optionalInteger,
  optionalObjectList,
  optionalString,
  requireString,
  requireStringList,
} from './request';
import type { Scheduler } from './schedule';

/**
 * ListJobs page sizes (Batch API reference, ListJobs.maxResults): with `filters` up to 100 jobs a page,
 * otherwise up to 1000.
 */
export const LIST_JOBS_PAGE_LIMIT = { filtered: 100, unfiltered: 1000 } as const;

/** The filters the reference documents, of which the emulator serves all but SHARE_IDENTIFIER. */
const FILTER_NAMES = ['JOB_NAME', 'JOB_DEFINITION', 'BEFORE_CREATED_AT', 'AFTER_CREATED_AT'] as const;

type JobFilter = (job: JobRecord) => boolean;

interface ListQuery {
  /** The jobs listed, in order, each with its place in that order (what nextToken remembers). */
  listed(store: JobStore): { job: JobRecord; rank: number }[];
  /** The status to list, or undefined for all (a filter was given). */
  readonly status: string | undefined;
  readonly pageSize: number;
  readonly nextToken: string | undefined;
  readonly matches: JobFilter;
}

/**
 * Newest first (the reference states it for filtered lists; the emulator uses it for all). With a filter,
 * jobStatus is ignored and every status is listed; without one, jobStatus defaults to RUNNING.
 */
export interface ListContext {
  readonly store: JobStore;
  readonly scheduler: Scheduler;
  readonly now: number;
  /** ListJobs' eventual consistency (an injected fault): a job is listed this long after its creation. */
  readonly lagSeconds: number;
}

export function listJobs(body: JsonObject, { store, scheduler, now, lagSeconds }: ListContext): object {
  const query = readListQuery(body, store.arns);
  const after = query.nextToken === undefined ? Number.NEGATIVE_INFINITY : decodeNextToken(query.nextToken);
  const visibleBefore = now - Math.round(lagSeconds * 1000);
  const candidates = query
    .listed(store)
    .filter(({ job, rank }) => rank > after && job.createdAt <= visibleBefore && query.matches(job))
    .sort((a, b) => a.rank - b.rank);
  const page: { job: JobRecord; rank: number }[] = [];
  let more = false;
  for (const candidate of candidates) {
    if (query.status !== undefined && scheduler.displayedState(candidate.job, now).status !== query.status) {
      continue;
    }
    if (page.length === query.pageSize) {
      more = true;
      break;
    }
    page.push(candidate);
  }
  const last = page.at(-1);
  return {
    jobSummaryList: page.map(({ job }) => summarizeJob(job, scheduler, now)),
    ...(more && last ? { nextToken: encodeNextToken(last.rank) } : {}),
  };
}

function readListQuery(body: JsonObject, arns: BatchArns): ListQuery {
  const sources = ['jobQueue', 'arrayJobId', 'multiNodeJobId'].filter(
    (field) => optionalString(body, field) !== undefined,
  );
  // "You must specify only one of the following items" (Batch API reference, ListJobs).
  if (sources.length !== 1) {
    throw clientError(
      `exactly one of jobQueue, arrayJobId or multiNodeJobId is required, got ${sources.length}`,
    );
  }
  if (optionalString(body, 'multiNodeJobId') !== undefined) {
    throw clientError(
      'multiNodeJobId is not supported by the Batch emulator: it does not run multi-node jobs',
    );
  }
  const filters = optionalObjectList(body, 'filters') ?? [];
  const arrayJobId = optionalString(body, 'arrayJobId');
  if (arrayJobId !== undefined && filters.length > 0) {
    // "The filter doesn't apply to child jobs in an array"; the emulator refuses rather than guess.
    throw clientError('the Batch emulator does not combine filters with arrayJobId');
  }
  const jobStatus = optionalString(body, 'jobStatus');
  if (jobStatus !== undefined && !(JOB_STATUSES as readonly string[]).includes(jobStatus)) {
    throw clientError(`jobStatus must be one of ${JOB_STATUSES.join(', ')}, got ${jobStatus}`);
  }
  const limit = filters.length > 0 ? LIST_JOBS_PAGE_LIMIT.filtered : LIST_JOBS_PAGE_LIMIT.unfiltered;
  const maxResults = optionalInteger(body, 'maxResults');
  if (maxResults !== undefined && maxResults < 1)
    throw clientError(`maxResults must be at least 1, got ${maxResults}`);
  return {
    listed:
      arrayJobId === undefined ? queueJobs(requireString(body, 'jobQueue'), arns) : arrayChildren(arrayJobId),
    status: filters.length > 0 ? undefined : (jobStatus ?? 'RUNNING'),
    pageSize: Math.min(maxResults ?? limit, limit),
    nextToken: optionalString(body, 'nextToken'),
    matches: readFilter(filters, arns),
  };
}

/** A queue's jobs, newest first; array children are listed through their parent, not the queue. */
function queueJobs(jobQueue: string, arns: BatchArns): ListQuery['listed'] {
  const queueName = arns.resourcePath(jobQueue, 'job-queue');
  // An ARN of another region or account names no queue here.
  const queueArn = queueName === undefined ? undefined : arns.jobQueue(queueName);
  return (store) =>
    store
      .all()
      .filter((job) => job.jobQueue === queueArn && !isArrayChild(job))
      .map((job) => ({ job, rank: -job.seq }));
}

/** An array job's children, by index. */
function arrayChildren(arrayJobId: string): ListQuery['listed'] {
  return (store) => {
    const parent = store.get(arrayJobId);
    return parent === undefined ? [] : store.children(parent).map((job, index) => ({ job, rank: index }));
  };
}

/** "Only one filter can be used at a time" (Batch API reference, ListJobs.filters); each takes one value. */
function readFilter(filters: readonly JsonObject[], arns: BatchArns): JobFilter {
  const [filter, ...others] = filters;
  if (filter === undefined) return () => true;
  if (others.length > 0) throw clientError('only one filter can be used at a time');
  const name = optionalString(filter, 'name');
  const [value, ...extra] = requireStringList(filter, 'values');
  if (value === undefined || extra.length > 0)
    throw clientError(`the ${name} filter takes exactly one value`);
  switch (name) {
    case 'JOB_NAME':
      return jobNameFilter(value);
    case 'JOB_DEFINITION':
      return jobDefinitionFilter(value, arns);
    case 'BEFORE_CREATED_AT': {
      // "The value for the filter is the time that's before the job was created": jobs created after it.
      const time = epochMillis(name, value);
      return (job) => time < job.createdAt;
    }
    case 'AFTER_CREATED_AT': {
      // "The value for the filter is the time that's after the job was created": jobs created before it.
      const time = epochMillis(name, value);
      return (job) => job.createdAt < time;
    }
    default:
      throw clientError(
        `filter ${String(name)} is not supported by the Batch emulator; it supports ${FILTER_NAMES.join(', ')}`,
      );
  }
}

/**
 * JOB_NAME: a case-insensitive match on the job name; a value ending in `*` matches names beginning with
 * what comes before it.
 */
function jobNameFilter(value: string): JobFilter {
  const wanted = value.toLowerCase();
  if (wanted.endsWith('*')) {
    const prefix = wanted.slice(0, -1);
    return (job) => job.jobName.toLowerCase().startsWith(prefix);
  }
  return (job) => job.jobName.toLowerCase() === wanted;
}

/**
 * JOB_DEFINITION, case-sensitive: a name matches every revision of it, a name ending in `*` every name
 * beginning with what comes before it, an ARN with a revision that revision; "Asterisk (*) isn't supported
 * when the ARN is used".
 */
function jobDefinitionFilter(value: string, arns: BatchArns): JobFilter {
  if (value.startsWith('arn:')) {
    if (value.includes('*')) throw clientError("Asterisk (*) isn't supported when the ARN is used");
    const path = arns.resourcePath(value, 'job-definition');
    if (path === undefined) return () => false;
    return path.includes(':') ? (job) => job.jobDefinition === value : (job) => job.definitionName === path;
  }
  if (value.endsWith('*')) {
    const prefix = value.slice(0, -1);
    return (job) => job.definitionName.startsWith(prefix);
  }
  return (job) => job.definitionName === value;
}

/** The time filters' value: "a string representation of the number of milliseconds since" the epoch. */
function epochMillis(filter: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) {
    throw clientError(`the ${filter} filter takes epoch milliseconds as a string of digits, got ${value}`);
  }
  return Number(value);
}

/** An opaque token: the page continues with the jobs listed after the last one it showed. */
function encodeNextToken(lastRank: number): string {
  return Buffer.from(JSON.stringify({ after: lastRank })).toString('base64url');
}

function decodeNextToken(token: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const after = (decoded as { after?: unknown } | null)?.after;
    if (typeof after === 'number' && Number.isInteger(after)) return after;
  } catch {
    // Falls through to the error below.
  }
  throw clientError('invalid nextToken');
}
