import { type BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchEmulator } from '../../lib/local/batch-emulator';
import {
  LocalWaiter,
  localBatchClient,
  type SynthesizedWaiter,
  synthesizeWaiter,
} from '../../lib/local/local-waiter';
import { seededRandom } from '../../lib/local/seeded-random';
import { VirtualClock } from '../../lib/local/virtual-clock';
import { WaiterModel } from '../../waiters';

/**
 * End to end on the synthesized ASL: the real definition from the CDK app, the shipped poller code in
 * process, the real Batch SDK client talking to the local emulator, and a virtual clock.
 */

let synthesized: SynthesizedWaiter;
let emulator: BatchEmulator;
let clock: VirtualClock;
let batch: BatchClient;

beforeAll(async () => {
  synthesized = synthesizeWaiter();
  clock = new VirtualClock();
  // The queues and definitions the business-key tests submit to.
  emulator = await BatchEmulator.start({
    clock,
    jobQueues: ['nightly-queue', 'ambiguous-queue'],
    jobDefinitions: ['etl', 'd'],
  });
  batch = localBatchClient(emulator.endpoint);
});

afterAll(async () => {
  await emulator.stop();
});

afterEach(() => emulator.setFaults({}));

function waiterFor(synth: SynthesizedWaiter = synthesized): LocalWaiter {
  return new LocalWaiter({
    synthesized: synth,
    batchEndpoint: emulator.endpoint,
    clock,
    random: seededRandom(7),
  });
}

interface WaitOutput {
  status: string;
  timedOut: boolean;
  jobs: { jobId: string; status: string; exitCode?: number; statusReason?: string; stoppedAt?: number }[];
  stages: { waiter: string; attempts: number; startedAt: string; finishedAt?: string }[];
  waitedSeconds: number;
}

