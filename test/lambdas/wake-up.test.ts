import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchIo } from '../../lambdas/batch/io';
import { jobSystemIOs } from '../../lambdas/job-system-io';
import { createPollerFunction } from '../../lambdas/poll';
import { checkPollerConfig } from '../../lambdas/poller-config';
import { createSweeper } from '../../lambdas/sweeper';
import { verifyCallback } from '../../lambdas/wake-up/callback-url';
import type { ParkRecord, ParkStore } from '../../lambdas/wake-up/park-store';
import { createWaker } from '../../lambdas/waker';
import { seededRandom } from '../../lib/local/seeded-random';
import { LOCAL_CLIENT_SETTINGS } from '../../lib/local/template';
import {
  BATCH_EVENT_SOURCE,
  BATCH_JOB_STATE_CHANGE,
  batchJobSystem,
  POLL_EVENT_SCHEMA_VERSION,
  type WaitState,
} from '../../waiters';
import { DQOPS_DEFAULT_DELAYS, dqopsWaiterModel } from '../../waiters/dqops/jobs';
import { createHarness, describeOutput, job, pollerConfig, serviceError, T0 } from './fixtures';
import { parkTables } from './local-tables';

const newStore = parkTables();
const freshStore = (now: () => number = () => T0): Promise<ParkStore> => newStore(now);

function record(jobId: string, changes: Partial<ParkRecord> = {}): ParkRecord {
  return {
    pk: `batch#${jobId}`,
    sk: 'wait-1#1',
    system: 'batch',
    jobId,
    waitId: 'wait-1',
    stageIndex: 1,
    taskToken: `token-${jobId}`,
    parkedStatus: 'RUNNABLE',
    wakeOn: ['RUNNING', 'SUCCEEDED', 'FAILED'],
    parkedAt: T0,
    expiresAt: T0 / 1000 + 3600,
    ...changes,
  };
}

