import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DqopsJobs } from '../../lib/dqops/dqops-jobs';
import { JobWaiter } from '../../lib/job-waiter';
import { LOCAL_API_KEY, type LocalJobSystems, startLocalJobSystems } from '../../lib/local/local-job-systems';
import { LocalMachine } from '../../lib/local/local-machine';
import { type RunnableMachine, runnableMachine } from '../../lib/local/runnable-machine';
import { seededRandom } from '../../lib/local/seeded-random';
import type { CfnTemplate } from '../../lib/local/template';
import { VirtualClock } from '../../lib/local/virtual-clock';
import type { WaitOutput } from '../../waiters';

/**
 * DQOps waits on the synthesized ASL: a JobWaiter with DqopsJobs, its poller calling the DQOps emulator
 * through the deployed I/O code, with the endpoint and secret its environment in the template allows, the
 * key read from a Secrets Manager on 127.0.0.1.
 */

let machine: RunnableMachine;
let clock: VirtualClock;
let locals: LocalJobSystems;
let secretArn: string;

beforeAll(async () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Checks');
  const waiter = new JobWaiter(stack, 'ChecksWaiter', {
    jobSystem: new DqopsJobs({
      baseUrl: 'https://dqops.example.com',
      apiKey: new secretsmanager.Secret(stack, 'DqopsApiKey'),
      failAtSeverity: 'error',
    }),
    cancelJobOnTimeout: true,
  });
  const template = app.synth().getStackByName('Checks').template as CfnTemplate;
  machine = runnableMachine(
    template,
    stack.getLogicalId(waiter.stateMachine.node.defaultChild as CfnStateMachine),
  );
  clock = new VirtualClock();
  locals = await startLocalJobSystems(machine, clock, { historySeconds: 3_600 });
  secretArn = JSON.parse(Object.values(machine.pollerEnvironments)[0]?.STEPWAIT_ENDPOINTS ?? '[]')[0]
    ?.secretArn;
});

afterAll(() => locals.stop());

function local(): LocalMachine {
  return new LocalMachine({
    machine,
    // No Batch here: a DQOps wait makes no Batch call (the emulator's port is closed).
    batchEndpoint: 'http://127.0.0.1:9',
    clock,
    random: seededRandom(5),
    jobSystems: locals.systemsFor,
  });
}

describe('a DQOps wait on the synthesized machine', () => {
  it('reads the endpoint and the secret from the poller environment the template sets', () => {
    const [endpoint] = JSON.parse(Object.values(machine.pollerEnvironments)[0]?.STEPWAIT_ENDPOINTS ?? '[]');
    expect(endpoint).toEqual({ system: 'dqops', baseUrl: 'https://dqops.example.com', secretArn });
    expect(secretArn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:DqopsApiKey/);
  });

  it('waits for a run-checks job by id and ends SUCCEEDED with DQOps’ status and the common phase', async () => {
    const id = locals.dqops.startJob({ queuedSeconds: 30, runSeconds: 900, highestSeverity: 'warning' });
    locals.coldStart();
    const readsBefore = locals.secrets.reads.length;
    const result = await local().run({ jobId: id });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as WaitOutput;
    expect(output.jobs).toEqual([
      expect.objectContaining({
        jobId: id,
        status: 'finished',
        phase: 'succeeded',
        detail: expect.objectContaining({ highestSeverity: 'warning' }),
      }),
    ]);
    expect(output.stages.map((stage) => stage.waiter)).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
    // The key was read once, at the first poll, and kept by the warm poller for every later one.
    expect(locals.secrets.reads.length - readsBefore).toBe(1);
    expect(result.lambdaInvocations).toBeGreaterThan(5);
  });

  it('fails with StepWait.JobFailed when the checks reach failAtSeverity, the severity in the cause', async () => {
    const id = locals.dqops.startJob({ queuedSeconds: 0, runSeconds: 120, highestSeverity: 'fatal' });
    const result = await local().run({ jobId: id });
    expect(result.error).toBe('StepWait.JobFailed');
    expect(JSON.parse(result.cause as string)).toMatchObject({
      jobs: { [id]: { status: 'finished', detail: { highestSeverity: 'fatal' } } },
    });
  });

  it('waits by job business key', async () => {
    locals.dqops.startJob({ queuedSeconds: 0, runSeconds: 60 }, 'orders-nightly-2026-01-01');
    const result = await local().run({ jobName: 'orders-nightly-2026-01-01' });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('cancels the job through DQOps when the deadline passes, and says so', async () => {
    const id = locals.dqops.startJob({ queuedSeconds: 0, runSeconds: 7_200 });
    const result = await local().run({ jobId: id, timeoutSeconds: 600 });
    expect(result.error).toBe('StepWait.Timeout');
    expect(JSON.parse(result.cause as string)).toMatchObject({ cancelledJobIds: [id] });
    expect(['cancel_requested', 'cancelled']).toContain(locals.dqops.job(id)?.status);
  });

  it('rides out throttling (429 with Retry-After) and 503s without spending attempts', async () => {
    const id = locals.dqops.startJob({ queuedSeconds: 0, runSeconds: 300 });
    const before = locals.dqops.requests.length;
    locals.dqops.setFaults({ throttleNext: 3, retryAfterSeconds: 45 });
    const result = await local().run({ jobId: id });
    locals.dqops.setFaults({});
    expect(result.status).toBe('SUCCEEDED');
    const answered = locals.dqops.requests.slice(before);
    expect(answered.slice(0, 3).map((request) => request.status)).toEqual([429, 429, 429]);
    // Each retry came at least Retry-After later.
    expect(answered[1]?.at).toBeGreaterThanOrEqual((answered[0]?.at ?? 0) + 45_000);
    // The throttled polls were no attempts: JobExists decided on its first real answer.
    expect((result.output as WaitOutput).stages[0]).toMatchObject({ waiter: 'JobExists', attempts: 1 });
    locals.dqops.setFaults({ serverErrorNext: 2 });
    expect(
      (await local().run({ jobId: locals.dqops.startJob({ queuedSeconds: 0, runSeconds: 60 }) })).status,
    ).toBe('SUCCEEDED');
  });

  it('ends with StepWait.PollFailed naming a refused key, without showing it', async () => {
    locals.secrets.put(secretArn, JSON.stringify({ apiKey: 'a-wrong-key' }));
    locals.coldStart();
    try {
      const id = locals.dqops.startJob({ queuedSeconds: 0, runSeconds: 60 });
      const result = await local().run({ jobId: id });
      expect(result.error).toBe('StepWait.PollFailed');
      expect(result.cause).toContain('Unauthorized');
      expect(result.cause).not.toContain('a-wrong-key');
    } finally {
      locals.secrets.put(secretArn, JSON.stringify({ apiKey: LOCAL_API_KEY }));
      locals.coldStart();
    }
  });

  it('refuses a Batch job id as a DQOps one, by field', async () => {
    const result = await local().run({ jobId: 'f3b1c0de-0000-4000-8000-000000000001' });
    expect(result.error).toBe('StepWait.InvalidInput');
    expect(JSON.parse(result.cause as string)).toMatchObject({ field: 'jobId' });
  });
});