describe('a Batch job waited for end to end', () => {
  it('follows SUBMITTED -> ... -> SUCCEEDED and reports attempts per stage', async () => {
    const jobId = emulator.addJob({
      durations: { submitted: 1, pending: 1, runnable: 118, starting: 10, running: 7_200 },
      outcome: 'SUCCEEDED',
    });
    const result = await waiterFor().run({ jobId });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as WaitOutput;
    expect(output.status).toBe('SUCCEEDED');
    expect(output.timedOut).toBe(false);
    expect(output.jobs).toMatchObject([{ jobId, status: 'SUCCEEDED', exitCode: 0 }]);
    expect(output.stages.map((stage) => stage.waiter)).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
    const [exists, running, complete] = output.stages;
    // Visible at once: one JobExists poll, which also starts JobRunning without another poll.
    expect(exists?.attempts).toBe(1);
    // ~130 s until RUNNING at the default 30 +/- 10 s per poll.
    expect(running?.attempts).toBeGreaterThanOrEqual(Math.floor(130 / 40));
    expect(running?.attempts).toBeLessThanOrEqual(Math.ceil(130 / 20) + 1);
    // ~7,200 s backing off from 30 s to 120 s per poll: at least 7,200 / 120 polls, far fewer than 7,200 / 30.
    expect(complete?.attempts).toBeGreaterThanOrEqual(60);
    expect(complete?.attempts).toBeLessThanOrEqual(7_200 / 60);
    // Every poll is one Lambda invocation, and nothing else invokes a Lambda.
    const polls = (exists?.attempts ?? 0) + (running?.attempts ?? 0) + (complete?.attempts ?? 0);
    expect(result.lambdaInvocations).toBe(polls);
    expect(emulator.calls.filter((call) => call.operation === 'DescribeJobs').length).toBeGreaterThanOrEqual(
      polls,
    );
    // Noticed within one JobComplete delay (at most 120 s) of the job stopping.
    const stoppedAt = output.jobs[0]?.stoppedAt as number;
    const noticedAt = Date.parse(complete?.finishedAt as string);
    expect(noticedAt).toBeGreaterThanOrEqual(stoppedAt);
    expect(noticedAt - stoppedAt).toBeLessThanOrEqual(120_000);
    expect(output.waitedSeconds).toBeGreaterThanOrEqual(7_330);
  });

  it('costs no extra poll when the job already finished', async () => {
    const jobId = emulator.addJob({
      durations: { submitted: 0, pending: 0, runnable: 0, starting: 0, running: 0 },
    });
    clock.advanceSeconds(1);
    const result = await waiterFor().run({ jobId });
    const output = result.output as WaitOutput;
    expect(output.status).toBe('SUCCEEDED');
    expect(output.stages.map((stage) => stage.attempts)).toEqual([1, 0, 0]);
    expect(result.lambdaInvocations).toBe(1);
  });

  it('fails with StepWait.JobFailed carrying statusReason and exit code', async () => {
    const jobId = emulator.addJob({
      durations: { runnable: 20, running: 600 },
      outcome: 'FAILED',
      exitCode: 3,
      statusReason: 'Essential container in task exited',
    });
    const result = await waiterFor().run({ jobId });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('StepWait.JobFailed');
    const cause = JSON.parse(result.cause as string);
    expect(cause.reason).toMatch(/JobComplete: job .* failed/);
    expect(cause.jobs[jobId]).toMatchObject({
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      exitCode: 3,
    });
    expect(cause.jobs[jobId].logStreamName).toEqual(expect.any(String));
  });

  it('fails with StepWait.Timeout at the deadline, and ends normally with failOnTimeout false', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 100_000 } });
    const timedOut = await waiterFor().run({ jobId, timeoutSeconds: 3_600 });
    expect(timedOut.status).toBe('TIMED_OUT');
    expect(timedOut.error).toBe('StepWait.Timeout');
    expect(JSON.parse(timedOut.cause as string).reason).toMatch(
      /deadline .* passed while waiting in JobComplete/,
    );
    // The last Wait is clamped to end at the deadline: the wait ends within a second of it.
    expect(timedOut.simulatedSeconds).toBeGreaterThanOrEqual(3_600);
    expect(timedOut.simulatedSeconds).toBeLessThan(3_602);

    const lenient = await waiterFor().run({ jobId, timeoutSeconds: 600, failOnTimeout: false });
    expect(lenient.status).toBe('SUCCEEDED');
    expect(lenient.output).toMatchObject({
      status: 'TIMED_OUT',
      timedOut: true,
      jobs: [{ jobId, status: 'RUNNING' }],
    });
  });

  it('fails with StepWait.JobNotFound at the deadline for a job that never appears', async () => {
    const result = await waiterFor().run({
      jobId: 'f0e1d2c3-0000-4000-8000-000000000000',
      timeoutSeconds: 120,
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('StepWait.JobNotFound');
    expect(JSON.parse(result.cause as string).reason).toMatch(/never appeared before the deadline/);
    // It kept polling JobExists, backing off from 2 s, until the deadline (and once more at it).
    expect(result.simulatedSeconds).toBeGreaterThanOrEqual(120);
    expect(result.simulatedSeconds).toBeLessThan(122);
    expect(result.lambdaInvocations).toBeGreaterThanOrEqual(5);
  });

  it('fails with StepWait.JobNotFound at once when a job it saw vanishes', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 3_600 } });
    const waiter = waiterFor();
    const run = waiter.run({ jobId });
    // Vanish the job after the first polls have seen it.
    const removeAt = clock.now() + 60_000;
    const timer = setInterval(() => {
      if (clock.now() >= removeAt) {
        emulator.removeJob(jobId);
        clearInterval(timer);
      }
    }, 0);
    const result = await run;
    clearInterval(timer);
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobNotFound' });
    expect(JSON.parse(result.cause as string).reason).toMatch(/was seen by an earlier poll/);
  });

  it('rejects malformed input with StepWait.InvalidInput naming the field, before any Batch call', async () => {
    const before = emulator.callCount();
    for (const [input, field] of [
      [{ jobId: 'not a valid id!' }, 'jobId'],
      [{ jobName: '-nightly', jobQueue: 'q' }, 'jobName'],
      [{ jobId: 'abc', timeoutSeconds: 0 }, 'timeoutSeconds'],
      [{ jobid: 'abc' }, 'jobid'],
      [[], '(input)'],
      [null, '(input)'],
    ] as const) {
      const result = await waiterFor().run(input);
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('StepWait.InvalidInput');
      expect(JSON.parse(result.cause as string).field).toBe(field);
    }
    expect(emulator.callCount()).toBe(before);
  });

  it('names a poller that keeps failing at the very first poll, whatever the input was (null too)', async () => {
    for (const input of [{ jobId: 'abc' }, null, 'text', []]) {
      const crashing = new LocalWaiter({
        synthesized,
        batchEndpoint: emulator.endpoint,
        clock,
        random: seededRandom(7),
        beforeInvoke: () => {
          throw Object.assign(new Error('container crashed'), { name: 'Runtime.ExitError' });
        },
      });
      const result = await crashing.run(input);
      // Not States.Runtime: the first poll's Catch never writes into the (maybe non-object) input.
      expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.PollerFailed' });
      expect(JSON.parse(result.cause as string)).toMatchObject({ caughtError: 'Runtime.ExitError' });
      expect(result.entered['JobExists First Poll']).toBe(1);
      expect(result.entered['JobExists Poll']).toBeUndefined();
    }
  });

  it('waits for several jobs in mixed states', async () => {
    const fast = emulator.addJob({ durations: { runnable: 5, running: 60 } });
    const slow = emulator.addJob({ durations: { runnable: 300, running: 1_200 } });
    const result = await waiterFor().run({ jobIds: [fast, slow] });
    const output = result.output as WaitOutput;
    expect(output.status).toBe('SUCCEEDED');
    expect(output.jobs.map((job) => [job.jobId, job.status])).toEqual([
      [fast, 'SUCCEEDED'],
      [slow, 'SUCCEEDED'],
    ]);
    expect(output.waitedSeconds).toBeGreaterThanOrEqual(1_500);
  });

  it('resolves a business key once, by exact name, then polls by id', async () => {
    const queue = 'nightly-queue';
    // A near miss in case only: ListJobs' filter would match it, the poller must not.
    await batch.send(
      new SubmitJobCommand({ jobName: 'Etl-2026-01-01', jobQueue: queue, jobDefinition: 'etl' }),
    );
    const submitted = await batch.send(
      new SubmitJobCommand({ jobName: 'etl-2026-01-01', jobQueue: queue, jobDefinition: 'etl' }),
    );
    const listsBefore = emulator.callCount('ListJobs');
    const result = await waiterFor().run({ jobName: 'etl-2026-01-01', jobQueue: queue });
    const output = result.output as WaitOutput;
    expect(output.status).toBe('SUCCEEDED');
    expect(output.jobs.map((job) => job.jobId)).toEqual([submitted.jobId]);
    expect(emulator.callCount('ListJobs') - listsBefore).toBe(1);
  });

  it('fails on an ambiguous business key unless asked for the newest', async () => {
    const queue = 'ambiguous-queue';
    await batch.send(new SubmitJobCommand({ jobName: 'report', jobQueue: queue, jobDefinition: 'd' }));
    clock.advanceSeconds(5);
    const newest = await batch.send(
      new SubmitJobCommand({ jobName: 'report', jobQueue: queue, jobDefinition: 'd' }),
    );
    const ambiguous = await waiterFor().run({ jobName: 'report', jobQueue: queue });
    expect(ambiguous).toMatchObject({ status: 'FAILED', error: 'StepWait.AmbiguousBusinessKey' });
    expect(JSON.parse(ambiguous.cause as string).reason).toContain(newest.jobId);
    const chosen = await waiterFor().run({ jobName: 'report', jobQueue: queue, newest: true });
    expect((chosen.output as WaitOutput).jobs.map((job) => job.jobId)).toEqual([newest.jobId]);
  });

  it('keeps waiting through Batch throttling, spending no attempts on it', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 30, running: 1_800 } });
    emulator.setFaults({ throttleProbability: 0.5, operations: ['DescribeJobs'] });
    const result = await waiterFor().run({ jobId });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as WaitOutput;
    const attempts = output.stages.reduce((sum, stage) => sum + stage.attempts, 0);
    // Each Lambda invocation made one DescribeJobs call: throttled ones were not attempts.
    expect(result.lambdaInvocations).toBeGreaterThan(attempts);
  });
});

