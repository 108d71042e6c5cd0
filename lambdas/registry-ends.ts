import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ExecutionStatusChange, recordExecutionEnd } from './registry/end-recorder';
import { REGISTRY_TABLE_ENV, RegistryStore } from './registry/registry-store';

/**
 * The deployed recorder of execution ends (lambdas/registry/end-recorder.ts), the target of an EventBridge
 * rule on the waiter machines' "Step Functions Execution Status Change" events, invoked asynchronously. A
 * failure throws, so Lambda retries the event twice and then sends it to the registry's dead-letter queue
 * (the function's on-failure destination; lib/registry/registry.ts).
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
