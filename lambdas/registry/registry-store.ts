import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { JobSummary, RegistryView, TethysStatus, WaitStanding } from '../../waiters';
import { tethysStatus } from '../../waiters';

/**
 * The registry of waits (Tethys' job manager), in its own DynamoDB table: one item per wait, keyed by wait id,
 * listed newest first by owner (index `byOwner`) and, for admins, across owners (index `byCreated`). Written
 * when a wait is started through the registry API (with the owner it verified), when a poll changes what the
 * registry shows (RegistryView, ordered by its `sequence`), and when the wait's execution ends. Only calls
 * dynalite also answers.
 */

/** Who started a wait. `id`: the IAM principal's unique id (lambdas/registry/owner.ts), or `unverified`. */
export interface RegistryOwner {
  id: string;
  verified: boolean;
  /** For an unverified owner: whatever hints at who started it (the machine that did, a schedule). */
  hint?: string;
  /** For people to read: the user or role name the API saw (never used to decide access). */
  display?: string;
}

/** The owner id of every wait not started through the registry API: visible to admins only. */
export const UNVERIFIED_OWNER = 'unverified';

/** What the registry API records when it starts a wait. */
export interface NewWait {
  waitId: string;
  name: string;
  description?: string;
  properties?: Record<string, string>;
  owner: RegistryOwner;
  system?: string;
  /** The state machine the wait runs in, for cancel and resubmit. */
  stateMachineArn: string;
  executionArn: string;
  /** The execution input, for resubmit. */
  request: Record<string, unknown>;
  /** Whether the wait submits its jobs itself (only then may cancel terminate them). */
  submitsJobs: boolean;
}

export interface RegistryRecord extends Partial<Omit<RegistryView, 'status' | 'tethysStatus'>> {
  waitId: string;
  name: string;
  description?: string;
  properties?: Record<string, string>;
  owner: RegistryOwner;
  status: WaitStanding;
  tethysStatus: TethysStatus;
  stateMachineArn?: string;
  executionArns: string[];
  request?: Record<string, unknown>;
  submitsJobs?: boolean;
  createdAt: string;
  /** Why the wait ended, where no poll said it: a cancel, a start that failed. */
  endReason?: string;
  /** The execution ended (its status-change event was recorded): no poll writes after it. */
  final?: boolean;
  deletedAt?: string;
}

/** A page of waits, newest first, and where the next page starts (absent: none). */
export interface RegistryPage {
  records: RegistryRecord[];
  cursor?: string;
}

export type ListScope = { ownerId: string } | { all: true };

/** A registry cursor that is not one this listing gave out: the API answers 400 with its reason. */
export class RegistryCursorError extends Error {
  override readonly name = 'RegistryCursorError';
}

/** The environment variable naming the table, on the poller, the registry API and the end recorder. */
export const REGISTRY_TABLE_ENV = 'STEPWAIT_REGISTRY_TABLE';

/** The table's keys and indexes, for the construct that creates it and the local runtime. */
export const REGISTRY_TABLE_SCHEMA = {
  partitionKey: 'waitId',
  byOwner: { indexName: 'byOwner', partitionKey: 'ownerId', sortKey: 'listKey' },
  byCreated: { indexName: 'byCreated', partitionKey: 'listPartition', sortKey: 'listKey' },
  timeToLive: 'expiresAt',
} as const;

/** Every wait shares the admin index's one partition: a registry writes a few items per wait, far below its limits. */
const LIST_PARTITION = 'waits';
/** A deleted wait stays as a tombstone this long (hidden), so a late write cannot bring it back; TTL removes it. */
const TOMBSTONE_SECONDS = 7 * 86_400;

const listKeyOf = (createdAt: string, waitId: string) => `${createdAt}#${waitId}`;

