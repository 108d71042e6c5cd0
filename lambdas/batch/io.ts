import { BatchClient } from '@aws-sdk/client-batch';
import type { JobSystemIO } from '../job-system-io';
import { describeJobs, findJobsNamed } from './status';
import { classifySubmitError } from './submit-error';

/** AWS Batch's I/O for the poller: DescribeJobs, ListJobs by job name, and the judging of a failed SubmitJob. */
export function batchIo(batch: BatchClient): JobSystemIO {
  return {
    status(operation, jobIds) {
      if (operation !== 'DescribeJobs') {
        // The config check refuses a model naming another operation; this is a bug if it ever throws.
        throw new RangeError(`AWS Batch has no status operation ${operation} here (DescribeJobs only)`);
      }
      return describeJobs(batch, jobIds);
    },
    findByKey: ({ jobQueue, jobName }) => {
      // The request parser requires a queue for Batch (BATCH_NAMING.keyScopedByQueue).
      if (jobQueue === undefined) throw new RangeError('a Batch business key needs a job queue');
      return findJobsNamed(batch, jobQueue, jobName);
    },
    judgeSubmitError: classifySubmitError,
  };
}

/**
 * The deployed poller's Batch client, built once per container with `maxAttempts: 1`: the SDK must not
 * retry and sleep inside the Lambda; throttles come back as `retry` and the state machine waits instead.
 * STEPWAIT_BATCH_ENDPOINT points it elsewhere (the local Batch emulator).
 */
export function connectBatch(env: NodeJS.ProcessEnv): JobSystemIO {
  return batchIo(
    new BatchClient({
      maxAttempts: 1,
      endpoint: env.STEPWAIT_BATCH_ENDPOINT || undefined,
      // A hung call comes back as a transient error (a retry in the machine), well inside the 30 s Lambda timeout.
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    }),
  );
}
