import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ExecutionStatusChange, recordExecutionEnd } from './registry/end-recorder';
import { REGISTRY_TABLE_ENV, RegistryStore } from './registry/registry-store';

/**
 * The deployed recorder of execution ends (lambdas/registry/end-recorder.ts), the target of an EventBridge
 * rule on the waiter machines' "Step Functions Execution Status Change" events. A failure throws, so
 * EventBridge retries the event (for up to 24 hours) and then hands it to the target's dead-letter queue.
 */
let store: RegistryStore | undefined;

export const handler = async (event: ExecutionStatusChange): Promise<void> => {
  store ??= new RegistryStore(
    new DynamoDBClient({ maxAttempts: 3 }),
    process.env[REGISTRY_TABLE_ENV] as string,
  );
  const result = await recordExecutionEnd(store, event);
  console.log(JSON.stringify({ event: 'executionEnd', execution: event.detail?.executionArn, ...result }));
};
