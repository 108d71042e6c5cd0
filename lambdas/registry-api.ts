import { randomUUID } from 'node:crypto';
import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createRegistryApi, type RegistryApiHandler } from './registry/api';
import { REGISTRY_TABLE_ENV, RegistryStore } from './registry/registry-store';
import {
  loadRegistryWaiters,
  parseRegistryWaiters,
  REGISTRY_ADMINS_ENV,
  REGISTRY_WAITERS_ENV,
} from './registry/registry-waiters';
import { terminateSubmittedJobs } from './registry/terminate-submitted';

/**
 * The deployed registry API (lambdas/registry/api.ts) behind a function URL with AuthType AWS_IAM. The
 * waiters' configs are read from their deployed definitions on the first request of a container and again
 * after WAITERS_MAX_AGE_MS (a waiter redeployed with other stages or limits); a failed read (a throttle) is
 * tried again by the next request.
 */
const WAITERS_MAX_AGE_MS = 5 * 60_000;
let api: { handler: Promise<RegistryApiHandler>; readAt: number } | undefined;

async function createApi(): Promise<RegistryApiHandler> {
  const sfn = new SFNClient({ maxAttempts: 3 });
  const batch = new BatchClient({ maxAttempts: 3 });
  const waiters = await loadRegistryWaiters(sfn, parseRegistryWaiters(process.env[REGISTRY_WAITERS_ENV]));
  return createRegistryApi({
    store: new RegistryStore(
      new DynamoDBClient({ maxAttempts: 3 }),
      process.env[REGISTRY_TABLE_ENV] as string,
    ),
    sfn,
    waiters,
    adminIds: new Set((process.env[REGISTRY_ADMINS_ENV] ?? '').split(',').filter((id) => id !== '')),
    terminate: (system, jobIds, reason) => terminateSubmittedJobs(batch, system, jobIds, reason),
    newWaitId: randomUUID,
    now: Date.now,
    log: (line) => console.log(JSON.stringify(line)),
  });
}

export const handler: RegistryApiHandler = async (event) => {
  let ready: RegistryApiHandler;
  if (api === undefined || Date.now() - api.readAt > WAITERS_MAX_AGE_MS) {
    api = { handler: createApi(), readAt: Date.now() };
  }
  try {
    ready = await api.handler;
  } catch (error) {
    api = undefined;
    console.log(JSON.stringify({ event: 'registryApiUnavailable', error: (error as Error).message }));
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({
        error: 'Unavailable',
        message: 'the registry could not read its waiters; try again',
      }),
    };
  }
  return ready(event);
};
