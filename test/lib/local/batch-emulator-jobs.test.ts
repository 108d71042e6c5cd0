import {
  type BatchClient,
  CancelJobCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../lib/local/virtual-clock';
import {
  ACCOUNT_PREFIX,
  DEFINITION,
  describeOne,
  listNames,
  QUEUE,
  START,
  sdkError,
  submit,
  useEmulator,
} from './batch-emulator-harness';

/** Timeouts, retries, dependencies, array jobs, container overrides and tags, as DescribeJobs reports them. */

const setUp = useEmulator();

/** Quick phases before RUNNING (2 s queued, 2 s starting), so attempts are easy to place on the clock. */
const quick = { submitted: 0, pending: 0, runnable: 2, starting: 2 };

/** The status at each of the given seconds since START (the clock only moves forward). */
async function statusesAt(clock: VirtualClock, batch: BatchClient, jobId: string, seconds: number[]) {
  const seen: string[] = [];
  for (const second of seconds) {
    clock.advanceSeconds(second - (clock.now() - START) / 1000);
    seen.push((await describeOne(batch, jobId)).status ?? '');
  }
  return seen;
}

const refused = async (batch: BatchClient, input: Partial<SubmitJobCommandInput>) => {
  const error = await sdkError(submit(batch, input));
  expect([error.name, error.$metadata.httpStatusCode], JSON.stringify(input)).toEqual([
    'ClientException',
    400,
  ]);
  return error.message;
};

describe('BatchEmulator: timeout.attemptDurationSeconds', () => {
  it('fails an attempt that runs past it, with Batch reason and a killed container, and does not retry it', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations: { ...quick, running: 600 } } });
    const jobId = await submit(batch, {
      timeout: { attemptDurationSeconds: 120 },
      retryStrategy: { attempts: 3 },
    });
    // RUNNING from 4 s; the timeout ends it at 124 s, although the job would run 600 s.
    expect(await statusesAt(clock, batch, jobId, [3, 4, 123, 124, 2000])).toEqual([
      'STARTING',
      'RUNNING',
      'RUNNING',
      'FAILED',
      'FAILED',
    ]);
    const job = await describeOne(batch, jobId);
    expect(job).toMatchObject({
      status: 'FAILED',
      statusReason: 'Job attempt duration exceeded timeout',
      startedAt: START + 4_000,
      stoppedAt: START + 124_000,
      container: { exitCode: 137 },
      timeout: { attemptDurationSeconds: 120 },
      retryStrategy: { attempts: 3 },
    });
    expect(job.attempts).toEqual([
      {
        container: { exitCode: 137, logStreamName: `${DEFINITION}/default/${jobId}` },
        startedAt: START + 4_000,
        stoppedAt: START + 124_000,
        statusReason: 'Job attempt duration exceeded timeout',
      },
    ]);
  });

  it('takes the timeout from the job definition unless SubmitJob gives one, and lets a job end in time', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 300 } },
      jobDefinitions: [DEFINITION, { name: 'capped', timeout: { attemptDurationSeconds: 60 } }],
    });
    const capped = await submit(batch, { jobDefinition: 'capped' });
    const longer = await submit(batch, { jobDefinition: 'capped', timeout: { attemptDurationSeconds: 600 } });
    const exact = await submit(batch, { timeout: { attemptDurationSeconds: 300 } });
    clock.advanceSeconds(1000);
    expect(await describeOne(batch, capped)).toMatchObject({
      status: 'FAILED',
      stoppedAt: START + 64_000,
      timeout: { attemptDurationSeconds: 60 },
    });
    expect(await describeOne(batch, longer)).toMatchObject({
      status: 'SUCCEEDED',
      stoppedAt: START + 304_000,
    });
    // Running exactly the timeout is not running past it.
    expect((await describeOne(batch, exact)).status).toBe('SUCCEEDED');
  });

  it('refuses a timeout under 60 seconds, as Batch does', async () => {
    const { batch, emulator } = await setUp();
    expect(await refused(batch, { timeout: { attemptDurationSeconds: 59 } })).toMatch(/at least 60/);
    expect(() =>
      emulator.registerJobDefinition({ name: 'short', timeout: { attemptDurationSeconds: 5 } }),
    ).toThrow(RangeError);
  });
});

