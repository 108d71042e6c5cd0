import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CALLBACK_SYSTEM,
  PARK_RECORD_GRACE_SECONDS,
  type ParkKey,
  parkPartitionKey,
  parkSortKey,
} from '../../waiters';

/** The sort key of a wait's callback rate record, beside its callback park records (`<waitId>#<stage>`). */
const CALLBACK_RATE_SORT_KEY = 'rate';

/**
 * The park records of event mode, in DynamoDB: one item per parked job, keyed `pk = <system>#<jobId>`,
 * `sk = <waitId>#<stageIndex>`, so two waits on one job never collide and a wake-up for a job finds every
 * wait parked on it with one Query. Read strongly consistent (a park stored a moment before an event must be
 * seen), deleted explicitly when used, stale or left behind; the table's TTL on `expiresAt` is a last resort
 * only, and expired items may still be read, so expiry is checked here (DynamoDB Developer Guide, "Using
 * time to live": expired items are deleted "within a few days" and "still appear in reads").
 *
 * Only calls dynalite also answers (no TransactWriteItems, no UpdateTimeToLive at run time).
 */

/** One parked job: whose task token wakes which wait. */
export interface ParkRecord extends ParkKey {
  system: string;
  jobId: string;
  waitId: string;
  stageIndex: number;
  taskToken: string;
  /** The job's status when the wait parked: a wake-up that says the same is a duplicate. */
  parkedStatus: string;
  /**
   * The statuses the stage's acceptors name (waiters/wake-up.ts statusesNamedBy): a move to another one
   * cannot change the stage's decision, so it wakes nobody. Empty: any move wakes.
   */
  wakeOn: string[];
  /** Epoch milliseconds. */
  parkedAt: number;
  /** Epoch seconds (the TTL attribute): the record is treated as gone after it. */
  expiresAt: number;
}

/**
 * The record that lets a call at the wait's callback URL wake its park: keyed by the wait (CALLBACK_SYSTEM),
 * beside its jobs' records (parkKeys with `callback`), and woken by any call, whatever a job's status.
 */
export function callbackParkRecord(
  park: Pick<ParkRecord, 'waitId' | 'stageIndex' | 'taskToken' | 'parkedAt' | 'expiresAt'>,
): ParkRecord {
  return {
    pk: parkPartitionKey(CALLBACK_SYSTEM, park.waitId),
    sk: parkSortKey(park.waitId, park.stageIndex),
    system: CALLBACK_SYSTEM,
    jobId: park.waitId,
    parkedStatus: '',
    wakeOn: [],
    ...park,
  };
}

/** The environment variable naming the table, set on the poller, the waker and the sweeper. */
export const PARK_TABLE_ENV = 'STEPWAIT_PARK_TABLE';

/** The table's key and TTL attributes, for the construct that creates it and the local runtime. */
export const PARK_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLive: 'expiresAt',
} as const;

type Item = Record<string, { S: string } | { N: string }>;

function toItem(record: ParkRecord): Item {
  return {
    pk: { S: record.pk },
    sk: { S: record.sk },
    system: { S: record.system },
    jobId: { S: record.jobId },
    waitId: { S: record.waitId },
    stageIndex: { N: String(record.stageIndex) },
    taskToken: { S: record.taskToken },
    parkedStatus: { S: record.parkedStatus },
    wakeOn: { S: JSON.stringify(record.wakeOn) },
    parkedAt: { N: String(record.parkedAt) },
    expiresAt: { N: String(record.expiresAt) },
  };
}

function fromItem(item: Record<string, { S?: string; N?: string }>): ParkRecord | undefined {
  const text = (name: string) => item[name]?.S;
  const number = (name: string) => Number(item[name]?.N);
  const record = {
    pk: text('pk'),
    sk: text('sk'),
    system: text('system'),
    jobId: text('jobId'),
    waitId: text('waitId'),
    stageIndex: number('stageIndex'),
    taskToken: text('taskToken'),
    parkedStatus: text('parkedStatus') ?? '',
    wakeOn: parseList(text('wakeOn')),
    parkedAt: number('parkedAt'),
    expiresAt: number('expiresAt'),
  };
  // An item stepwait did not write (or a later version's) is not a park: skip it rather than wake on it.
  if (
    [record.pk, record.sk, record.system, record.jobId, record.waitId, record.taskToken].some(
      (value) => typeof value !== 'string',
    ) ||
    !Number.isFinite(record.expiresAt)
  ) {
    return undefined;
  }
  return record as ParkRecord;
}

