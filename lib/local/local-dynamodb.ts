import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { closeServer, listenOnLoopback, loopbackOrigin } from './loopback-server';
import { LOCAL_CLIENT_SETTINGS } from './template';

/** What DynamoDB answers a request over the table's throughput (DynamoDB API Reference, "Errors"). */
export function throughputExceeded(): Error {
  return Object.assign(
    new Error('The level of configured provisioned throughput for the table was exceeded.'),
    {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    },
  );
}

/**
 * DynamoDB for local runs: dynalite (DynamoDB's own JSON protocol over an in-memory LevelDB, no Java) on
 * 127.0.0.1, reached through @aws-sdk/client-dynamodb exactly as in AWS. dynalite refuses what it does not
 * implement (UpdateTimeToLive, TransactWriteItems), so nothing stepwait runs may need those.
 */
export class LocalDynamoDb {
  private constructor(
    private readonly server: ReturnType<typeof dynalite>,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<LocalDynamoDb> {
    // Tables are ACTIVE at once: CreateTable answers CREATING in AWS too, but nothing here waits on it.
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await listenOnLoopback(server);
    return new LocalDynamoDb(server, loopbackOrigin(server, 'dynalite'));
  }

  /** A client for this endpoint; `maxAttempts` as the deployed code sets it. */
  client(maxAttempts = 1): DynamoDBClient {
    return new DynamoDBClient({ ...LOCAL_CLIENT_SETTINGS, endpoint: this.endpoint, maxAttempts });
  }

  /**
   * Creates an on-demand table with a string partition key and, optionally, a string sort key, and global
   * secondary indexes (string keys, every attribute projected).
   */
  async createTable(
    name: string,
    partitionKey: string,
    sortKey?: string,
    indexes: readonly { indexName: string; partitionKey: string; sortKey: string }[] = [],
  ): Promise<void> {
    const keySchema = (hash: string, range?: string) =>
      [hash, ...(range === undefined ? [] : [range])].map((key, index) => ({
        AttributeName: key,
        KeyType: index === 0 ? ('HASH' as const) : ('RANGE' as const),
      }));
    const attributes = new Set([
      partitionKey,
      ...(sortKey === undefined ? [] : [sortKey]),
      ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ]);
    const client = this.client();
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: keySchema(partitionKey, sortKey),
          AttributeDefinitions: [...attributes].map((key) => ({ AttributeName: key, AttributeType: 'S' })),
          ...(indexes.length === 0
            ? {}
            : {
                GlobalSecondaryIndexes: indexes.map((index) => ({
                  IndexName: index.indexName,
                  KeySchema: keySchema(index.partitionKey, index.sortKey),
                  Projection: { ProjectionType: 'ALL' },
                })),
              }),
        }),
      );
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}
