import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AirbyteJobs } from '../../lib/airbyte/airbyte-jobs';
import { JobWaiter } from '../../lib/job-waiter';
import {
  LOCAL_AIRBYTE_CLIENT,
  type LocalJobSystems,
  startLocalJobSystems,
} from '../../lib/local/local-job-systems';
import { LocalMachine } from '../../lib/local/local-machine';
import { type RunnableMachine, runnableMachine } from '../../lib/local/runnable-machine';
import { seededRandom } from '../../lib/local/seeded-random';
import type { CfnTemplate } from '../../lib/local/template';
import { VirtualClock } from '../../lib/local/virtual-clock';
import type { WaitOutput } from '../../waiters';

/**
 * Airbyte waits on the synthesized ASL: a JobWaiter with AirbyteJobs (trigger-and-wait), its poller calling
 * the Airbyte emulator through the deployed I/O code, client credentials from a local Secrets Manager
 * exchanged for short-lived tokens.
 */

const CONNECTION = '6f1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f';
let machine: RunnableMachine;
let clock: VirtualClock;
let locals: LocalJobSystems;
let secretArn: string;

beforeAll(async () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Syncs');
  const waiter = new JobWaiter(stack, 'SyncWaiter', {
    jobSystem: new AirbyteJobs({
      baseUrl: 'https://api.airbyte.com',
      credentials: new secretsmanager.Secret(stack, 'AirbyteCredentials'),
      triggerSync: true,
    }),
    cancelJobOnTimeout: true,
  });
  const template = app.synth().getStackByName('Syncs').template as CfnTemplate;
  machine = runnableMachine(
    template,
    stack.getLogicalId(waiter.stateMachine.node.defaultChild as CfnStateMachine),
  );
  clock = new VirtualClock();
  locals = await startLocalJobSystems(machine, clock);
  secretArn = JSON.parse(Object.values(machine.pollerEnvironments)[0]?.STEPWAIT_ENDPOINTS ?? '[]')[0]
    ?.secretArn;
});

afterAll(() => locals.stop());
beforeEach(() => locals.airbyte.setFaults({}));

function local(): LocalMachine {
  return new LocalMachine({
    machine,
    batchEndpoint: 'http://127.0.0.1:9',
    clock,
    random: seededRandom(3),
    jobSystems: locals.systemsFor,
  });
}

const tokenRequests = () =>
  locals.airbyte.requests.filter((request) => request.path.endsWith('/applications/token'));
const triggers = () =>
  locals.airbyte.requests.filter((request) => request.method === 'POST' && request.path === '/v1/jobs');

