import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  REGISTRY_TABLE_SCHEMA,
  type RegistryRecord,
  RegistryStore,
} from '../../lambdas/registry/registry-store';
import { LocalDynamoDb, throughputExceeded } from './local-dynamodb';

/**
 * The registry of waits for local runs: its table (with the owner and created indexes) in dynalite on
 * 127.0.0.1, written by the shipped poller through @aws-sdk/client-dynamodb exactly as deployed, on the
 * run's clock. Counts the writes, which the registry makes only when a wait's status changes.
 */
export class LocalRegistry {
  private constructor(
    private readonly dynamo: LocalDynamoDb,
    readonly store: RegistryStore,
    private readonly now: () => number,
    /** Writes through every client of this registry. */
    private readonly counter: { writes: number },
  ) {}

  static async start(now: () => number, tableName = 'stepwait-registry'): Promise<LocalRegistry> {
    const dynamo = await LocalDynamoDb.start();
    try {
      const { partitionKey, byOwner, byCreated } = REGISTRY_TABLE_SCHEMA;
      await dynamo.createTable(tableName, partitionKey, undefined, [byOwner, byCreated]);
      const counter = { writes: 0 };
      // As the deployed poller's client: a write throttled past three attempts leaves the registry behind.
      const store = new RegistryStore(
        writeCountingClient(dynamo, counter, () => false),
        tableName,
        now,
      );
      return new LocalRegistry(dynamo, store, now, counter);
    } catch (error) {
      await dynamo.stop();
      throw error;
    }
  }

  /**
   * The same table through a client whose writes DynamoDB throttles with this probability, past all of the
   * client's attempts (ProvisionedThroughputExceededException, DynamoDB API Reference, "Errors"): the
   * poller's view of a registry under load, for the fault suite. Counts what it injected.
   */
  throttledStore(
    probability: number,
    random: () => number,
  ): { store: RegistryStore; writes: () => number; throttled: () => number } {
    const mine = { writes: 0 };
    let throttled = 0;
    const client = writeCountingClient(this.dynamo, mine, () => {
      this.counter.writes++;
      if (random() >= probability) return false;
      throttled++;
      return true;
    });
    return {
      store: new RegistryStore(client, this.store.tableName, this.now),
      writes: () => mine.writes,
      throttled: () => throttled,
    };
  }

  /** Writes the poller made: UpdateItem (and PutItem) calls. */
  writes(): number {
    return this.counter.writes;
  }

  /** Every wait recorded, newest first, as an admin lists them. */
  async records(): Promise<RegistryRecord[]> {
    return (await this.store.list({ all: true }, { limit: 100 })).records;
  }

  async stop(): Promise<void> {
    await this.dynamo.stop();
  }
}

/**
 * A client of the registry's table (3 attempts, as the poller's) that counts its writes (UpdateItem and
 * PutItem) and throttles those `throttled` says to, before any attempt.
 */
function writeCountingClient(
  dynamo: LocalDynamoDb,
  counter: { writes: number },
  throttled: () => boolean,
): DynamoDBClient {
  const client = dynamo.client(3);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand' || context.commandName === 'PutItemCommand') {
        counter.writes++;
        if (throttled()) throw throughputExceeded();
      }
      return next(args);
    },
    { step: 'initialize', name: 'countRegistryWrites' },
  );
  return client;
}