function batchEvent(jobId: string, status: string) {
  return {
    version: '0',
    id: `event-${jobId}-${status}`,
    'detail-type': BATCH_JOB_STATE_CHANGE,
    source: BATCH_EVENT_SOURCE,
    account: '123456789012',
    time: new Date(T0).toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:batch:us-east-1:123456789012:job/${jobId}`],
    detail: {
      jobId,
      jobName: 'nightly',
      status,
      jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/q',
    },
  };
}

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m-${index}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })) as SQSEvent['Records'],
  };
}

describe('ParkStore (on dynalite, through the real DynamoDB client)', () => {
  it('finds every wait parked on a job, and not those on other jobs', async () => {
    const store = await freshStore();
    await store.put([
      record('a'),
      record('a', { sk: 'wait-2#2', waitId: 'wait-2', taskToken: 't2' }),
      record('b'),
    ]);
    const parks = await store.parksOn('batch', 'a');
    expect(parks.map((park) => park.taskToken).sort()).toEqual(['t2', 'token-a']);
    expect(parks[0]).toMatchObject({ system: 'batch', jobId: 'a', parkedStatus: 'RUNNABLE' });
  });

  it('treats an expired record as gone and deletes it, though DynamoDB would still return it', async () => {
    let now = T0;
    const store = await freshStore(() => now);
    await store.put([record('a', { expiresAt: T0 / 1000 + 60 })]);
    now = T0 + 61_000;
    expect(await store.parksOn('batch', 'a')).toEqual([]);
    now = T0;
    expect(await store.parksOn('batch', 'a')).toEqual([]);
  });

  it('deletes a used record only while it holds the token read: a newer park of the wait stays', async () => {
    const store = await freshStore();
    await store.put([record('a', { taskToken: 'old' })]);
    await store.put([record('a', { taskToken: 'new' })]);
    expect(await store.deleteUsed(record('a', { taskToken: 'old' }))).toBe(false);
    expect((await store.parksOn('batch', 'a')).map((park) => park.taskToken)).toEqual(['new']);
    expect(await store.deleteUsed(record('a', { taskToken: 'new' }))).toBe(true);
    expect(await store.parksOn('batch', 'a')).toEqual([]);
  });
});

describe('the waker', () => {
  const sfn = new SFNClient({ ...LOCAL_CLIENT_SETTINGS, maxAttempts: 1 });
  const sfnMock = mockClient(sfn);
  beforeEach(() => sfnMock.reset());

  async function waker(store: ParkStore) {
    const logs: Record<string, unknown>[] = [];
    return { logs, wake: createWaker({ store, sfn, log: (line) => logs.push(line) }) };
  }

  it('wakes a wait whose job moved, and deletes the record it used', async () => {
    const store = await freshStore();
    await store.put([record('a')]);
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const { wake } = await waker(store);
    expect(await wake(sqsEvent(batchEvent('a', 'RUNNING')))).toEqual({ batchItemFailures: [] });
    const sent = sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.taskToken).toBe('token-a');
    expect(JSON.parse(sent[0]?.output as string)).toEqual({
      wokenBy: 'event',
      jobId: 'a',
      status: 'RUNNING',
    });
    expect(await store.parksOn('batch', 'a')).toEqual([]);
  });

  it('does not wake on the status the wait parked on (a duplicate, or an old event arriving late)', async () => {
    const store = await freshStore();
    await store.put([record('a', { parkedStatus: 'RUNNING' })]);
    const { wake } = await waker(store);
    await wake(sqsEvent(batchEvent('a', 'RUNNING'), batchEvent('a', 'RUNNING')));
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(await store.parksOn('batch', 'a')).toHaveLength(1);
  });

  it('does not wake on a move to a status the stage does not wait for (RUNNABLE to STARTING for JobRunning)', async () => {
    const store = await freshStore();
    await store.put([record('a')]);
    const { wake } = await waker(store);
    await wake(sqsEvent(batchEvent('a', 'STARTING')));
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    await store.put([record('b', { wakeOn: [] })]);
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    await wake(sqsEvent(batchEvent('b', 'STARTING')));
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('drops the record of a task that is gone (TaskTimedOut, InvalidToken, TaskDoesNotExist)', async () => {
    for (const name of ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']) {
      const store = await freshStore();
      await store.put([record('a')]);
      sfnMock.reset();
      sfnMock.on(SendTaskSuccessCommand).rejects(serviceError(name, 400));
      const { wake, logs } = await waker(store);
      expect(await wake(sqsEvent(batchEvent('a', 'SUCCEEDED')))).toEqual({ batchItemFailures: [] });
      expect(await store.parksOn('batch', 'a')).toEqual([]);
      expect(logs.at(-1)).toMatchObject({ event: 'wakeUp', woken: 0, dropped: 1 });
    }
  });

  it('reports a throttled SendTaskSuccess as a failed message, keeping the record for the retry', async () => {
    const store = await freshStore();
    await store.put([record('a'), record('b')]);
    sfnMock
      .on(SendTaskSuccessCommand, { taskToken: 'token-a' })
      .rejects(serviceError('ThrottlingException', 400));
    sfnMock.on(SendTaskSuccessCommand, { taskToken: 'token-b' }).resolves({});
    const { wake } = await waker(store);
    const response = await wake(sqsEvent(batchEvent('a', 'RUNNING'), batchEvent('b', 'RUNNING')));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    expect(await store.parksOn('batch', 'a')).toHaveLength(1);
    expect(await store.parksOn('batch', 'b')).toEqual([]);
  });

  it('drops, with the reason logged, messages that are no state-change event', async () => {
    const store = await freshStore();
    const { wake, logs } = await waker(store);
    const response = await wake(
      sqsEvent(
        'not json',
        { source: 'aws.ecs' },
        { ...batchEvent('a', 'RUNNING'), detail: { status: 'RUNNING' } },
      ),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs.map((line) => line.reason)).toEqual([
      'body is not JSON',
      'no job system sends events from "aws.ecs"',
      'detail.jobId: expected a Batch job id, got undefined',
    ]);
  });
});

/**
 * The poller function in event mode on a fresh park table, with Batch mocked; `call(state, token?)` sends it a
 * poll event, or a park event with that task token.
 */
async function eventModePoller(
  sfn: SFNClient,
  extra: Pick<Parameters<typeof createPollerFunction>[0], 'callbacks'> & { waitId?: string } = {},
) {
  const harness = createHarness({ wakeUp: 'events' });
  const store = await freshStore(() => harness.clockMs);
  const { waitId = 'wait-1', ...dependencies } = extra;
  const poller = createPollerFunction({
    systems: jobSystemIOs({ batch: batchIo(harness.batch) }),
    now: () => harness.clockMs,
    random: () => 0.5,
    log: (line) => harness.logs.push(line),
    newWaitId: () => waitId,
    wakeUps: { store, sfn },
    ...dependencies,
  });
  const call = async (state: unknown, park?: string) =>
    (await poller({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: harness.config,
      state,
      ...(park === undefined ? {} : { park: { taskToken: park } }),
    })) as WaitState;
  return { harness, store, call };
}

describe('the poller in event mode', () => {
  const sfn = new SFNClient({ ...LOCAL_CLIENT_SETTINGS, maxAttempts: 1 });
  const sfnMock = mockClient(sfn);
  beforeEach(() => sfnMock.reset());

  const eventHarness = () => eventModePoller(sfn);

  it('parks once the job is seen, for the backstop or until the deadline, never before', async () => {
    const { harness, call } = await eventHarness();
    harness.batchMock
      .on(DescribeJobsCommand)
      .resolvesOnce(describeOutput())
      .resolves(describeOutput(job('a', 'RUNNABLE')));
    const unseen = await call({ request: { jobId: 'a', timeoutSeconds: 7200 } });
    expect(unseen).toMatchObject({ state: 'retry', stageIndex: 0 });
    expect(unseen.parkSeconds).toBeUndefined();
    const seen = await call(unseen);
    expect(seen).toMatchObject({ state: 'retry', stageIndex: 1, parkedOn: { stageIndex: 1, jobIds: ['a'] } });
    // The deadline (two hours) comes before the six-hour backstop.
    expect(seen.parkSeconds).toBe(Math.floor((Date.parse(seen.deadline) - harness.clockMs) / 1000));
  });

  it('stores a park per job, then checks once more and wakes itself if a job moved meanwhile', async () => {
    const { harness, store, call } = await eventHarness();
    harness.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job('a', 'RUNNABLE'), job('b', 'RUNNABLE')));
    const parked = await call(await call({ request: { jobIds: ['a', 'b'] } }));
    expect(parked.parkedOn?.jobIds).toEqual(['a', 'b']);

    await call(parked, 'token-1');
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect((await store.parksOn('batch', 'b')).map((park) => park.parkedStatus)).toEqual(['RUNNABLE']);
    // JobRunning's acceptors name these: a move to STARTING cannot change its decision.
    expect((await store.parksOn('batch', 'b'))[0]?.wakeOn).toEqual(['RUNNING', 'SUCCEEDED', 'FAILED']);

    harness.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job('a', 'RUNNABLE'), job('b', 'STARTING')));
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    await call(parked, 'token-2');
    const sent = sfnMock.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
    expect(sent.map((input) => input.taskToken)).toEqual(['token-2']);
    expect(JSON.parse(sent[0]?.output as string)).toEqual({ wokenBy: 'recheck', jobId: 'b' });
  });

  it('re-parks on the jobs still open and deletes the records of those that finished', async () => {
    const { harness, store, call } = await eventHarness();
    harness.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job('a', 'RUNNING'), job('b', 'RUNNING')));
    const running = await call(await call({ request: { jobIds: ['a', 'b'] } }));
    const inComplete = running.stageIndex === 2 ? running : await call(running);
    expect(inComplete.parkedOn).toEqual({ stageIndex: 2, jobIds: ['a', 'b'] });
    await call(inComplete, 'token-1');

    harness.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job('a', 'SUCCEEDED'), job('b', 'RUNNING')));
    const rest = await call(inComplete);
    expect(rest.parkedOn).toEqual({ stageIndex: 2, jobIds: ['b'] });
    expect(await store.parksOn('batch', 'a')).toEqual([]);
    expect(await store.parksOn('batch', 'b')).toHaveLength(1);

    harness.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job('a', 'SUCCEEDED'), job('b', 'SUCCEEDED')));
    const done = await call(rest);
    expect(done).toMatchObject({ state: 'success' });
    expect(done.parkedOn).toBeUndefined();
    expect(await store.parksOn('batch', 'b')).toEqual([]);
  });

  it('does not park after a throttled call: the backoff Wait goes first', async () => {
    const { harness, call } = await eventHarness();
    harness.batchMock
      .on(DescribeJobsCommand)
      .resolvesOnce(describeOutput(job('a', 'RUNNABLE')))
      .rejects(serviceError('TooManyRequestsException', 429));
    const parked = await call({ request: { jobId: 'a' } });
    const throttled = await call(parked.stageIndex === 1 ? parked : await call(parked));
    expect(throttled).toMatchObject({ state: 'retry', throttledCalls: 1 });
    expect(throttled.parkSeconds).toBeUndefined();
  });

  it('refuses wakeUp for a system without state-change events, and a backstop below a minute, by field', () => {
    const dqops = {
      ...pollerConfig(),
      system: 'dqops',
      endpoint: 'https://dqops.example.com',
      model: dqopsWaiterModel('error').toJSON(),
      delays: { ...DQOPS_DEFAULT_DELAYS },
      wakeUp: 'events' as const,
    };
    expect(() => checkPollerConfig(dqops)).toThrow(
      expect.objectContaining({
        field: 'config.wakeUp',
        message: expect.stringContaining('DQOps sends no job state-change events'),
      }),
    );
    expect(() => checkPollerConfig(pollerConfig({ wakeUp: 'events', parkBackstopSeconds: 30 }))).toThrow(
      expect.objectContaining({ field: 'config.parkBackstopSeconds' }),
    );
    expect(
      checkPollerConfig(pollerConfig({ wakeUp: 'events', parkBackstopSeconds: 3600 })).config.wakeUp,
    ).toBe('events');
  });
});

describe('callback URLs in event mode', () => {
  const sfn = new SFNClient({ ...LOCAL_CLIENT_SETTINGS, maxAttempts: 1 });
  mockClient(sfn).on(SendTaskSuccessCommand).resolves({});
  const secret = JSON.stringify({ current: 'k1', k1: 'k1-secret-0123456789abcdef' });

  it('mints a signed URL valid until the deadline, parks a callback record beside the jobs’, and cleans it up', async () => {
    const { harness, store, call } = await eventModePoller(sfn, {
      waitId: 'wait-9',
      callbacks: {
        baseUrl: 'https://cb.example.com/',
        keys: { read: async () => secret, refresh: async () => secret },
      },
    });
    harness.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job('a', 'RUNNABLE')));
    const first = await call({ request: { jobId: 'a', timeoutSeconds: 3600 } });
    const url = new URL(first.callbackUrl as string);
    expect(url.origin + url.pathname).toBe('https://cb.example.com/wake/wait-9');
    expect(Number(url.searchParams.get('expires'))).toBe(Date.parse(first.deadline) / 1000);
    const verdict = verifyCallback(
      { method: 'POST', path: url.pathname, query: Object.fromEntries(url.searchParams) },
      { current: 'k1', keys: { k1: 'k1-secret-0123456789abcdef' } },
      harness.clockMs,
    );
    expect(verdict).toEqual({ waitId: 'wait-9' });

    const parkedState = first.parkSeconds === undefined ? await call(first) : first;
    await call(parkedState, 'token-9');
    expect((await store.parksOn('callback', 'wait-9')).map((park) => park.taskToken)).toEqual(['token-9']);
    harness.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job('a', 'SUCCEEDED')));
    expect(await call(parkedState)).toMatchObject({ state: 'success', callbackUrl: first.callbackUrl });
    expect(await store.parksOn('callback', 'wait-9')).toEqual([]);
  });
});

describe('the sweeper', () => {
  const sfn = new SFNClient({ ...LOCAL_CLIENT_SETTINGS, maxAttempts: 1 });
  const sfnMock = mockClient(sfn);
  beforeEach(() => sfnMock.reset());

  it('asks 100 jobs per DescribeJobs call and wakes only the parks whose job moved to a status they wait for', async () => {
    const store = await freshStore();
    const ids = Array.from({ length: 250 }, (_, index) => `job-${index}`);
    await store.put(ids.map((id) => record(id)));
    const harness = createHarness();
    // Every tenth job is RUNNING now; every seventh went to STARTING (JobRunning does not wait for it).
    const statusOf = (id: string, index = Number(id.slice(4))) =>
      index % 10 === 0 ? 'RUNNING' : index % 7 === 0 ? 'STARTING' : 'RUNNABLE';
    harness.batchMock
      .on(DescribeJobsCommand)
      .callsFake((input: { jobs: string[] }) =>
        describeOutput(...input.jobs.map((id) => job(id, statusOf(id)))),
      );
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const sweep = createSweeper({
      store,
      sfn,
      systems: [{ model: batchJobSystem, io: batchIo(harness.batch) }],
      now: () => T0,
      log: () => {},
    });
    const report = await sweep();
    expect(
      harness
        .describeCalls()
        .map((jobs) => jobs.length)
        .sort(),
    ).toEqual([100, 100, 50]);
    const woken = sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken);
    expect(woken.sort()).toEqual(
      ids
        .filter((id) => statusOf(id) === 'RUNNING')
        .map((id) => `token-${id}`)
        .sort(),
    );
    expect(report).toMatchObject({ parks: 250, statusCalls: 3, woken: 25, dropped: 0 });
    expect(await store.parksOn('batch', 'job-10')).toEqual([]);
    expect(await store.parksOn('batch', 'job-7')).toHaveLength(1);
  });

  it('wakes a job in a status nobody documented, and nothing for an answer that shows no jobs', async () => {
    const store = await freshStore();
    await store.put([record('a'), record('b'), record('c')]);
    const harness = createHarness();
    harness.batchMock
      .on(DescribeJobsCommand)
      .resolvesOnce(describeOutput(job('a', 'RUNNABLE'), job('b', 'PAUSED'), job('c', 'RUNNABLE')))
      .rejects(serviceError('AccessDeniedException', 403));
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const sweep = createSweeper({
      store,
      sfn,
      systems: [{ model: batchJobSystem, io: batchIo(harness.batch) }],
      now: () => T0,
      log: () => {},
    });
    await sweep();
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken)).toEqual([
      'token-b',
    ]);
    // Access denied: an error says nothing of the jobs, so nothing is woken.
    await sweep();
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('checks other parks at each sweep cut short by throttling, so every park is reached', async () => {
    const store = await freshStore();
    const ids = Array.from({ length: 500 }, (_, index) => `job-${index}`);
    await store.put(ids.map((id) => record(id)));
    const harness = createHarness();
    const asked = new Set<string>();
    let calls = 0;
    harness.batchMock.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => {
      // Every other call throttled: a sweep gets one batch of 100 through, then stops.
      if (calls++ % 2 === 1) throw serviceError('TooManyRequestsException', 429);
      for (const id of input.jobs) asked.add(id);
      return describeOutput(...input.jobs.map((id) => job(id, 'RUNNABLE')));
    });
    const sweep = createSweeper({
      store,
      sfn,
      systems: [{ model: batchJobSystem, io: batchIo(harness.batch) }],
      now: () => T0,
      log: () => {},
      random: seededRandom(3),
    });
    // A random 100 of 500 a sweep: after 50 sweeps each park is left unchecked with odds of 0.8^50.
    for (let n = 0; n < 50; n++) await sweep();
    expect(asked.size).toBe(500);
  });

  it('stops at a throttled DescribeJobs and loses no park: the next sweep goes on', async () => {
    const store = await freshStore();
    await store.put([record('a'), record('b')]);
    const harness = createHarness();
    harness.batchMock.on(DescribeJobsCommand).rejects(serviceError('TooManyRequestsException', 429));
    const report = await createSweeper({
      store,
      sfn,
      systems: [{ model: batchJobSystem, io: batchIo(harness.batch) }],
      now: () => T0,
      log: () => {},
    })();
    expect(report.stoppedEarly).toMatch(/throttled/);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(await store.parksOn('batch', 'a')).toHaveLength(1);
  });
});
