import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { StateChangeEvents } from '../waiters';
import { JOB_SYSTEMS } from './job-systems';
import { movedFor, PARK_TABLE_ENV, ParkStore } from './wake-up/park-store';
import { wake } from './wake-up/task-tokens';

/**
 * The waker: drains the queue job state-change events land in (EventBridge rule -> SQS) and wakes every
 * wait parked on a job that moved. Built for what the events are (Batch User Guide, "Job state change
 * events"; EventBridge, "Retrying events"): delivered at least once, out of order, some before the wait's
 * park is stored, some retried for up to 24 hours. So an event is only a hint: it wakes a wait whose job's
 * status differs from the one it parked on, the wait polls, and the status call decides.
 *
 * Each message is handled on its own; one that failed (throttled, DynamoDB or Step Functions unavailable)
 * is reported in `batchItemFailures` and comes back after the queue's visibility timeout. A message that
 * can never be handled (not a state-change event) is logged and dropped.
 */
export interface WakerDependencies {
  store: ParkStore;
  sfn: SFNClient;
  log: (line: Record<string, unknown>) => void;
  /** The systems whose events the queue carries (default: every registered one that has events). */
  systems?: readonly { id: string; events: StateChangeEvents }[];
}

/** What one message did: how many parks it woke, and how many stale ones it dropped. */
export interface MessageOutcome {
  woken: number;
  dropped: number;
}

const eventSystems = (): { id: string; events: StateChangeEvents }[] =>
  Object.values(JOB_SYSTEMS).flatMap(({ model }) =>
    model.stateChangeEvents === undefined ? [] : [{ id: model.id, events: model.stateChangeEvents }],
  );

export function createWaker(deps: WakerDependencies): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const systems = deps.systems ?? eventSystems();
  const handle = async (record: SQSRecord): Promise<MessageOutcome> => {
    let event: unknown;
    try {
      event = JSON.parse(record.body);
    } catch {
      deps.log({ event: 'wakeUpDropped', messageId: record.messageId, reason: 'body is not JSON' });
      return { woken: 0, dropped: 0 };
    }
    const source = (event as { source?: unknown } | null)?.source;
    const system = systems.find((candidate) => candidate.events.source === source);
    const change = system?.events.read(event) ?? {
      invalid: `no job system sends events from ${JSON.stringify(source)}`,
    };
    if ('invalid' in change) {
      deps.log({ event: 'wakeUpDropped', messageId: record.messageId, reason: change.invalid });
      return { woken: 0, dropped: 0 };
    }
    const outcome = { woken: 0, dropped: 0 };
    for (const parked of await deps.store.parksOn(system?.id as string, change.jobId)) {
      // The status it parked on (a duplicate, or an older event arriving late), or one its stage does not
      // wait for: not a move that matters.
      if (!movedFor(parked, change.status)) continue;
      const result = await wake(deps.sfn, parked.taskToken, { wokenBy: 'event', ...change });
      await deps.store.deleteUsed(parked);
      outcome[result === 'woken' ? 'woken' : 'dropped']++;
    }
    deps.log({ event: 'wakeUp', messageId: record.messageId, ...change, ...outcome });
    return outcome;
  };
  return async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await handle(record);
      } catch (error) {
        deps.log({
          event: 'wakeUpFailed',
          messageId: record.messageId,
          error: (error as Error).name,
          message: (error as Error).message,
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}

let defaultWaker: ReturnType<typeof createWaker> | undefined;

/** The deployed entry point: clients retry nothing themselves (a failed message comes back through SQS). */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => {
  defaultWaker ??= createWaker({
    store: new ParkStore(new DynamoDBClient({ maxAttempts: 2 }), process.env[PARK_TABLE_ENV] as string),
    sfn: new SFNClient({ maxAttempts: 2 }),
    log: (line) => console.log(JSON.stringify(line)),
  });
  return defaultWaker(event);
};
