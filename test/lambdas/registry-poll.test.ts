import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { type DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { POLL_EVENT_SCHEMA_VERSION } from '../../waiters';
import { createHarness, describeOutput, isWaitState, job } from './fixtures';
import { registryTables } from './local-tables';

const JOB = 'c0000000-0000-4000-8000-000000000001';

const tables = registryTables();
const clients: DynamoDBClient[] = [];
afterAll(() => {
  for (const client of clients) client.destroy();
});

/**
 * A registry on dynalite whose UpdateItem calls are answered as throttled while `throttled()` holds, and held
 * back `delayMs` first.
 */
async function registry(throttled: () => boolean = () => false, delayMs = 0) {
  const client = tables.dynamo().client();
  clients.push(client);
  let writes = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') {
        writes++;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (throttled()) {
          throw new ProvisionedThroughputExceededException({
            message: 'throttled',
            $metadata: { httpStatusCode: 400 },
          });
        }
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  return { store: await tables.store(undefined, client), writes: () => writes };
}

describe('the poller keeps the registry: a write per change, never per poll', () => {
  it('records only waits of a waiter the registry serves, not another machine’s the poller also runs', async () => {
    const { store, writes } = await registry();
    const h = createHarness({}, { registry: { store } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNABLE')));
    const first = await h.handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: h.config,
      state: { request: { jobId: JOB } },
      execution: 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:nightly-run',
    });
    if (!isWaitState(first)) throw new Error('refused');
    expect(first.state).toBe('retry');
    expect(writes()).toBe(0);
    expect(await store.get(first.waitId as string)).toBeUndefined();
  });

  it('records a wait nobody registered at its first poll, then only the polls that changed something', async () => {
    const { store, writes } = await registry();
    const h = createHarness({ recordedInRegistry: true }, { registry: { store } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNABLE')));
    const execution = 'arn:aws:states:us-east-1:123456789012:execution:Waiter:nightly-run';
    const first = await h.handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: h.config,
      state: { request: { jobId: JOB } },
      execution,
    });
    if (!isWaitState(first)) throw new Error('refused');
    let state = first;
    expect(writes()).toBe(1);
    expect(await store.get(state.waitId as string)).toMatchObject({
      executionArns: [execution],
      owner: { hint: 'started outside the registry (waiter test, execution nightly-run)' },
    });
    expect(await store.get(state.waitId as string)).toMatchObject({
      name: JOB,
      owner: { id: 'unverified', verified: false },
      tethysStatus: 'Submitted',
      stage: 'JobRunning',
    });
    for (let poll = 0; poll < 5; poll++) state = await h.next(state);
    expect(writes()).toBe(1);

    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    state = await h.next(state);
    state = await h.next(state);
    expect(writes()).toBe(2);
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'SUCCEEDED')));
    state = await h.next(state);
    expect(state.status).toBe('SUCCEEDED');
    expect(writes()).toBe(3);
    expect(await store.get(state.waitId as string)).toMatchObject({
      status: 'SUCCEEDED',
      tethysStatus: 'Complete',
    });
  });

  it('goes on when a write is throttled, and the next poll makes it good: no status change is lost', async () => {
    let throttle = true;
    const { store } = await registry(() => throttle);
    const h = createHarness({ recordedInRegistry: true }, { registry: { store } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    expect(state).toMatchObject({ state: 'retry', registryBehind: true });
    expect(h.logs).toContainEqual({
      waiter: 'test',
      event: 'registryWriteFailed',
      error: 'ProvisionedThroughputExceededException',
    });
    expect(await store.get(state.waitId as string)).toBeUndefined();

    throttle = false;
    state = await h.next(state);
    expect(state).not.toHaveProperty('registryBehind');
    expect(await store.get(state.waitId as string)).toMatchObject({
      tethysStatus: 'Running',
      stage: 'JobComplete',
    });
  });

  it('does not wait for a write that hangs: the poll goes on past its budget, and the registry catches up', async () => {
    const { store } = await registry(() => false, 300);
    const h = createHarness({ recordedInRegistry: true }, { registry: { store, writeBudgetMs: 20 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first({ jobId: JOB });
    expect(state).toMatchObject({ state: 'retry', registryBehind: true });
    expect(h.logs).toContainEqual({ waiter: 'test', event: 'registryWriteSlow' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await store.get(state.waitId as string)).toMatchObject({ tethysStatus: 'Running' });
  });
});
