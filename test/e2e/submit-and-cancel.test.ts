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
import { registerSubmitTargets } from '../../lib/local/submit-targets';
import { VirtualClock } from '../../lib/local/virtual-clock';
import { MAX_SUBMIT_FAILURES, MAX_SUBMIT_THROTTLES } from '../../waiters';

/**
 * Submit-and-wait and cancel-on-timeout on the synthesized ASL: the machine's own `Submit Job` and
 * `Terminate Job` tasks are answered by the local Batch emulator through the real SDK.
 */

const QUEUE = 'etl-queue';
let synthesized: SynthesizedWaiter;
let emulator: BatchEmulator;
let clock: VirtualClock;
let batch: BatchClient;

beforeAll(async () => {
  synthesized = synthesizeWaiter({
    waiter: {
      submit: {
        jobDefinition: 'etl-job',
        jobQueue: QUEUE,
        parameters: { mode: 'incremental', region: 'eu' },
      },
      cancelJobOnTimeout: true,
    },
  });
  clock = new VirtualClock();
  emulator = await BatchEmulator.start({
    clock,
    defaultJobSpec: { durations: { runnable: 60, running: 1_800 } },
  });
  // The queue and definition the waiter's Submit Job task names, as they would exist next to its stack.
  expect(registerSubmitTargets(emulator, synthesized)).toEqual([
    { jobQueue: QUEUE, jobDefinition: 'etl-job' },
  ]);
  batch = localBatchClient(emulator.endpoint);
});

afterAll(async () => {
  await emulator.stop();
});

function waiter(beforeInvoke?: (stateName: string) => void): LocalWaiter {
  return new LocalWaiter({
    synthesized,
    batchEndpoint: emulator.endpoint,
    clock,
    random: seededRandom(3),
    ...(beforeInvoke ? { beforeInvoke } : {}),
  });
}

const submitted = (jobName: string) => emulator.jobs().filter((job) => job.jobName === jobName);