describe('BatchEmulator: retryStrategy', () => {
  it('retries a failing attempt: back to RUNNABLE, each failed attempt listed, the last one decides', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: {
        durations: { ...quick, running: 10 },
        attempts: [
          { outcome: 'FAILED', exitCode: 3 },
          { outcome: 'FAILED', exitCode: 4 },
        ],
      },
    });
    const jobId = await submit(batch, { retryStrategy: { attempts: 3 } });
    // Attempt 1 runs 4-14 s, attempt 2 is RUNNABLE from 14 s and runs 18-28 s, attempt 3 runs 32-42 s.
    expect(await statusesAt(clock, batch, jobId, [5, 14, 16, 20, 28, 35, 42])).toEqual([
      'RUNNING',
      'RUNNABLE',
      'STARTING',
      'RUNNING',
      'RUNNABLE',
      'RUNNING',
      'SUCCEEDED',
    ]);
    const job = await describeOne(batch, jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', startedAt: START + 32_000, container: { exitCode: 0 } });
    expect(
      job.attempts?.map((attempt) => [attempt.container?.exitCode, attempt.startedAt, attempt.stoppedAt]),
    ).toEqual([
      [3, START + 4_000, START + 14_000],
      [4, START + 18_000, START + 28_000],
      [0, START + 32_000, START + 42_000],
    ]);
    expect(new Set(job.attempts?.map((attempt) => attempt.container?.logStreamName)).size).toBe(3);
  });

  it('lists each failed attempt while the job is retried, and FAILED only after the last one', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 10 }, outcome: 'FAILED' },
      jobDefinitions: [{ name: DEFINITION, retryStrategy: { attempts: 2 } }],
    });
    const jobId = await submit(batch);
    clock.advanceSeconds(15);
    const between = await describeOne(batch, jobId);
    expect(between.status).toBe('RUNNABLE');
    expect(between.attempts).toHaveLength(1);
    clock.advanceSeconds(13); // 28 s: attempt 2 has failed too.
    const done = await describeOne(batch, jobId);
    expect(done).toMatchObject({
      status: 'FAILED',
      retryStrategy: { attempts: 2 },
      stoppedAt: START + 28_000,
    });
    expect(done.attempts).toHaveLength(2);
  });

  it('exits or retries as the first matching evaluateOnExit rule says; none matching retries', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 10 }, outcome: 'FAILED', exitCode: 2 },
    });
    const exits = await submit(batch, {
      retryStrategy: { attempts: 3, evaluateOnExit: [{ onExitCode: '2*', action: 'exit' as 'EXIT' }] },
    });
    const retried = await submit(batch, {
      retryStrategy: {
        attempts: 3,
        evaluateOnExit: [
          { onStatusReason: 'Host EC2*', action: 'RETRY' },
          { onExitCode: '1', action: 'EXIT' },
        ],
      },
    });
    clock.advanceSeconds(100);
    expect((await describeOne(batch, exits)).attempts).toHaveLength(1);
    expect((await describeOne(batch, retried)).attempts).toHaveLength(3);
  });

  it('refuses attempts outside 1-10 and evaluateOnExit without attempts', async () => {
    const { batch } = await setUp();
    expect(await refused(batch, { retryStrategy: { attempts: 0 } })).toMatch(/between 1 and 10/);
    expect(await refused(batch, { retryStrategy: { attempts: 11 } })).toMatch(/between 1 and 10/);
    expect(await refused(batch, { retryStrategy: { evaluateOnExit: [{ action: 'EXIT' }] } })).toMatch(
      /requires retryStrategy.attempts/,
    );
    expect(
      await refused(batch, {
        retryStrategy: { attempts: 2, evaluateOnExit: [{ action: 'MAYBE' as 'EXIT' }] },
      }),
    ).toMatch(/RETRY or EXIT/);
  });

  it('ends a retried job for good when it is terminated, with no attempt after', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 10 }, outcome: 'FAILED' },
    });
    const jobId = await submit(batch, { retryStrategy: { attempts: 5 } });
    clock.advanceSeconds(20); // Attempt 2 is RUNNING (18-28 s).
    await batch.send(new TerminateJobCommand({ jobId, reason: 'enough' }));
    clock.advanceSeconds(1000);
    const job = await describeOne(batch, jobId);
    expect(job).toMatchObject({
      status: 'FAILED',
      statusReason: 'enough',
      isTerminated: true,
      stoppedAt: START + 20_000,
    });
    expect(job.attempts?.map((attempt) => attempt.container?.exitCode)).toEqual([1, 137]);
  });
});