export class RegistryStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a wait the registry API starts. False: a wait with that id exists (a retried start). */
  async register(wait: NewWait): Promise<boolean> {
    const createdAt = new Date(this.now()).toISOString();
    const { owner, executionArn, ...rest } = wait;
    const item = {
      ...rest,
      owner,
      ownerId: owner.id,
      status: 'PENDING' satisfies WaitStanding,
      tethysStatus: tethysStatus('PENDING', []),
      executionArns: new Set([executionArn]),
      createdAt,
      listKey: listKeyOf(createdAt, wait.waitId),
      listPartition: LIST_PARTITION,
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(waitId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records what a poll changed. A wait nobody registered (started by a schedule, another machine, the
   * console) gets its record now, with an unverified owner and the hint. Lands only if no newer poll's did
   * and the wait has not ended or been deleted: 'stale' otherwise.
   */
  async recordProgress(
    waitId: string,
    view: RegistryView,
    context: { executionArn?: string; ownerHint?: string; name?: string },
  ): Promise<'written' | 'stale'> {
    const createdAt = new Date(this.now()).toISOString();
    const fields: Record<string, unknown> = { ...view };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field, value], index) => {
        names[`#f${index}`] = field;
        values[`:f${index}`] = value;
        return `#f${index} = :f${index}`;
      });
    const ifAbsent: Record<string, unknown> = {
      owner: {
        id: UNVERIFIED_OWNER,
        verified: false,
        ...(context.ownerHint ? { hint: context.ownerHint } : {}),
      },
      ownerId: UNVERIFIED_OWNER,
      name: context.name ?? waitId,
      createdAt,
      listKey: listKeyOf(createdAt, waitId),
      listPartition: LIST_PARTITION,
    };
    Object.entries(ifAbsent).forEach(([field, value], index) => {
      names[`#a${index}`] = field;
      values[`:a${index}`] = value;
      sets.push(`#a${index} = if_not_exists(#a${index}, :a${index})`);
    });
    // Every execution the wait ran in (a string set: each is added once), for a cancel to stop them all.
    const addExecution = context.executionArn === undefined ? '' : ' ADD #executions :execution';
    if (context.executionArn !== undefined) {
      names['#executions'] = 'executionArns';
      values[':execution'] = new Set([context.executionArn]);
    }
    // A wait the registry API started (a verified owner) takes polls only from its own executions: the one the
    // API started (listed at registration) and its segments (named `<waitId>-<n>`). Anyone else who can start an
    // execution could otherwise write another owner's wait.
    const executionName = context.executionArn?.split(':').at(-1);
    const ownSegment =
      executionName?.startsWith(`${waitId}-`) === true &&
      /^\d+$/.test(executionName.slice(waitId.length + 1));
    const ownExecution = ownSegment
      ? ''
      : ` AND (attribute_not_exists(#owner) OR #owner.#verified = :false${
          context.executionArn === undefined ? '' : ' OR contains(#executions, :executionArn)'
        })`;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ waitId }),
          UpdateExpression: `SET ${sets.join(', ')}${addExecution}`,
          ConditionExpression: `(attribute_not_exists(#seq) OR #seq < :seq) AND attribute_not_exists(#final) AND attribute_not_exists(#deleted)${ownExecution}`,
          ExpressionAttributeNames: {
            ...names,
            '#seq': 'sequence',
            '#final': 'final',
            '#deleted': 'deletedAt',
            ...(ownSegment ? {} : { '#owner': 'owner', '#verified': 'verified' }),
            ...(ownSegment || context.executionArn === undefined ? {} : { '#executions': 'executionArns' }),
          },
          ExpressionAttributeValues: marshall(
            {
              ...values,
              ':seq': view.sequence,
              ...(ownSegment ? {} : { ':false': false }),
              ...(ownSegment || context.executionArn === undefined
                ? {}
                : { ':executionArn': context.executionArn }),
            },
            { removeUndefinedValues: true },
          ),
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'stale';
      throw error;
    }
  }

  /**
   * Records that the wait's execution ended (its status-change event, a cancel, a start that failed): final,
   * with its end time and reason. The status becomes `standing` only where no poll wrote how it ended (the record
   * still says PENDING or RUNNING: stopped, a failed last write, a machine timeout, a start refused); otherwise the
   * last poll's finer status stays, even against a cancel that raced the end. Idempotent (events come at least once); a
   * wait deleted meanwhile stays deleted. False: no such wait.
   */
  async recordEnd(
    waitId: string,
    standing: WaitStanding,
    endedAt: string,
    reason?: string,
    /** The jobs as the execution's end reported them: written with the status, where no poll wrote the end. */
    jobs?: readonly JobSummary[],
  ): Promise<boolean> {
    const key = marshall({ waitId });
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET #final = :true, #completedAt = if_not_exists(#completedAt, :at)${
            reason === undefined ? '' : ', #reason = if_not_exists(#reason, :reason)'
          }`,
          ConditionExpression: 'attribute_exists(waitId) AND attribute_not_exists(#deleted)',
          ExpressionAttributeNames: {
            '#final': 'final',
            '#completedAt': 'completedAt',
            '#deleted': 'deletedAt',
            ...(reason === undefined ? {} : { '#reason': 'endReason' }),
          },
          ExpressionAttributeValues: marshall({
            ':true': true,
            ':at': endedAt,
            ...(reason === undefined ? {} : { ':reason': reason }),
          }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET #status = :status, #tethys = :tethys${jobs === undefined ? '' : ', #jobs = :jobs'}`,
          // Even a stop: a cancel that read RUNNING as the wait ended must not relabel its end Aborted.
          ConditionExpression:
            'attribute_not_exists(#deleted) AND (#status = :running OR #status = :pending)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#tethys': 'tethysStatus',
            '#deleted': 'deletedAt',
            ...(jobs === undefined ? {} : { '#jobs': 'jobs' }),
          },
          ExpressionAttributeValues: marshall(
            {
              ':status': standing,
              ':tethys': tethysStatus(standing, jobs ?? []),
              ':running': 'RUNNING',
              ':pending': 'PENDING',
              ...(jobs === undefined ? {} : { ':jobs': jobs }),
            },
            { removeUndefinedValues: true },
          ),
        }),
      );
    } catch (error) {
      // The last poll said how the wait ended, or it was stopped already: that stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return true;
  }

  /** One wait, strongly consistent; undefined if there is none or it was deleted. */
  async get(waitId: string): Promise<RegistryRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ waitId }), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const record = recordOf(unmarshall(Item));
    return record.deletedAt === undefined ? record : undefined;
  }

  /**
   * Waits newest first: one owner's, or everyone's (admins). `tethys`: only waits in that status. A page may
   * hold fewer than `limit` waits (deleted and filtered ones are skipped after the read); go on with `cursor`.
   */
  async list(
    scope: ListScope,
    options: { limit: number; cursor?: string; tethys?: TethysStatus },
  ): Promise<RegistryPage> {
    const index = 'all' in scope ? REGISTRY_TABLE_SCHEMA.byCreated : REGISTRY_TABLE_SCHEMA.byOwner;
    const partition = 'all' in scope ? LIST_PARTITION : scope.ownerId;
    const start =
      options.cursor === undefined ? undefined : decodeCursor(options.cursor, index.partitionKey, partition);
    const filters = ['attribute_not_exists(#deleted)', ...(options.tethys ? ['#tethys = :tethys'] : [])];
    const { Items, LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#partition = :partition',
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: {
          '#partition': index.partitionKey,
          '#deleted': 'deletedAt',
          ...(options.tethys ? { '#tethys': 'tethysStatus' } : {}),
        },
        ExpressionAttributeValues: marshall({
          ':partition': partition,
          ...(options.tethys ? { ':tethys': options.tethys } : {}),
        }),
        ScanIndexForward: false,
        Limit: options.limit,
        ...(start === undefined ? {} : { ExclusiveStartKey: marshall(start) }),
      }),
    );
    return {
      records: (Items ?? []).map((item) => recordOf(unmarshall(item))),
      ...(LastEvaluatedKey === undefined ? {} : { cursor: encodeCursor(unmarshall(LastEvaluatedKey)) }),
    };
  }

  /**
   * Deletes a finished wait from the registry: a hidden tombstone, so a late write (an end event retried for
   * up to 24 hours) cannot bring it back, removed by TTL. False: no such wait, or it has not ended.
   */
  async markDeleted(waitId: string): Promise<boolean> {
    const now = this.now();
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ waitId }),
          UpdateExpression: 'SET #deleted = :at, #expires = :expires',
          ConditionExpression:
            'attribute_exists(waitId) AND attribute_not_exists(#deleted) AND #status <> :running AND #status <> :pending',
          ExpressionAttributeNames: { '#deleted': 'deletedAt', '#expires': 'expiresAt', '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':at': new Date(now).toISOString(),
            ':expires': Math.floor(now / 1000) + TOMBSTONE_SECONDS,
            ':running': 'RUNNING',
            ':pending': 'PENDING',
          }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function recordOf(item: Record<string, unknown>): RegistryRecord {
  const {
    ownerId: _ownerId,
    listKey: _listKey,
    listPartition: _listPartition,
    expiresAt: _expiresAt,
    executionArns,
    ...record
  } = item;
  const executions = executionArns instanceof Set ? [...(executionArns as Set<string>)].sort() : [];
  return { ...record, executionArns: executions } as unknown as RegistryRecord;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A cursor back into its key, refused unless it is a key of this very listing (an owner's cursor for another's list, say). */
function decodeCursor(cursor: string, partitionKey: string, partition: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new RegistryCursorError('cursor: expected a cursor a previous page gave, got text that is not one');
  }
  const fields = key !== null && typeof key === 'object' ? Object.entries(key) : [];
  const valid =
    fields.length === 3 &&
    fields.every(
      ([name, value]) => ['waitId', 'listKey', partitionKey].includes(name) && typeof value === 'string',
    ) &&
    (key as Record<string, unknown>)[partitionKey] === partition;
  if (!valid) throw new RegistryCursorError('cursor: expected a cursor a previous page of this listing gave');
  return key as Record<string, unknown>;
}
