import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { type ExecutionStatusChange, recordExecutionEnd } from '../../lambdas/registry/end-recorder';
import { handler as recordEnd } from '../../lambdas/registry-ends';
import { BATCH_STAGES, POLL_EVENT_SCHEMA_VERSION, registryViewOf, type WaitState } from '../../waiters';
import { waitState } from '../waiters/wait-state-fixture';
import { createHarness, describeOutput, isWaitState, job } from './fixtures';
import { registryTables } from './local-tables';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:execution:Waiter';
const ID = 'c0000000-0000-4000-8000-0000000000e1';

const tables = registryTables();
const registry = () => tables.store();

const ended = (detail: NonNullable<ExecutionStatusChange['detail']>): ExecutionStatusChange => ({
  'detail-type': 'Step Functions Execution Status Change',
  // As the registry API starts them: the execution named after the wait, the wait's id in the input.
  detail: {
    executionArn: `${MACHINE}:${detail.name}`,
    stopDate: Date.parse('2026-12-02T08:00:00Z'),
    input: JSON.stringify({ jobId: 'a', waitId: detail.name }),
    ...detail,
  },
});

const state = (overrides: Partial<WaitState>): WaitState =>
  waitState({
    stageIndex: 2,
    jobIds: ['a', 'b'],
    seenJobIds: ['a', 'b'],
    jobs: [
      { jobId: 'a', status: 'RUNNING', phase: 'running' },
      { jobId: 'b', status: 'RUNNING', phase: 'running' },
    ],
    waitedSeconds: 1,
    segmentPolls: 3,
    target: { jobIds: ['a', 'b'] },
    ...overrides,
  });

