import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { REGISTRY_TABLE_SCHEMA, RegistryStore } from '../../lambdas/registry/registry-store';
import { ParkStore } from '../../lambdas/wake-up/park-store';
import { LocalDynamoDb } from '../../lib/local/local-dynamodb';

/**
 * One dynalite for a test file, started before its tests and stopped after them, with one client on it;
 * `table` makes a fresh, empty table on each call.
 */
function dynaliteTables() {
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
  return {
    dynamo: () => dynamo,
    client: () => client,
    async table(
      prefix: string,
      partitionKey: string,
      sortKey?: string,
      indexes?: Parameters<LocalDynamoDb['createTable']>[3],
    ): Promise<string> {
      const name = `${prefix}-${++tables}`;
      await dynamo.createTable(name, partitionKey, sortKey, indexes);
      return name;
    },
  };
}

/** Park tables for a test file: each call makes a fresh, empty table and a ParkStore on it with the given clock. */
export function parkTables(): (now: () => number) => Promise<ParkStore> {
  const local = dynaliteTables();
  return async (now) => new ParkStore(local.client(), await local.table('parks', 'pk', 'sk'), now);
}

/**
 * Registry tables for a test file: `store()` makes a fresh, empty table (its indexes as the construct makes them)
 * and a RegistryStore on it, with the given clock and, if given, a client of the test's own on `dynamo()`.
 */
export function registryTables() {
  const local = dynaliteTables();
  const { partitionKey, byOwner, byCreated } = REGISTRY_TABLE_SCHEMA;
  return {
    dynamo: () => local.dynamo(),
    async store(now?: () => number, client: DynamoDBClient = local.client()): Promise<RegistryStore> {
      return new RegistryStore(
        client,
        await local.table('registry', partitionKey, undefined, [byOwner, byCreated]),
        now,
      );
    },
  };
}