describe('an Airbyte wait on the synthesized machine', () => {
  it('waits for a sync by job id, with tokens fetched again as they expire', async () => {
    const id = locals.airbyte.startSync('0a0b0c0d-0000-4000-8000-000000000001', {
      pendingSeconds: 20,
      runSeconds: 1_800,
    });
    const before = tokenRequests().length;
    const result = await local().run({ jobId: id });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as WaitOutput).jobs).toEqual([
      expect.objectContaining({
        jobId: id,
        status: 'succeeded',
        phase: 'succeeded',
        detail: expect.objectContaining({ rowsSynced: 12_000 }),
      }),
    ]);
    // A 30-minute sync outlives several 3-minute tokens: each is kept 2 minutes (a minute before it
    // expires), so about one token per 2 minutes of polling, never one per call, and none refused.
    const tokens = tokenRequests().length - before;
    expect(tokens).toBeGreaterThanOrEqual(5);
    expect(tokens).toBeLessThanOrEqual(Math.ceil(result.simulatedSeconds / 120) + 2);
    expect(tokens).toBeLessThan(result.lambdaInvocations);
    expect(locals.airbyte.requests.filter((request) => request.status === 401)).toHaveLength(0);
  });

  it('triggers one sync of the connection and waits for it', async () => {
    locals.airbyte.addConnection(CONNECTION, { pendingSeconds: 5, runSeconds: 600 });
    const before = triggers().length;
    const result = await local().run({ jobName: CONNECTION });
    expect(result.status).toBe('SUCCEEDED');
    expect(triggers().length - before).toBe(1);
    const [newest] = locals.airbyte.syncsOf(CONNECTION);
    expect((result.output as WaitOutput).jobs[0]?.jobId).toBe(String(newest?.jobId));
  });

  it('attaches to a sync started just before the wait (within the first poll’s retry margin)', async () => {
    const connection = '9e1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f';
    const started = locals.airbyte.startSync(connection, { pendingSeconds: 0, runSeconds: 600 });
    clock.advanceSeconds(60);
    const before = triggers().length;
    const result = await local().run({ jobName: connection });
    expect((result.output as WaitOutput).jobs[0]?.jobId).toBe(started);
    expect(triggers().length).toBe(before);
  });

  it('starts no second sync when the trigger’s answer was lost: it finds the one it started', async () => {
    const connection = '7e1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f';
    // The sync ends before the retry: only the lookup (not a 409) can find it.
    locals.airbyte.addConnection(connection, { pendingSeconds: 0, runSeconds: 1 });
    locals.airbyte.setFaults({ dropTriggerAnswerNext: 1 });
    const before = locals.airbyte.requests.length;
    const result = await local().run({ jobName: connection });
    expect(result.status).toBe('SUCCEEDED');
    expect(locals.airbyte.syncsOf(connection)).toHaveLength(1);
    const posts = locals.airbyte.requests
      .slice(before)
      .filter((request) => request.method === 'POST' && request.path === '/v1/jobs');
    expect(posts.map((request) => request.status)).toEqual([-1]);
  });

  it('attaches to the sync already running (Airbyte answers the trigger 409)', async () => {
    const connection = '8e1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f';
    // Started well before the wait (beyond FIRST_POLL_LAG_MS), so the lookup leaves it out: the trigger meets it.
    const running = locals.airbyte.startSync(connection, { pendingSeconds: 0, runSeconds: 3_600 });
    clock.advanceSeconds(900);
    const result = await local().run({ jobName: connection });
    expect(result.status).toBe('SUCCEEDED');
    expect(locals.airbyte.syncsOf(connection)).toHaveLength(1);
    expect((result.output as WaitOutput).jobs[0]?.jobId).toBe(running);
    expect(locals.airbyte.requests.some((request) => request.status === 409)).toBe(true);
  });

  it('attaches on a 409 to a sync that is incomplete (being retried), not only to a running one', async () => {
    const connection = 'ae1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f';
    const retrying = locals.airbyte.startSync(connection, {
      pendingSeconds: 0,
      runSeconds: 1_800,
      incompleteSeconds: 1_800,
    });
    // Outside the lookup's window, and incomplete by now: only the 409 leads to it.
    clock.advanceSeconds(1_000);
    expect(locals.airbyte.job(retrying)?.status).toBe('incomplete');
    const before = triggers().length;
    const result = await local().run({ jobName: connection });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as WaitOutput).jobs[0]?.jobId).toBe(retrying);
    expect(triggers().length - before).toBe(1);
  });

  it('triggers a new sync rather than take one that ended just before the wait', async () => {
    const connection = 'be1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f';
    locals.airbyte.addConnection(connection, { pendingSeconds: 0, runSeconds: 60 });
    const old = locals.airbyte.startSync(connection, {
      pendingSeconds: 0,
      runSeconds: 30,
      outcome: 'failed',
    });
    clock.advanceSeconds(180);
    const result = await local().run({ jobName: connection });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as WaitOutput).jobs[0]?.jobId).not.toBe(old);
    expect(locals.airbyte.syncsOf(connection)).toHaveLength(2);
  });

  it('keeps waiting through incomplete (Airbyte retries), and fails on a failed sync', async () => {
    const retried = locals.airbyte.startSync('1a0b0c0d-0000-4000-8000-000000000001', {
      pendingSeconds: 0,
      runSeconds: 600,
      incompleteSeconds: 300,
    });
    expect((await local().run({ jobId: retried })).status).toBe('SUCCEEDED');
    const failed = locals.airbyte.startSync('2a0b0c0d-0000-4000-8000-000000000001', {
      pendingSeconds: 0,
      runSeconds: 120,
      outcome: 'failed',
    });
    const result = await local().run({ jobId: failed });
    expect(result.error).toBe('StepWait.JobFailed');
    expect(JSON.parse(result.cause as string).jobs[failed]).toMatchObject({ status: 'failed' });
  });

  it('cancels the sync when the deadline passes (cancelJobOnTimeout)', async () => {
    const id = locals.airbyte.startSync('3a0b0c0d-0000-4000-8000-000000000001', {
      pendingSeconds: 0,
      runSeconds: 7_200,
    });
    const result = await local().run({ jobId: id, timeoutSeconds: 600 });
    expect(result.error).toBe('StepWait.Timeout');
    expect(JSON.parse(result.cause as string)).toMatchObject({ cancelledJobIds: [id] });
    expect(locals.airbyte.job(id)?.status).toBe('cancelled');
  });

  it('ends with StepWait.PollFailed on refused client credentials, without showing the secret', async () => {
    locals.secrets.put(secretArn, JSON.stringify({ clientId: 'someone', clientSecret: 'a-wrong-secret' }));
    locals.coldStart();
    // A proxy page that echoes the token request (with the client secret) must not carry it into the cause.
    locals.airbyte.setFaults({ echoTokenRequestNext: 5 });
    try {
      const id = locals.airbyte.startSync('4a0b0c0d-0000-4000-8000-000000000001', {
        pendingSeconds: 0,
        runSeconds: 60,
      });
      const result = await local().run({ jobId: id });
      expect(result.error).toBe('StepWait.PollFailed');
      expect(result.cause).toContain('Unauthorized');
      expect(result.cause).not.toContain('a-wrong-secret');
    } finally {
      locals.secrets.put(secretArn, JSON.stringify(LOCAL_AIRBYTE_CLIENT));
      locals.coldStart();
    }
  });

  it('refuses a connection id that is no UUID, by field', async () => {
    const result = await local().run({ jobName: 'my-connection' });
    expect(result.error).toBe('StepWait.InvalidInput');
    expect(JSON.parse(result.cause as string)).toMatchObject({ field: 'jobName' });
  });
});