describe('submit and wait', () => {
  it('submits a job when none has the business key, then waits for it by id', async () => {
    const result = await waiter().run({ jobName: 'etl-2026-11-01', parameters: { mode: 'full' } });
    expect(result.status).toBe('SUCCEEDED');
    const jobs = submitted('etl-2026-11-01');
    expect(jobs).toHaveLength(1);
    // The construct's parameters, with the execution's merged over them.
    expect(jobs[0]?.parameters).toEqual({ mode: 'full', region: 'eu' });
    expect(jobs[0]?.jobDefinition).toMatch(/job-definition\/etl-job/);
    expect(result.entered['Submit Job']).toBe(1);
    expect((result.output as { jobs: { jobId: string }[] }).jobs[0]?.jobId).toBe(jobs[0]?.jobId);
  });

  it('attaches to an active job with the business key instead of submitting another', async () => {
    const existing = await batch.send(
      new SubmitJobCommand({ jobName: 'etl-2026-11-02', jobQueue: QUEUE, jobDefinition: 'etl-job' }),
    );
    const result = await waiter().run({ jobName: 'etl-2026-11-02' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.entered['Submit Job']).toBeUndefined();
    expect(submitted('etl-2026-11-02').map((job) => job.jobId)).toEqual([existing.jobId]);
  });

  it('submits exactly once across a crash between submit and the first poll and a re-run', async () => {
    const submitsBefore = emulator.callCount('SubmitJob');
    let invocations = 0;
    const crashing = waiter(() => {
      invocations++;
      // The first invocation looks the key up and asks for a submit; the crashes hit every one after it,
      // through the Task's retries, so the execution fails.
      if (invocations >= 2)
        throw Object.assign(new Error('container crashed'), { name: 'Runtime.ExitError' });
    });
    const crashed = await crashing.run({ jobName: 'etl-2026-11-03' });
    // Past its retries the crash is named, with what was caught.
    expect(crashed).toMatchObject({ status: 'FAILED', error: 'StepWait.PollerFailed' });
    expect(JSON.parse(crashed.cause as string).caughtError).toBe('Runtime.ExitError');
    expect(submitted('etl-2026-11-03')).toHaveLength(1);

    // A re-run with the same key (a new execution: the CLI gives it a fresh name) attaches to that job.
    const rerun = await waiter().run({ jobName: 'etl-2026-11-03' });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.entered['Submit Job']).toBeUndefined();
    expect(emulator.callCount('SubmitJob') - submitsBefore).toBe(1);
  });

  it('derives a nightly key from the schedule time, whose colons job names refuse', async () => {
    const result = await waiter().run({ jobNamePrefix: 'nightly-', scheduledTime: '2026-11-25T02:00:00Z' });
    expect(result.status).toBe('SUCCEEDED');
    expect(submitted('nightly-2026-11-25')).toHaveLength(1);
    const again = await waiter().run({ jobNamePrefix: 'nightly-', scheduledTime: '2026-11-25T02:00:00Z' });
    expect(again.status).toBe('SUCCEEDED');
    expect(submitted('nightly-2026-11-25')).toHaveLength(1);
  });

  it('attaches to a failed job (and fails) unless resubmitFailed is set', async () => {
    emulator.addJob({
      jobName: 'etl-2026-11-04',
      jobQueue: QUEUE,
      outcome: 'FAILED',
      durations: { running: 5 },
    });
    clock.advanceSeconds(600);
    const result = await waiter().run({ jobName: 'etl-2026-11-04' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect(submitted('etl-2026-11-04')).toHaveLength(1);

    const resubmitting = synthesizeWaiter({
      waiter: { submit: { jobDefinition: 'etl-job', jobQueue: QUEUE, resubmitFailed: true } },
    });
    registerSubmitTargets(emulator, resubmitting);
    const retried = await new LocalWaiter({
      synthesized: resubmitting,
      batchEndpoint: emulator.endpoint,
      clock,
    }).run({
      jobName: 'etl-2026-11-04',
    });
    expect(retried.status).toBe('SUCCEEDED');
    expect(submitted('etl-2026-11-04')).toHaveLength(2);
  });

  it('fails the wait with StepWait.SubmitFailed and Batch’s message when Batch refuses the submit (the queue is gone)', async () => {
    const elsewhere = synthesizeWaiter({
      waiter: { submit: { jobDefinition: 'etl-job', jobQueue: 'deleted-queue' } },
    });
    const result = await new LocalWaiter({
      synthesized: elsewhere,
      batchEndpoint: emulator.endpoint,
      clock,
    }).run({
      jobName: 'etl-2026-11-05',
    });
    // The integration raises Batch.ClientException; the poller names it, keeping Batch's message.
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.SubmitFailed' });
    const { reason } = JSON.parse(result.cause as string);
    expect(reason).toContain('Batch.ClientException');
    expect(reason).toContain('JobQueue deleted-queue not found.');
    expect(result.entered['Submit Job']).toBe(1);
    expect(submitted('etl-2026-11-05')).toEqual([]);
  });

  it('refuses parameters on a waiter that does not submit', async () => {
    const plain = synthesizeWaiter();
    const result = await new LocalWaiter({ synthesized: plain, batchEndpoint: emulator.endpoint, clock }).run(
      {
        jobId: 'abc',
        parameters: { mode: 'full' },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.InvalidInput' });
    expect(JSON.parse(result.cause as string).field).toBe('parameters');
  });
});

describe('submit faults', () => {
  afterEach(() => emulator.setFaults({}));

  /** A waiter whose Batch fails SubmitJob with `faults` until the poller has judged one failure. */
  function failingOnce(faults: Parameters<BatchEmulator['setFaults']>[0]): LocalWaiter {
    emulator.setFaults(faults);
    return new LocalWaiter({
      synthesized,
      batchEndpoint: emulator.endpoint,
      clock,
      random: seededRandom(3),
      log: (line) => {
        if (line.observation === 'submitFailed') emulator.setFaults({});
      },
    });
  }

  for (const [what, faults, error] of [
    ['throttled (429)', { throttleProbability: 1, operations: ['SubmitJob'] }, 'Batch.AWSBatchException'],
    ['failed with a 5xx', { serverErrorBurst: 1, operations: ['SubmitJob'] }, 'Batch.ServerException'],
  ] as const) {
    it(`looks the key up again after a SubmitJob ${what}, then submits once`, async () => {
      const jobName = `etl-fault-${error.replace(/\W/g, '-')}`;
      const local = failingOnce(faults);
      const before = emulator.callCount('SubmitJob');
      const started = clock.now();
      const result = await local.run({ jobName });
      expect(result.status).toBe('SUCCEEDED');
      expect(submitted(jobName)).toHaveLength(1);
      expect(emulator.callCount('SubmitJob') - before).toBe(2);
      expect(result.entered['Submit Job']).toBe(2);
      expect((clock.now() - started) / 1000).toBeGreaterThan(30);
    });
  }

  it('attaches to the job a SubmitJob created though its answer was lost, once ListJobs lists it', async () => {
    // Batch creates the job, the answer never arrives, and ListJobs shows the job only 10 s later.
    emulator.setFaults({ dropResponses: { SubmitJob: 1 }, listJobsLagSeconds: 10 });
    const before = emulator.callCount('SubmitJob');
    const result = await waiter().run({ jobName: 'etl-lost-answer' });
    expect(result.status).toBe('SUCCEEDED');
    // One SubmitJob, whose answer was lost; the lookup 30 s later found its job: no second submit.
    expect(emulator.callCount('SubmitJob') - before).toBe(1);
    const jobs = submitted('etl-lost-answer');
    expect(jobs).toHaveLength(1);
    expect((result.output as { jobs: { jobId: string }[] }).jobs[0]?.jobId).toBe(jobs[0]?.jobId);
  });

  it('submits a second job when ListJobs lags longer than the lookup waits: the duplicate risk the README states', async () => {
    emulator.setFaults({ dropResponses: { SubmitJob: 1 }, listJobsLagSeconds: 3_600 });
    const result = await waiter().run({ jobName: 'etl-lagging-list' });
    expect(result.status).toBe('SUCCEEDED');
    expect(submitted('etl-lagging-list')).toHaveLength(2);
  });

  it('gives up with StepWait.SubmitFailed when every SubmitJob fails, after five lookups', async () => {
    emulator.setFaults({ serverErrorProbability: 1, operations: ['SubmitJob'] });
    const before = emulator.callCount('SubmitJob');
    const result = await waiter().run({ jobName: 'etl-always-failing' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.SubmitFailed' });
    expect(emulator.callCount('SubmitJob') - before).toBe(MAX_SUBMIT_FAILURES);
    expect(submitted('etl-always-failing')).toEqual([]);
    const { reason } = JSON.parse(result.cause as string);
    expect(reason).toContain('Batch.ServerException');
  });

  it('gives up on a SubmitJob throttled without end only after MAX_SUBMIT_THROTTLES tries', async () => {
    emulator.setFaults({ throttleProbability: 1, operations: ['SubmitJob'] });
    const before = emulator.callCount('SubmitJob');
    const result = await waiter().run({ jobName: 'etl-always-throttled' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.SubmitFailed' });
    expect(emulator.callCount('SubmitJob') - before).toBe(MAX_SUBMIT_THROTTLES);
    const { reason } = JSON.parse(result.cause as string);
    expect(reason).toContain('Batch.AWSBatchException');
    expect(reason).toContain('TooManyRequestsException');
  });
});

describe('cancel on timeout', () => {
  it('terminates the job when the deadline passes, and the cause says so', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 36_000 } });
    const terminatesBefore = emulator.callCount('TerminateJob');
    const result = await waiter().run({ jobId, timeoutSeconds: 3_600 });
    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'StepWait.Timeout' });
    const cause = JSON.parse(result.cause as string);
    expect(cause.reason).toMatch(/stepwait terminates job .* \(cancelJobOnTimeout\)/);
    expect(cause.terminatedJobIds).toEqual([jobId]);
    expect(result.entered['Terminate Job']).toBe(1);
    expect(emulator.callCount('TerminateJob') - terminatesBefore).toBe(1);
    expect(emulator.job(jobId)).toMatchObject({
      status: 'FAILED',
      statusReason: 'stepwait: the wait deadline passed (cancelJobOnTimeout)',
    });
  });

  it('terminates too when failOnTimeout is false, ending normally', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 36_000 } });
    const result = await waiter().run({ jobId, timeoutSeconds: 600, failOnTimeout: false });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ status: 'TIMED_OUT', timedOut: true });
    expect(emulator.job(jobId)?.status).toBe('FAILED');
  });

  it('leaves a job alone when the wait ends in time', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 60 } });
    const result = await waiter().run({ jobId, timeoutSeconds: 3_600 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.entered['Terminate Job']).toBeUndefined();
    expect(emulator.job(jobId)?.status).toBe('SUCCEEDED');
  });
});
