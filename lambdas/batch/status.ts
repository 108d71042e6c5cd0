import {
  type BatchClient,
  DescribeJobsCommand,
  type DescribeJobsCommandOutput,
  ListJobsCommand,
  type ListJobsCommandOutput,
} from '@aws-sdk/client-batch';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { DescribeJobsResult } from '../../waiters';
import type { KeyedJob, RetryableFailure } from '../job-system-io';

type SdkError = Parameters<typeof isThrottlingError>[0];

/**
 * Sorts an SDK error the way the SDK's own standard retry strategy does (@smithy/core/retry), because the
 * poller's client has `maxAttempts: 1`: what the SDK would have retried with a sleep, the state machine
 * retries with a Wait instead. Anything else is an answer for the acceptors.
 */
export function classifyBatchError(error: unknown): RetryableFailure | DescribeJobsResult {
  const sdkError = (error instanceof Error ? error : new Error(String(error))) as SdkError;
  if (isThrottlingError(sdkError)) return { kind: 'throttled', errorName: sdkError.name };
  if (isTransientError(sdkError) || isServerError(sdkError))
    return { kind: 'transient', errorName: sdkError.name };
  const httpStatusCode = sdkError.$metadata?.httpStatusCode;
  return {
    error: { name: sdkError.name, message: sdkError.message },
    ...(httpStatusCode === undefined ? {} : { httpStatusCode }),
  };
}

/** One DescribeJobs call for up to 100 ids (the API's limit). */
export async function describeJobs(
  batch: BatchClient,
  jobIds: readonly string[],
): Promise<RetryableFailure | DescribeJobsResult> {
  let response: DescribeJobsCommandOutput;
  try {
    response = await batch.send(new DescribeJobsCommand({ jobs: [...jobIds] }));
  } catch (error) {
    return classifyBatchError(error);
  }
  const httpStatusCode = response.$metadata?.httpStatusCode;
  return {
    output: { jobs: response.jobs ?? [] },
    ...(httpStatusCode === undefined ? {} : { httpStatusCode }),
  };
}

/**
 * The jobs in a queue named exactly `jobName`. ListJobs' JOB_NAME filter is case-insensitive and treats a
 * trailing `*` as a wildcard, so only exact, case-sensitive matches are kept. With a filter, ListJobs
 * returns jobs of every status (Batch API reference, ListJobs `filters`), so finished jobs are found too.
 */
export async function findJobsNamed(
  batch: BatchClient,
  jobQueue: string,
  jobName: string,
): Promise<RetryableFailure | DescribeJobsResult | KeyedJob[]> {
  const matches: KeyedJob[] = [];
  let nextToken: string | undefined;
  do {
    let page: ListJobsCommandOutput;
    try {
      page = await batch.send(
        new ListJobsCommand({
          jobQueue,
          filters: [{ name: 'JOB_NAME', values: [jobName] }],
          nextToken,
          maxResults: 100,
        }),
      );
    } catch (error) {
      return classifyBatchError(error);
    }
    for (const job of page.jobSummaryList ?? []) {
      if (job.jobName === jobName && job.jobId !== undefined) {
        matches.push({ jobId: job.jobId, createdAt: job.createdAt ?? 0, status: job.status });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return matches;
}