describe('BatchEmulator: dependsOn', () => {
  it('holds a job in PENDING until its dependencies succeed, then runs it', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations: { ...quick, running: 100 } } });
    const first = await submit(batch, { jobName: 'first' });
    const second = await submit(batch, { jobName: 'second', dependsOn: [{ jobId: first }] });
    // first: RUNNING 4-104 s; second PENDING until then, RUNNABLE from 104 s, RUNNING from 108 s.
    expect(await statusesAt(clock, batch, second, [0, 50, 103, 104, 108, 209])).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
      'RUNNABLE',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect((await describeOne(batch, second)).dependsOn).toEqual([{ jobId: first }]);
  });

  it('fails a dependent job with Batch reason when a dependency fails; it never runs', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 100 } },
      jobSpecFor: (request) => (request.jobName === 'breaks' ? { outcome: 'FAILED' } : undefined),
    });
    const fine = await submit(batch, { jobName: 'fine' });
    const breaks = await submit(batch, { jobName: 'breaks' });
    const after = await submit(batch, { jobName: 'after', dependsOn: [{ jobId: fine }, { jobId: breaks }] });
    const chained = await submit(batch, { jobName: 'chained', dependsOn: [{ jobId: after }] });
    clock.advanceSeconds(104);
    for (const jobId of [after, chained]) {
      const job = await describeOne(batch, jobId);
      expect(job).toMatchObject({
        status: 'FAILED',
        statusReason: 'Dependent Job failed',
        stoppedAt: START + 104_000,
      });
      expect(job.startedAt).toBeUndefined();
      expect(job.attempts).toEqual([]);
    }
  });

  it('refuses an unknown dependency, more than 20, and array dependency types on a single job', async () => {
    const { batch, emulator } = await setUp();
    expect(await refused(batch, { dependsOn: [{ jobId: 'no-such-job' }] })).toMatch(
      /no-such-job does not exist/,
    );
    const ids = Array.from({ length: 21 }, () => emulator.addJob());
    expect(await refused(batch, { dependsOn: ids.map((jobId) => ({ jobId })) })).toMatch(/at most 20/);
    expect(await refused(batch, { dependsOn: [{ type: 'SEQUENTIAL' }] })).toMatch(/array jobs only/);
    expect(await refused(batch, { dependsOn: [{ jobId: ids[0], type: 'N_TO_N' }] })).toMatch(
      /array jobs only/,
    );
  });

  it('cancels a PENDING job once its dependencies are done, as the CancelJob reference says', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations: { ...quick, running: 100 } } });
    const first = await submit(batch, { jobName: 'first' });
    const second = await submit(batch, { jobName: 'second', dependsOn: [{ jobId: first }] });
    clock.advanceSeconds(10);
    await batch.send(new CancelJobCommand({ jobId: second, reason: 'not wanted' }));
    expect((await describeOne(batch, second)).status).toBe('PENDING');
    clock.advanceSeconds(94); // 104 s: first has finished.
    expect(await describeOne(batch, second)).toMatchObject({
      status: 'FAILED',
      statusReason: 'not wanted',
      isCancelled: true,
      stoppedAt: START + 104_000,
    });
  });

  it('keeps the course of a dependent job when its dependency is removed', async () => {
    const { clock, batch, emulator } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 10 } },
    });
    const first = await submit(batch, { jobName: 'first' });
    const second = await submit(batch, { jobName: 'second', dependsOn: [{ jobId: first }] });
    clock.advanceSeconds(20);
    expect(emulator.removeJob(first)).toBe(true);
    clock.advanceSeconds(100);
    expect(await describeOne(batch, second)).toMatchObject({
      status: 'SUCCEEDED',
      startedAt: START + 18_000,
    });
  });
});

