import {
  REGISTRY_TABLE_SCHEMA,
  type RegistryRecord,
  RegistryStore,
} from '../../lambdas/registry/registry-store';
import { LocalDynamoDb } from './local-dynamodb';

/**
 * The registry of waits for local runs: its table (with the owner and created indexes) in dynalite on
 * 127.0.0.1, written by the shipped poller through @aws-sdk/client-dynamodb exactly as deployed, on the
 * run's clock. Counts the writes, which the registry makes only when a wait's status changes.
 */
export class LocalRegistry {
  private writeCount = 0;

  private constructor(
    private readonly dynamo: LocalDynamoDb,
    readonly store: RegistryStore,
    private readonly now: () => number,
  ) {}

  static async start(now: () => number, tableName = 'stepwait-registry'): Promise<LocalRegistry> {
    const dynamo = await LocalDynamoDb.start();
    try {
      const { partitionKey, byOwner, byCreated } = REGISTRY_TABLE_SCHEMA;
      await dynamo.createTable(tableName, partitionKey, undefined, [byOwner, byCreated]);
      // As the deployed poller's client: a write throttled past three attempts leaves the registry behind.
      const client = dynamo.client(3);
      const registry = new LocalRegistry(dynamo, new RegistryStore(client, tableName, now), now);
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'UpdateItemCommand' || context.commandName === 'PutItemCommand')
            registry.writeCount++;
          return next(args);
        },
        { step: 'initialize', name: 'countRegistryWrites' },
      );
      return registry;
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
    const client = this.dynamo.client(3);
    let writes = 0;
    let throttled = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const write = context.commandName === 'UpdateItemCommand' || context.commandName === 'PutItemCommand';
        if (write) {
          this.writeCount++;
          writes++;
        }
        if (write && random() < probability) {
          throttled++;
          throw Object.assign(
            new Error('The level of configured provisioned throughput for the table was exceeded.'),
            {
              name: 'ProvisionedThroughputExceededException',
              $fault: 'client',
              $metadata: { httpStatusCode: 400 },
            },
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttleRegistryWrites' },
    );
    return {
      store: new RegistryStore(client, this.store.tableName, this.now),
      writes: () => writes,
      throttled: () => throttled,
    };
  }

  /** Writes the poller made: UpdateItem (and PutItem) calls. */
  writes(): number {
    return this.writeCount;
  }

  /** Every wait recorded, newest first, as an admin lists them. */
  async records(): Promise<RegistryRecord[]> {
    return (await this.store.list({ all: true }, { limit: 100 })).records;
  }

  async stop(): Promise<void> {
    await this.dynamo.stop();
  }
}
