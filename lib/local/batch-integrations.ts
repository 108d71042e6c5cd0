import { BatchClient, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import type { LocalIntegration } from './local-state-machine';
import { LOCAL_CLIENT_SETTINGS } from './template';

/** A Batch client for local runs: the emulator's loopback endpoint, a static region and dummy credentials. */
export function localBatchClient(endpoint: string): BatchClient {
  return new BatchClient({
    ...LOCAL_CLIENT_SETTINGS,
    endpoint,
    maxAttempts: 1,
  });
}

/**
 * The Step Functions Batch integrations the waiter uses, answered through the real SDK client (so by the
 * local emulator): `batch:submitJob` (request-response, PascalCase fields as Step Functions passes them) and
 * the AWS SDK integration `aws-sdk:batch:terminateJob`.
 */
export function batchIntegrations(batch: BatchClient): Record<string, LocalIntegration> {
  return {
    'arn:aws:states:::batch:submitJob': async (input) => {
      const { JobName, JobDefinition, JobQueue, Parameters } = input as Record<string, never>;
      const response = await asIntegration(
        batch.send(
          new SubmitJobCommand({
            jobName: JobName,
            jobDefinition: JobDefinition,
            jobQueue: JobQueue,
            parameters: Parameters,
          }),
        ),
      );
      return { JobArn: response.jobArn, JobId: response.jobId, JobName: response.jobName };
    },
    'arn:aws:states:::aws-sdk:batch:terminateJob': async (input) => {
      const { JobId, Reason } = input as Record<string, string>;
      await asIntegration(batch.send(new TerminateJobCommand({ jobId: JobId, reason: Reason })));
      return {};
    },
  };
}

/** The errors Batch models for its operations; anything else reaches Step Functions as the SDK's base exception. */
const MODELLED_BATCH_ERRORS = ['ClientException', 'ServerException'];

/**
 * A Batch call's failure as a Step Functions task reports it: named `Batch.<exception>` for what Batch
 * models (ClientException, ServerException), `Batch.AWSBatchException` for what it does not (throttling
 * with 429 TooManyRequestsException, access denial), `Batch.SdkClientException` when no HTTP answer came
 * back (a reset connection, a timeout); the Cause is the SDK's plain-text message, not JSON.
 */
async function asIntegration<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
    const status = failure.$metadata?.httpStatusCode;
    if (status === undefined) {
      throw Object.assign(new Error(`Unable to execute HTTP request: ${failure.message}`), {
        name: 'Batch.SdkClientException',
      });
    }
    const name = MODELLED_BATCH_ERRORS.includes(failure.name) ? failure.name : 'AWSBatchException';
    const cause = `${failure.message} (Service: AWSBatch; Status Code: ${status}; Error Code: ${failure.name}; Request ID: ${failure.$metadata?.requestId ?? 'unknown'}; Proxy: null)`;
    throw Object.assign(new Error(cause), { name: `Batch.${name}` });
  }
}
