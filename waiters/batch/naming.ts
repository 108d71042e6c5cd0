import type { JobNaming } from '../job-system';

/**
 * Batch job ids and names, from the AWS Batch API reference: job ids are UUIDs, array children add
 * `:index` and multi-node children `#node`; job names are 1-128 letters, digits, hyphens and underscores,
 * the first a letter or digit; a job queue is a name of that shape or an ARN.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:#_-]{0,127}$/;
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const JOB_QUEUE_ARN_PATTERN =
  /^arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-queue\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const BATCH_NAMING: JobNaming = {
  idPattern: JOB_ID_PATTERN,
  idWhat: 'a Batch job id (1-128 letters, digits, ":", "#", "-", "_")',
  keyPattern: JOB_NAME_PATTERN,
  keyWhat: 'a Batch job name (1-128 letters, digits, hyphens, underscores; the first a letter or digit)',
  keyScopedByQueue: true,
};
