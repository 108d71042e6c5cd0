import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { ParkStore } from '../../lambdas/wake-up/park-store';
import { LocalDynamoDb } from '../../lib/local/local-dynamodb';

/**
 * Park tables for a test file, on one dynalite started before its tests and stopped after them: each call
 * of the function returned makes a fresh, empty table and a ParkStore on it with the given clock.
 */
export function parkTables(): (now: () => number) => Promise<ParkStore> {
  let dynamo: LocalDynamoDb;
  let client: DynamoDBClient;
  let tables = 0;
  beforeAll(async () => {
    dynamo = await LocalDynamoDb.start();
    client = dynamo.client();
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.stop();
  });
  return async (now) => {
    const name = `parks-${++tables}`;
    await dynamo.createTable(name, 'pk', 'sk');
    return new ParkStore(client, name, now);
  };
}