describe('BatchEmulator: array jobs', () => {
  it('creates children <parent>:<index> with their index; the parent counts them by status', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 10 } },
      jobSpecFor: (_request, { arrayIndex }) =>
        arrayIndex === undefined ? undefined : { durations: { running: 10 * (arrayIndex + 1) } },
    });
    const parentId = await submit(batch, { arrayProperties: { size: 3 } });
    clock.advanceSeconds(15); // Children run 4-14, 4-24 and 4-34 s.
    const parent = await describeOne(batch, parentId);
    expect(parent).toMatchObject({
      status: 'PENDING',
      arrayProperties: {
        size: 3,
        statusSummary: {
          SUBMITTED: 0,
          PENDING: 0,
          RUNNABLE: 0,
          STARTING: 0,
          RUNNING: 2,
          SUCCEEDED: 1,
          FAILED: 0,
        },
      },
    });
    expect(parent.attempts).toEqual([]);
    const { jobs } = await batch.send(
      new DescribeJobsCommand({ jobs: [0, 1, 2].map((i) => `${parentId}:${i}`) }),
    );
    expect(jobs?.map((job) => [job.jobId, job.jobName, job.status, job.arrayProperties])).toEqual([
      [`${parentId}:0`, 'report', 'SUCCEEDED', { index: 0 }],
      [`${parentId}:1`, 'report', 'RUNNING', { index: 1 }],
      [`${parentId}:2`, 'report', 'RUNNING', { index: 2 }],
    ]);
    clock.advanceSeconds(20);
    expect(await describeOne(batch, parentId)).toMatchObject({
      status: 'SUCCEEDED',
      stoppedAt: START + 34_000,
    });
  });

  it('fails the parent with Batch reason when a child fails, once every child has finished', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 10 } },
      jobSpecFor: (_request, { arrayIndex }) =>
        arrayIndex === 0
          ? { outcome: 'FAILED' }
          : arrayIndex === 1
            ? { durations: { running: 50 } }
            : undefined,
    });
    const parentId = await submit(batch, { arrayProperties: { size: 2 } });
    clock.advanceSeconds(20);
    expect((await describeOne(batch, parentId)).status).toBe('PENDING');
    clock.advanceSeconds(40);
    expect(await describeOne(batch, parentId)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Array Child Job failed',
      stoppedAt: START + 54_000,
    });
  });

  it('lists the parent in its queue and the children by arrayJobId', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations: { ...quick, running: 100 } } });
    const parentId = await submit(batch, { jobName: 'fan-out', arrayProperties: { size: 3 } });
    clock.advanceSeconds(10);
    const byQueue = await batch.send(
      new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['fan-out'] }] }),
    );
    expect(byQueue.jobSummaryList?.map((job) => [job.jobId, job.status, job.arrayProperties])).toEqual([
      [parentId, 'PENDING', { size: 3 }],
    ]);
    const children = await batch.send(new ListJobsCommand({ arrayJobId: parentId, maxResults: 2 }));
    expect(children.jobSummaryList?.map((job) => [job.jobId, job.arrayProperties])).toEqual([
      [`${parentId}:0`, { index: 0 }],
      [`${parentId}:1`, { index: 1 }],
    ]);
    const rest = await batch.send(
      new ListJobsCommand({ arrayJobId: parentId, maxResults: 2, nextToken: children.nextToken }),
    );
    expect(rest.jobSummaryList?.map((job) => job.jobId)).toEqual([`${parentId}:2`]);
    expect(await listNames(batch, { arrayJobId: parentId, jobStatus: 'SUCCEEDED' })).toEqual([]);
  });

  it('runs SEQUENTIAL children one after another, and N_TO_N children after their counterparts', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations: { ...quick, running: 10 } } });
    const chain = await submit(batch, {
      jobName: 'chain',
      arrayProperties: { size: 3 },
      dependsOn: [{ type: 'SEQUENTIAL' }],
    });
    const paired = await submit(batch, {
      jobName: 'paired',
      arrayProperties: { size: 3 },
      dependsOn: [{ jobId: chain, type: 'N_TO_N' }],
    });
    clock.advanceSeconds(100);
    const started = async (jobId: string) => (await describeOne(batch, jobId)).startedAt;
    // Each child of chain starts when the one before it ends (14 s apart); paired child i after chain child i.
    expect(await started(`${chain}:0`)).toBe(START + 4_000);
    expect(await started(`${chain}:1`)).toBe(START + 18_000);
    expect(await started(`${chain}:2`)).toBe(START + 32_000);
    expect(await started(`${paired}:0`)).toBe(START + 18_000);
    expect(await started(`${paired}:2`)).toBe(START + 46_000);
    expect(
      await refused(batch, { arrayProperties: { size: 2 }, dependsOn: [{ jobId: chain, type: 'N_TO_N' }] }),
    ).toMatch(/same size/);
  });

  it('refuses sizes outside 2-10,000', async () => {
    const { batch } = await setUp();
    for (const size of [1, 10_001]) {
      expect(await refused(batch, { arrayProperties: { size } })).toMatch(/between 2 and 10000/);
    }
  });

  it('cancels the children not yet started when the parent is cancelled; the parent ends with them', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { ...quick, running: 30 } },
      jobSpecFor: (_request, { arrayIndex }) =>
        arrayIndex === 1 ? { durations: { runnable: 100 } } : undefined,
    });
    const parentId = await submit(batch, { arrayProperties: { size: 2 } });
    clock.advanceSeconds(10); // Child 0 RUNNING, child 1 RUNNABLE.
    await batch.send(new CancelJobCommand({ jobId: parentId, reason: 'stop the rest' }));
    expect(await describeOne(batch, `${parentId}:1`)).toMatchObject({ status: 'FAILED', isCancelled: true });
    expect((await describeOne(batch, `${parentId}:0`)).status).toBe('RUNNING');
    expect((await describeOne(batch, parentId)).status).toBe('PENDING');
    clock.advanceSeconds(30);
    expect(await describeOne(batch, parentId)).toMatchObject({
      status: 'FAILED',
      statusReason: 'stop the rest',
      isCancelled: true,
      arrayProperties: { statusSummary: { SUCCEEDED: 1, FAILED: 1 } },
    });
  });

  it('works out a SEQUENTIAL array of 10,000 children without running out of stack', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations: { ...quick, running: 1 } } });
    const parentId = await submit(batch, {
      arrayProperties: { size: 10_000 },
      dependsOn: [{ type: 'SEQUENTIAL' }],
    });
    clock.advanceSeconds(100_000);
    expect(await describeOne(batch, `${parentId}:9999`)).toMatchObject({
      status: 'SUCCEEDED',
      stoppedAt: START + 50_000_000,
    });
    expect((await describeOne(batch, parentId)).arrayProperties?.statusSummary?.SUCCEEDED).toBe(10_000);
  });
});