describe('a custom waiter model drives the same machine', () => {
  it('decides with the model the construct was given, not with built-in rules', async () => {
    // "Done" accepts FAILED as an ending: the poller must follow the model, not its own idea of Batch.
    const model = new WaiterModel({
      version: 2,
      waiters: {
        JobDone: {
          operation: 'DescribeJobs',
          delay: 60,
          maxAttempts: 1_000,
          acceptors: [
            { state: 'success', matcher: 'pathAll', argument: 'jobs[].status', expected: 'SUCCEEDED' },
            { state: 'success', matcher: 'pathAll', argument: 'jobs[].status', expected: 'FAILED' },
          ],
        },
      },
    });
    const custom = synthesizeWaiter({ waiter: { waiterModel: model } });
    const polls = Object.keys(custom.definition.States as object).filter((name) => name.endsWith(' Poll'));
    expect(polls).toEqual(['JobDone First Poll', 'JobDone Poll']);
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 900 }, outcome: 'FAILED' });
    const result = await waiterFor(custom).run({ jobId });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as WaitOutput;
    expect(output.jobs).toMatchObject([{ jobId, status: 'FAILED' }]);
    expect(output.stages).toMatchObject([{ waiter: 'JobDone' }]);
    // 60 +/- 2 s polls over ~912 s.
    expect(output.stages[0]?.attempts).toBeGreaterThanOrEqual(14);
    expect(output.stages[0]?.attempts).toBeLessThanOrEqual(18);
  });
});