function parseList(text: string | undefined): string[] {
  try {
    const list: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Whether a job now in `status` (undefined: the status call did not show it) should wake a park: it moved
 * from the status it parked on, to one the stage waits for (or out of sight, which the stage's poll reports).
 */
export function movedFor(
  record: Pick<ParkRecord, 'parkedStatus' | 'wakeOn'>,
  status: string | undefined,
): boolean {
  if (status === undefined) return true;
  if (status === record.parkedStatus) return false;
  return record.wakeOn.length === 0 || record.wakeOn.includes(status);
}

export const isExpired = (record: Pick<ParkRecord, 'expiresAt'>, nowMs: number): boolean =>
  record.expiresAt * 1000 <= nowMs;

export class ParkStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores the records (a park registers every job it waits on); a failure is the caller's to retry. */
  async put(records: readonly ParkRecord[]): Promise<void> {
    await inBatches(records, (record) =>
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: toItem(record) })),
    );
  }

  /** Every live park on one job, strongly consistent; expired ones are deleted on the way. */
  async parksOn(system: string, jobId: string): Promise<ParkRecord[]> {
    const records: ParkRecord[] = [];
    let startKey: Record<string, never> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: parkPartitionKey(system, jobId) } },
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) {
        const record = fromItem(item as never);
        if (record !== undefined) records.push(record);
      }
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey !== undefined);
    return this.live(records);
  }

  /**
   * Every live park of a system, page by page, for the sweeper. Eventually consistent, at half the read
   * cost: a park stored a moment before a sweep is the next sweep's (its own re-check covered the moment).
   */
  async *allParks(system: string): AsyncGenerator<ParkRecord[]> {
    let startKey: Record<string, never> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: false,
          FilterExpression: '#system = :system',
          ExpressionAttributeNames: { '#system': 'system' },
          ExpressionAttributeValues: { ':system': { S: system } },
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      const records = (page.Items ?? []).flatMap((item) => fromItem(item as never) ?? []);
      yield await this.live(records);
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey !== undefined);
  }

  /**
   * Deletes a used or stale record, only while it still holds `taskToken`: a newer park of the same wait and
   * stage may have replaced it since it was read. False when it had been replaced or deleted already.
   */
  async deleteUsed(record: Pick<ParkRecord, 'pk' | 'sk' | 'taskToken'>): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: record.pk }, sk: { S: record.sk } },
          ConditionExpression: 'taskToken = :token',
          ExpressionAttributeValues: { ':token': { S: record.taskToken } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Claims the right to wake `waitId` by callback now: at most once per `minIntervalMs` (a conditional
   * PutItem on the wait's rate record). False when a call woke it more recently.
   */
  async claimCallback(waitId: string, nowMs: number, minIntervalMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: parkPartitionKey(CALLBACK_SYSTEM, waitId) },
            sk: { S: CALLBACK_RATE_SORT_KEY },
            at: { N: String(nowMs) },
            expiresAt: { N: String(Math.ceil((nowMs + minIntervalMs) / 1000) + PARK_RECORD_GRACE_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #at <= :cutoff',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':cutoff': { N: String(nowMs - minIntervalMs) } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Deletes records a wait no longer parks on (its next poll moved on, or the wait ended). */
  async delete(keys: readonly ParkKey[]): Promise<void> {
    await inBatches(keys, (key) =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        }),
      ),
    );
  }

  private async live(records: ParkRecord[]): Promise<ParkRecord[]> {
    const nowMs = this.now();
    const expired = records.filter((record) => isExpired(record, nowMs));
    await Promise.all(expired.map((record) => this.deleteUsed(record)));
    return records.filter((record) => !isExpired(record, nowMs));
  }
}

/** At most this many calls at once: a 100-job park must not burst past a table's write capacity. */
const CONCURRENT_CALLS = 10;

async function inBatches<T>(items: readonly T[], call: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENT_CALLS) {
    await Promise.all(items.slice(start, start + CONCURRENT_CALLS).map(call));
  }
}