describe('the recorder of execution ends', () => {
  it("carries the jobs' final statuses from the end when the last poll's write never landed", async () => {
    const store = await registry();
    await store.recordProgress(ID, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    const output = {
      status: 'SUCCEEDED',
      jobs: [
        { jobId: 'a', status: 'SUCCEEDED', phase: 'succeeded', exitCode: 0 },
        { jobId: 'b', status: 'SUCCEEDED', phase: 'succeeded', exitCode: 0 },
      ],
    };
    await recordExecutionEnd(store, ended({ name: ID, status: 'SUCCEEDED', output: JSON.stringify(output) }));
    expect(await store.get(ID)).toMatchObject({
      status: 'SUCCEEDED',
      tethysStatus: 'Complete',
      jobs: output.jobs,
    });

    const failed = 'c0000000-0000-4000-8000-0000000000f2';
    await store.recordProgress(failed, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    const cause = {
      reason: 'job b failed',
      jobs: {
        a: { status: 'SUCCEEDED', exitCode: 0 },
        b: { status: 'FAILED', statusReason: 'Essential container in task exited', exitCode: 3 },
      },
    };
    await recordExecutionEnd(
      store,
      ended({ name: failed, status: 'FAILED', error: 'StepWait.JobFailed', cause: JSON.stringify(cause) }),
    );
    expect(await store.get(failed)).toMatchObject({
      status: 'FAILED',
      tethysStatus: 'Error',
      jobs: [
        { jobId: 'a', status: 'SUCCEEDED', exitCode: 0 },
        { jobId: 'b', status: 'FAILED', statusReason: 'Essential container in task exited', exitCode: 3 },
      ],
    });
  });

  it("leaves the jobs as they were when the end's output was cut, or a poll wrote the end", async () => {
    const store = await registry();
    await store.recordProgress(ID, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    await recordExecutionEnd(
      store,
      ended({ name: ID, status: 'SUCCEEDED', output: '{"jobs":[{"jobId":"a"' }),
    );
    expect((await store.get(ID))?.jobs?.map((job) => job.status)).toEqual(['RUNNING', 'RUNNING']);

    const polled = 'c0000000-0000-4000-8000-0000000000f3';
    const end = state({ status: 'FAILED', jobs: [{ jobId: 'a', status: 'FAILED', phase: 'failed' }] });
    await store.recordProgress(polled, registryViewOf(end, BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    await recordExecutionEnd(
      store,
      ended({
        name: polled,
        status: 'FAILED',
        error: 'StepWait.JobFailed',
        cause: JSON.stringify({ jobs: { a: { status: 'SUCCEEDED' } } }),
      }),
    );
    expect((await store.get(polled))?.jobs).toEqual([{ jobId: 'a', status: 'FAILED', phase: 'failed' }]);
  });

  it('records an end no poll wrote, finds the wait by its execution’s name, and keeps a poll’s finer status', async () => {
    const store = await registry();
    await store.recordProgress(ID, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    expect(
      await recordExecutionEnd(store, ended({ name: ID, status: 'FAILED', error: 'States.Timeout' })),
    ).toEqual({
      recorded: true,
      waitId: ID,
      standing: 'FAILED',
    });
    expect(await store.get(ID)).toMatchObject({
      status: 'FAILED',
      tethysStatus: 'Error',
      final: true,
      completedAt: '2026-12-02T08:00:00.000Z',
      endReason: 'the execution failed: States.Timeout',
    });

    const other = 'c0000000-0000-4000-8000-0000000000e2';
    const mixed = state({
      status: 'FAILED',
      state: 'failure',
      jobs: [
        { jobId: 'a', status: 'SUCCEEDED', phase: 'succeeded' },
        { jobId: 'b', status: 'FAILED', phase: 'failed' },
      ],
    });
    await store.recordProgress(other, registryViewOf(mixed, BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    await recordExecutionEnd(store, ended({ name: other, status: 'FAILED', error: 'StepWait.JobFailed' }));
    expect(await store.get(other)).toMatchObject({
      status: 'FAILED',
      tethysStatus: 'Various-Complete',
      final: true,
    });
  });

  it('stops a registry wait as Aborted, once however often the event comes', async () => {
    const store = await registry();
    await store.recordProgress(ID, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    const event = ended({ name: ID, status: 'ABORTED' });
    // An execution given a copy of that input under another name is not that wait.
    const copy = ended({
      name: 'c0000000-0000-4000-8000-0000000000e9',
      status: 'ABORTED',
      input: JSON.stringify({ waitId: ID }),
    });
    expect(await recordExecutionEnd(store, copy)).toMatchObject({ recorded: false });
    expect(await store.get(ID)).toMatchObject({ status: 'RUNNING' });
    await recordExecutionEnd(store, event);
    await recordExecutionEnd(store, event);
    expect(await store.get(ID)).toMatchObject({ status: 'ABORTED', tethysStatus: 'Aborted', final: true });
  });

  it('reads a succeeded execution’s output for a timeout without failing, and ignores what is no end or no wait', async () => {
    const store = await registry();
    await store.recordProgress(ID, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    await recordExecutionEnd(
      store,
      ended({ name: ID, status: 'SUCCEEDED', output: '{"status":"TIMED_OUT","timedOut":true}' }),
    );
    expect(await store.get(ID)).toMatchObject({ status: 'TIMED_OUT', tethysStatus: 'Other' });

    expect(await recordExecutionEnd(store, ended({ name: ID, status: 'RUNNING' }))).toEqual({
      recorded: false,
      why: 'status RUNNING is not an end',
    });
    expect(await recordExecutionEnd(store, ended({ name: `${ID}-2`, status: 'FAILED' }))).toMatchObject({
      recorded: false,
      why: expect.stringMatching(/not named after a registry wait/),
    });
    const unknown = 'c0000000-0000-4000-8000-0000000000ff';
    expect(await recordExecutionEnd(store, ended({ name: unknown, status: 'ABORTED' }))).toEqual({
      recorded: false,
      why: `no wait ${unknown} in the registry`,
    });
    expect(await store.get(unknown)).toBeUndefined();
  });

  it('leaves a deleted wait deleted', async () => {
    const store = await registry();
    await store.recordProgress(
      ID,
      registryViewOf(state({ status: 'SUCCEEDED', state: 'success' }), BATCH_STAGES, '2026-12-02T07:00:00Z'),
      {},
    );
    await store.markDeleted(ID);
    expect(await recordExecutionEnd(store, ended({ name: ID, status: 'SUCCEEDED' }))).toMatchObject({
      recorded: false,
    });
    expect(await store.get(ID)).toBeUndefined();
  });

  it('honours a request’s waitId only in the execution named after it (a Map, a copied input get their own)', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job('a', 'RUNNING')));
    const poll = (name: string) =>
      h.handler({
        schemaVersion: POLL_EVENT_SCHEMA_VERSION,
        config: h.config,
        state: { request: { jobId: 'a', waitId: ID } },
        execution: `${MACHINE}:${name}`,
      });
    const registered = await poll(ID);
    const copied = await poll('c0000000-0000-4000-8000-0000000000e9');
    if (!isWaitState(registered) || !isWaitState(copied)) throw new Error('refused');
    expect(registered.waitId).toBe(ID);
    expect(copied.waitId).toMatch(/^wait-/);
  });
});

describe('the deployed recorder (lambdas/registry-ends.ts)', () => {
  it('records an end from its environment: the table, and the SDK’s own endpoint setting', async () => {
    const store = await registry();
    await store.recordProgress(ID, registryViewOf(state({}), BATCH_STAGES, '2026-12-02T07:00:00Z'), {});
    const saved = { ...process.env };
    Object.assign(process.env, {
      STEPWAIT_REGISTRY_TABLE: store.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: tables.dynamo().endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    const logs: string[] = [];
    const log = console.log;
    console.log = (line: string) => logs.push(line);
    try {
      await recordEnd(ended({ name: ID, status: 'ABORTED' }));
    } finally {
      console.log = log;
      process.env = saved;
    }
    expect(await store.get(ID)).toMatchObject({ status: 'ABORTED', tethysStatus: 'Aborted' });
    expect(JSON.parse(logs[0] as string)).toMatchObject({
      event: 'executionEnd',
      recorded: true,
      waitId: ID,
    });
  });
});