describe('BatchEmulator: container overrides, parameters and tags', () => {
  it('reports the definition container with SubmitJob overrides applied, as Batch merges them', async () => {
    const { batch } = await setUp({
      jobDefinitions: [
        {
          name: 'etl',
          parameters: { mode: 'full', region: 'eu' },
          containerProperties: {
            image: 'etl:1',
            command: ['run', 'Ref::mode'],
            environment: [
              { name: 'STAGE', value: 'prod' },
              { name: 'LEVEL', value: 'info' },
            ],
            resourceRequirements: [
              { type: 'VCPU', value: '1' },
              { type: 'MEMORY', value: '2048' },
            ],
          },
          propagateTags: true,
        },
      ],
    });
    const jobId = await submit(batch, {
      jobDefinition: 'etl',
      parameters: { mode: 'incremental' },
      containerOverrides: {
        command: ['run', 'again'],
        environment: [
          { name: 'LEVEL', value: 'debug' },
          { name: 'EXTRA', value: '1' },
        ],
        resourceRequirements: [{ type: 'MEMORY', value: '4096' }],
      },
      tags: { team: 'data', cost: 'etl' },
    });
    const job = await describeOne(batch, jobId);
    expect(job.parameters).toEqual({ mode: 'incremental', region: 'eu' });
    expect(job.container).toEqual({
      image: 'etl:1',
      command: ['run', 'again'],
      environment: [
        { name: 'STAGE', value: 'prod' },
        { name: 'LEVEL', value: 'debug' },
        { name: 'EXTRA', value: '1' },
      ],
      resourceRequirements: [
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '4096' },
      ],
    });
    expect(job.tags).toEqual({ team: 'data', cost: 'etl' });
    expect(job.propagateTags).toBe(true);
    expect(job.jobDefinition).toBe(`${ACCOUNT_PREFIX}:job-definition/etl:1`);
  });

  it('refuses what Batch refuses in overrides and tags, and what the emulator does not run', async () => {
    const { batch } = await setUp();
    expect(
      await refused(batch, {
        containerOverrides: { environment: [{ name: 'AWS_BATCH_JOB_ID', value: 'x' }] },
      }),
    ).toMatch(/cannot start with AWS_BATCH/);
    expect(
      await refused(batch, {
        containerOverrides: { resourceRequirements: [{ type: 'DISK' as 'GPU', value: '1' }] },
      }),
    ).toMatch(/GPU, VCPU, MEMORY/);
    expect(await refused(batch, { tags: { 'aws:owner': 'me' } })).toMatch(/reserved/);
    expect(
      await refused(batch, {
        tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
      }),
    ).toMatch(/at most 50/);
    expect(await refused(batch, { containerOverrides: { instanceType: 'm5.large' } })).toMatch(/multi-node/);
    expect(await refused(batch, { nodeOverrides: { numNodes: 2 } })).toMatch(
      /not supported by the Batch emulator/,
    );
    expect(await refused(batch, { shareIdentifier: 'teamA' })).toMatch(/fair-share/);
  });
});
