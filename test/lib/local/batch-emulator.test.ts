import {
  BatchClient,
  CancelJobCommand,
  CreateJobQueueCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  type ListJobsCommandInput,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_PREFIX,
  DEFINITION,
  describeOne,
  listNames,
  QUEUE,
  type SdkError,
  START,
  sdkError,
  submit,
  UUID,
  useEmulator,
} from './batch-emulator-harness';

const setUp = useEmulator();

describe('BatchEmulator: SubmitJob and DescribeJobs through the lifecycle', () => {
  const durations = { submitted: 1, pending: 1, runnable: 120, starting: 10, running: 7200 };

  it('moves a submitted job through every status in order on the virtual clock', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations } });
    const submitted = await batch.send(
      new SubmitJobCommand({
        jobName: 'nightly_report-1',
        jobQueue: 'my-queue',
        jobDefinition: 'my-def',
        parameters: { day: '2026-01-01' },
      }),
    );
    const jobId = submitted.jobId ?? '';
    expect(jobId).toMatch(UUID);
    expect(submitted.jobName).toBe('nightly_report-1');
    expect(submitted.jobArn).toBe(`${ACCOUNT_PREFIX}:job/${jobId}`);

    // Seconds to advance before each look: lands in every phase and on both sides of each boundary.
    const steps = [0, 1, 1, 119, 1, 9, 1, 7199, 1, 100];
    const seen: string[] = [];
    for (const step of steps) {
      clock.advanceSeconds(step);
      seen.push((await describeOne(batch, jobId)).status ?? '');
    }
    expect(seen).toEqual([
      'SUBMITTED',
      'PENDING',
      'RUNNABLE',
      'RUNNABLE',
      'STARTING',
      'STARTING',
      'RUNNING',
      'RUNNING',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
  });

  it('reports timestamps, exit code, log stream and the attempt as Batch does', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations } });
    const jobId = await submit(batch, { parameters: { day: '2026-01-01' } });

    const queued = await describeOne(batch, jobId);
    expect(queued).toMatchObject({
      jobId,
      jobName: 'report',
      jobArn: `${ACCOUNT_PREFIX}:job/${jobId}`,
      jobQueue: `${ACCOUNT_PREFIX}:job-queue/my-queue`,
      jobDefinition: `${ACCOUNT_PREFIX}:job-definition/my-def:1`,
      parameters: { day: '2026-01-01' },
      status: 'SUBMITTED',
      createdAt: START,
      attempts: [],
    });
    expect(queued.startedAt).toBeUndefined();
    expect(queued.stoppedAt).toBeUndefined();
    expect(queued.statusReason).toBeUndefined();
    expect(queued.container?.logStreamName).toBeUndefined();

    clock.advanceSeconds(132);
    const running = await describeOne(batch, jobId);
    const logStreamName = `my-def/default/${jobId}`;
    expect(running.status).toBe('RUNNING');
    expect(running.startedAt).toBe(START + 132_000);
    expect(running.stoppedAt).toBeUndefined();
    expect(running.container?.logStreamName).toBe(logStreamName);
    expect(running.container?.exitCode).toBeUndefined();
    expect(running.attempts).toEqual([]);

    clock.advanceSeconds(7200);
    const done = await describeOne(batch, jobId);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      statusReason: 'Essential container in task exited',
      createdAt: START,
      startedAt: START + 132_000,
      stoppedAt: START + 7_332_000,
      container: { exitCode: 0, logStreamName },
    });
    expect(done.attempts).toEqual([
      {
        container: { exitCode: 0, logStreamName },
        startedAt: START + 132_000,
        stoppedAt: START + 7_332_000,
        statusReason: 'Essential container in task exited',
      },
    ]);
  });

  it('fails jobs as jobSpecFor decides, with the exit code and statusReason', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { submitted: 0, pending: 0, runnable: 5, starting: 5, running: 10 } },
      jobSpecFor: (request) => {
        if (request.jobName.startsWith('crash')) return { outcome: 'FAILED' };
        if (request.jobName.startsWith('oom')) {
          return { outcome: 'FAILED', exitCode: 137, statusReason: 'OutOfMemoryError: Container killed' };
        }
        return undefined;
      },
    });
    const crash = await submit(batch, { jobName: 'crash-1' });
    const oom = await submit(batch, { jobName: 'oom-1' });
    const fine = await submit(batch, { jobName: 'fine-1' });

    clock.advanceSeconds(20);
    expect(await describeOne(batch, crash)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      container: { exitCode: 1 },
      attempts: [{ container: { exitCode: 1 } }],
    });
    expect(await describeOne(batch, oom)).toMatchObject({
      status: 'FAILED',
      statusReason: 'OutOfMemoryError: Container killed',
      container: { exitCode: 137 },
      attempts: [{ statusReason: 'OutOfMemoryError: Container killed' }],
    });
    expect(await describeOne(batch, fine)).toMatchObject({ status: 'SUCCEEDED', container: { exitCode: 0 } });
  });

  it('refuses invalid job names with a ClientException', async () => {
    const { batch, emulator } = await setUp();
    for (const jobName of [
      '-starts-with-hyphen',
      '_underscore-first',
      'has space',
      'dot.name',
      'a'.repeat(129),
      '',
    ]) {
      const error = await sdkError(submit(batch, { jobName }));
      expect(error.name, jobName).toBe('ClientException');
      expect(error.$metadata.httpStatusCode, jobName).toBe(400);
    }
    expect(emulator.jobs()).toEqual([]);
    // The longest name allowed, and every allowed character.
    await submit(batch, { jobName: 'a'.repeat(128) });
    await submit(batch, { jobName: '9Az_-z' });
    expect(emulator.jobs().map((job) => job.jobName)).toEqual(['a'.repeat(128), '9Az_-z']);
  });

  it('requires jobQueue and jobDefinition', async () => {
    const { batch } = await setUp();
    // The SDK does not check required members itself, so the emulator must.
    const noQueue = { jobName: 'x', jobDefinition: 'my-def' } as SubmitJobCommandInput;
    const noDefinition = { jobName: 'x', jobQueue: 'my-queue' } as SubmitJobCommandInput;
    for (const input of [noQueue, noDefinition]) {
      const error = await sdkError(batch.send(new SubmitJobCommand(input)));
      expect(error.name).toBe('ClientException');
      expect(error.message).toMatch(/is required/);
    }
  });
});

describe('BatchEmulator: job queues and job definitions', () => {
  it('refuses a queue or definition it does not know, in Batch words, and creates no job', async () => {
    const { batch, emulator } = await setUp();
    const noQueue = await sdkError(submit(batch, { jobQueue: 'no-such-queue' }));
    expect([noQueue.name, noQueue.$metadata.httpStatusCode, noQueue.message]).toEqual([
      'ClientException',
      400,
      'JobQueue no-such-queue not found.',
    ]);
    const noDefinition = await sdkError(submit(batch, { jobDefinition: 'no-such-def' }));
    expect([noDefinition.name, noDefinition.$metadata.httpStatusCode, noDefinition.message]).toEqual([
      'ClientException',
      400,
      'JobDefinition name no-such-def does not exist or is not in ACTIVE status',
    ]);
    // A revision that was never registered, and ARNs of another account or of the wrong kind.
    for (const jobDefinition of [
      'my-def:2',
      'arn:aws:batch:us-east-1:999999999999:job-definition/my-def:1',
      `${ACCOUNT_PREFIX}:job-queue/my-def`,
    ]) {
      expect((await sdkError(submit(batch, { jobDefinition }))).message, jobDefinition).toMatch(
        /does not exist or is not in ACTIVE status/,
      );
    }
    expect((await sdkError(submit(batch, { jobQueue: `${ACCOUNT_PREFIX}:job-queue/other` }))).message).toBe(
      `JobQueue ${ACCOUNT_PREFIX}:job-queue/other not found.`,
    );
    expect(emulator.jobs()).toEqual([]);
  });

  it('refuses a DISABLED queue and an INACTIVE revision', async () => {
    const { batch, emulator } = await setUp({
      jobQueues: [QUEUE, { name: 'closed', state: 'DISABLED' }],
      jobDefinitions: [DEFINITION, { name: 'retired', status: 'INACTIVE' }],
    });
    expect((await sdkError(submit(batch, { jobQueue: 'closed' }))).message).toMatch(/closed is DISABLED/);
    for (const jobDefinition of ['retired', 'retired:1', `${ACCOUNT_PREFIX}:job-definition/retired:1`]) {
      const error = await sdkError(submit(batch, { jobDefinition }));
      expect([error.name, error.message], jobDefinition).toEqual([
        'ClientException',
        `JobDefinition name ${jobDefinition} does not exist or is not in ACTIVE status`,
      ]);
    }
    expect(emulator.jobs()).toEqual([]);
  });

  it('runs the latest ACTIVE revision for a bare name, the named one otherwise, and reports it', async () => {
    const { batch, emulator } = await setUp({
      jobDefinitions: [
        'etl:1',
        { name: 'etl', revision: 2 },
        { name: 'etl', revision: 3, status: 'INACTIVE' },
      ],
    });
    const expected: [string, number][] = [
      ['etl', 2],
      ['etl:1', 1],
      [`${ACCOUNT_PREFIX}:job-definition/etl`, 2],
      [`${ACCOUNT_PREFIX}:job-definition/etl:1`, 1],
    ];
    for (const [jobDefinition, revision] of expected) {
      const jobId = await submit(batch, { jobDefinition });
      expect((await describeOne(batch, jobId)).jobDefinition, jobDefinition).toBe(
        `${ACCOUNT_PREFIX}:job-definition/etl:${revision}`,
      );
    }
    // A queue ARN works like its name.
    const byArn = await submit(batch, {
      jobQueue: `${ACCOUNT_PREFIX}:job-queue/${QUEUE}`,
      jobDefinition: 'etl',
    });
    expect((await describeOne(batch, byArn)).jobQueue).toBe(`${ACCOUNT_PREFIX}:job-queue/${QUEUE}`);
    // Registering the same name again adds the next revision, which bare names then run.
    expect(emulator.registerJobDefinition('etl')).toMatchObject({ revision: 4, status: 'ACTIVE' });
    const latest = await submit(batch, { jobDefinition: 'etl' });
    expect((await describeOne(batch, latest)).jobDefinition).toBe(`${ACCOUNT_PREFIX}:job-definition/etl:4`);
    expect(emulator.jobDefinition('etl')?.revision).toBe(4);
    expect(emulator.jobDefinition('etl:3')?.status).toBe('INACTIVE');
  });

  it('learns queues and definitions registered after it started, and refuses bad registrations', async () => {
    const { batch, emulator } = await setUp({ jobQueues: [], jobDefinitions: [] });
    expect((await sdkError(submit(batch))).message).toBe('JobQueue my-queue not found.');
    expect(emulator.registerJobQueue(`${ACCOUNT_PREFIX}:job-queue/${QUEUE}`)).toEqual({
      name: QUEUE,
      arn: `${ACCOUNT_PREFIX}:job-queue/${QUEUE}`,
      state: 'ENABLED',
    });
    expect(emulator.registerJobDefinition(`${DEFINITION}:7`)).toMatchObject({
      name: DEFINITION,
      revision: 7,
      arn: `${ACCOUNT_PREFIX}:job-definition/${DEFINITION}:7`,
      type: 'container',
    });
    const jobId = await submit(batch);
    expect((await describeOne(batch, jobId)).jobDefinition).toBe(`${ACCOUNT_PREFIX}:job-definition/my-def:7`);

    expect(() => emulator.registerJobQueue(QUEUE)).toThrow(RangeError);
    expect(() => emulator.registerJobDefinition(`${DEFINITION}:7`)).toThrow(/already exists/);
    expect(() => emulator.registerJobQueue('bad name')).toThrow(RangeError);
    expect(() => emulator.registerJobQueue('arn:aws:batch:eu-west-1:123456789012:job-queue/q')).toThrow(
      RangeError,
    );
    expect(() => emulator.registerJobDefinition({ name: 'x:2', revision: 3 })).toThrow(RangeError);
    expect(() => emulator.registerJobDefinition({ name: 'x', type: 'fargate' as 'container' })).toThrow(
      RangeError,
    );
  });

  it('refuses a multinode definition, whose jobs it does not emulate', async () => {
    const { batch } = await setUp({ jobDefinitions: [{ name: 'mpi', type: 'multinode' }] });
    const error = await sdkError(submit(batch, { jobDefinition: 'mpi' }));
    expect([error.name, error.message]).toEqual([
      'ClientException',
      `${ACCOUNT_PREFIX}:job-definition/mpi:1 is a multinode job definition; the Batch emulator runs container jobs only`,
    ]);
  });

  it('registers what a seeded job names, unless it exists and SubmitJob would refuse it', async () => {
    const { batch, emulator } = await setUp({
      jobQueues: [{ name: 'closed', state: 'DISABLED' }],
      jobDefinitions: [{ name: 'retired', status: 'INACTIVE' }],
    });
    const jobId = emulator.addJob({ jobQueue: 'seed-queue', jobDefinition: 'seed-def:4' });
    expect(emulator.job(jobId)).toMatchObject({
      jobQueue: `${ACCOUNT_PREFIX}:job-queue/seed-queue`,
      jobDefinition: `${ACCOUNT_PREFIX}:job-definition/seed-def:4`,
    });
    // Now known, so SubmitJob takes them too.
    await submit(batch, { jobQueue: 'seed-queue', jobDefinition: 'seed-def' });
    expect(() => emulator.addJob({ jobQueue: 'closed' })).toThrow(/DISABLED/);
    expect(() => emulator.addJob({ jobDefinition: 'retired' })).toThrow(/not in ACTIVE status/);
  });
});

describe('BatchEmulator: CreateJobQueue and RegisterJobDefinition', () => {
  it('creates a queue and registers revisions that SubmitJob then runs, as a client would set Batch up', async () => {
    const { batch } = await setUp({ jobQueues: [], jobDefinitions: [] });
    const queue = await batch.send(
      new CreateJobQueueCommand({
        jobQueueName: 'api-queue',
        priority: 1,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
      }),
    );
    expect([queue.jobQueueName, queue.jobQueueArn]).toEqual([
      'api-queue',
      `${ACCOUNT_PREFIX}:job-queue/api-queue`,
    ]);
    const register = (command: string[]) =>
      batch.send(
        new RegisterJobDefinitionCommand({
          jobDefinitionName: 'api-def',
          type: 'container',
          containerProperties: { image: 'busybox', command },
          timeout: { attemptDurationSeconds: 90 },
        }),
      );
    expect((await register(['echo', '1'])).revision).toBe(1);
    const second = await register(['echo', '2']);
    expect([second.jobDefinitionName, second.jobDefinitionArn, second.revision]).toEqual([
      'api-def',
      `${ACCOUNT_PREFIX}:job-definition/api-def:2`,
      2,
    ]);
    const jobId = await submit(batch, { jobQueue: 'api-queue', jobDefinition: 'api-def' });
    expect(await describeOne(batch, jobId)).toMatchObject({
      jobDefinition: `${ACCOUNT_PREFIX}:job-definition/api-def:2`,
      container: { image: 'busybox', command: ['echo', '2'] },
      timeout: { attemptDurationSeconds: 90 },
    });
    const again = await sdkError(
      batch.send(
        new CreateJobQueueCommand({
          jobQueueName: 'api-queue',
          priority: 1,
          computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
        }),
      ),
    );
    expect([again.name, again.message]).toEqual([
      'ClientException',
      'Object already exists: job queue api-queue',
    ]);
  });

  it('refuses what the model requires but is missing, and what the emulator does not run', async () => {
    const { batch } = await setUp();
    const queue = {
      jobQueueName: 'q2',
      priority: 1,
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
    };
    const definition = {
      jobDefinitionName: 'd2',
      type: 'container',
      containerProperties: { image: 'busybox' },
    };
    const cases: [string, Promise<unknown>, RegExp][] = [
      [
        'no priority',
        batch.send(new CreateJobQueueCommand({ ...queue, priority: undefined } as never)),
        /priority/,
      ],
      [
        'four environments',
        batch.send(
          new CreateJobQueueCommand({
            ...queue,
            computeEnvironmentOrder: [1, 2, 3, 4].map((order) => ({
              order,
              computeEnvironment: `ce${order}`,
            })),
          }),
        ),
        /1 to 3/,
      ],
      [
        'fair share',
        batch.send(new CreateJobQueueCommand({ ...queue, schedulingPolicyArn: 'arn:x' })),
        /fair-share/,
      ],
      [
        'a name with a revision',
        batch.send(new RegisterJobDefinitionCommand({ ...definition, jobDefinitionName: 'd2:3' } as never)),
        /jobDefinitionName/,
      ],
      [
        'no image',
        batch.send(new RegisterJobDefinitionCommand({ ...definition, containerProperties: {} } as never)),
        /image is required/,
      ],
      [
        'multinode',
        batch.send(new RegisterJobDefinitionCommand({ ...definition, type: 'multinode' } as never)),
        /multi-node/,
      ],
      [
        'Fargate',
        batch.send(
          new RegisterJobDefinitionCommand({ ...definition, platformCapabilities: ['FARGATE'] } as never),
        ),
        /EC2 jobs only/,
      ],
      [
        'a short timeout',
        batch.send(
          new RegisterJobDefinitionCommand({
            ...definition,
            timeout: { attemptDurationSeconds: 10 },
          } as never),
        ),
        /at least 60/,
      ],
    ];
    for (const [label, call, message] of cases) {
      const error = await sdkError(call);
      expect([error.name, error.$metadata.httpStatusCode], label).toEqual(['ClientException', 400]);
      expect(error.message, label).toMatch(message);
    }
  });
});

describe('BatchEmulator: DescribeJobs', () => {
  it('leaves unknown ids out of the list without an error', async () => {
    const { batch } = await setUp();
    const known = await submit(batch);
    const none = await batch.send(new DescribeJobsCommand({ jobs: ['no-such-job'] }));
    expect(none.jobs).toEqual([]);
    expect(none.$metadata.httpStatusCode).toBe(200);
    const mixed = await batch.send(new DescribeJobsCommand({ jobs: ['no-such-job', known, known] }));
    expect(mixed.jobs?.map((job) => job.jobId)).toEqual([known]);
  });

  it('refuses an id that cannot be a job id, as Batch does, but takes array child and node ids', async () => {
    const { batch, emulator } = await setUp();
    const jobId = await submit(batch);
    for (const bad of ['', 'has space', 'a,b', `${jobId} ${jobId}`, 'x'.repeat(129), 'a:b', 'a#', 'ünï']) {
      const error = await sdkError(batch.send(new DescribeJobsCommand({ jobs: [jobId, bad] })));
      expect([error.name, error.$metadata.httpStatusCode, error.message], bad).toEqual([
        'ClientException',
        400,
        `Provided name ${bad} is not supported pattern[a-zA-Z_0-9-]{1,128}`,
      ]);
    }
    const valid = [jobId, `${jobId}:0`, `${jobId}:9999`, `${jobId}#3`, 'x'.repeat(128), 'A_b-9'];
    expect(
      (await batch.send(new DescribeJobsCommand({ jobs: valid }))).jobs?.map((job) => job.jobId),
    ).toEqual([jobId]);
    expect(() => emulator.addJob({ jobId: 'not an id' })).toThrow(/not supported pattern/);
  });

  it('takes at most 100 ids', async () => {
    const { batch } = await setUp();
    const ids = Array.from({ length: 100 }, (_, i) => `job-${i}`);
    expect((await batch.send(new DescribeJobsCommand({ jobs: ids }))).jobs).toEqual([]);
    const error = await sdkError(batch.send(new DescribeJobsCommand({ jobs: [...ids, 'job-100'] })));
    expect(error.name).toBe('ClientException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/101/);
  });

  it('omits a job once removeJob has run', async () => {
    const { batch, emulator } = await setUp();
    const jobId = await submit(batch);
    await describeOne(batch, jobId);
    expect(emulator.removeJob(jobId)).toBe(true);
    expect(emulator.removeJob(jobId)).toBe(false);
    expect((await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs).toEqual([]);
  });

  it('shows a forced status, even one Batch never documented, until it is unpinned', async () => {
    const { batch, emulator } = await setUp();
    const jobId = emulator.addJob({ jobName: 'odd', durations: { submitted: 0, pending: 0, runnable: 100 } });
    emulator.setJobStatus(jobId, 'PAUSED', 'paused by operator');
    expect(await describeOne(batch, jobId)).toMatchObject({
      status: 'PAUSED',
      statusReason: 'paused by operator',
    });
    const listed = await batch.send(
      new ListJobsCommand({ jobQueue: 'local-queue', filters: [{ name: 'JOB_NAME', values: ['odd'] }] }),
    );
    expect(listed.jobSummaryList?.map((job) => job.status)).toEqual(['PAUSED']);
    emulator.setJobStatus(jobId, null);
    expect((await describeOne(batch, jobId)).status).toBe('RUNNABLE');
    expect(() => emulator.setJobStatus('no-such-job', 'PAUSED')).toThrow(RangeError);
  });
});

describe('BatchEmulator: ListJobs', () => {
  it('needs one of jobQueue or arrayJobId, and does not list multi-node jobs', async () => {
    const { batch } = await setUp();
    const error = await sdkError(batch.send(new ListJobsCommand({})));
    expect(error.name).toBe('ClientException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    const multiNode = await sdkError(batch.send(new ListJobsCommand({ multiNodeJobId: 'parent' })));
    expect(multiNode.name).toBe('ClientException');
    expect(multiNode.message).toMatch(/multiNodeJobId/);
  });

  it('lists only RUNNING jobs of the queue without a filter, or the jobStatus asked for', async () => {
    const { clock, batch, emulator } = await setUp();
    emulator.addJob({ jobName: 'queued', durations: { runnable: 1000 } });
    emulator.addJob({ jobName: 'running', durations: { runnable: 0, starting: 0, running: 1000 } });
    emulator.addJob({ jobName: 'done', durations: { runnable: 0, starting: 0, running: 0 } });
    emulator.addJob({
      jobName: 'elsewhere',
      jobQueue: 'other-queue',
      durations: { runnable: 0, starting: 0 },
    });
    clock.advanceSeconds(10);
    expect(await listNames(batch, { jobQueue: 'local-queue' })).toEqual(['running']);
    expect(await listNames(batch, { jobQueue: `${ACCOUNT_PREFIX}:job-queue/local-queue` })).toEqual([
      'running',
    ]);
    expect(await listNames(batch, { jobQueue: 'local-queue', jobStatus: 'SUCCEEDED' })).toEqual(['done']);
    expect(await listNames(batch, { jobQueue: 'local-queue', jobStatus: 'RUNNABLE' })).toEqual(['queued']);
    expect(await listNames(batch, { jobQueue: 'other-queue' })).toEqual(['elsewhere']);
  });

  it('matches JOB_NAME case-insensitively, with a trailing * as a prefix, across all statuses', async () => {
    const { clock, batch, emulator } = await setUp();
    emulator.addJob({ jobName: 'Nightly-Report', durations: { runnable: 0, starting: 0, running: 0 } });
    clock.advanceSeconds(10);
    emulator.addJob({ jobName: 'nightly-report', durations: { runnable: 1000 } });
    clock.advanceSeconds(10);
    emulator.addJob({ jobName: 'NIGHTLY-REPORT-2', durations: { runnable: 0, starting: 0, running: 1000 } });
    emulator.addJob({ jobName: 'weekly-report' });
    clock.advanceSeconds(10);

    const byName = (value: string, jobStatus?: 'RUNNING') =>
      batch.send(
        new ListJobsCommand({
          jobQueue: 'local-queue',
          jobStatus,
          filters: [{ name: 'JOB_NAME', values: [value] }],
        }),
      );
    const exact = await byName('nightly-REPORT');
    // Newest first; every status, not only RUNNING.
    expect(exact.jobSummaryList?.map((job) => [job.jobName, job.status])).toEqual([
      ['nightly-report', 'RUNNABLE'],
      ['Nightly-Report', 'SUCCEEDED'],
    ]);
    const prefix = await byName('NIGHTLY*');
    expect(prefix.jobSummaryList?.map((job) => job.jobName)).toEqual([
      'NIGHTLY-REPORT-2',
      'nightly-report',
      'Nightly-Report',
    ]);
    // jobStatus is ignored when a filter is given.
    expect((await byName('nightly*', 'RUNNING')).jobSummaryList).toHaveLength(3);
    expect((await byName('report')).jobSummaryList).toEqual([]);
    expect((await byName('*')).jobSummaryList).toHaveLength(4);
  });

  it('summarizes jobs with timestamps and the exit code', async () => {
    const { clock, batch, emulator } = await setUp();
    const jobId = emulator.addJob({
      jobName: 'summarized',
      durations: { submitted: 0, pending: 0, runnable: 10, starting: 5, running: 20 },
      outcome: 'FAILED',
      exitCode: 2,
    });
    clock.advanceSeconds(60);
    const { jobSummaryList } = await batch.send(
      new ListJobsCommand({ jobQueue: 'local-queue', jobStatus: 'FAILED' }),
    );
    expect(jobSummaryList).toEqual([
      {
        jobArn: `${ACCOUNT_PREFIX}:job/${jobId}`,
        jobId,
        jobName: 'summarized',
        jobDefinition: `${ACCOUNT_PREFIX}:job-definition/local-job-definition:1`,
        createdAt: START,
        status: 'FAILED',
        statusReason: 'Essential container in task exited',
        startedAt: START + 15_000,
        stoppedAt: START + 35_000,
        container: { exitCode: 2 },
      },
    ]);
  });

  it('pages with maxResults and nextToken, newest first, each job once', async () => {
    const { clock, batch, emulator } = await setUp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const durations = { submitted: 0, pending: 0, runnable: 0, starting: 0, running: 1000 };
      ids.push(emulator.addJob({ jobName: `page-${i}`, durations }));
      clock.advanceSeconds(1);
    }
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await batch.send(
        new ListJobsCommand({ jobQueue: 'local-queue', maxResults: 2, nextToken }),
      );
      pages.push((page.jobSummaryList ?? []).map((job) => job.jobId ?? ''));
      nextToken = page.nextToken;
    } while (nextToken !== undefined && pages.length < 10);
    expect(pages).toEqual([[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]);
    // Exactly a full last page: no token pointing at an empty page.
    const all = await batch.send(new ListJobsCommand({ jobQueue: 'local-queue', maxResults: 5 }));
    expect(all.jobSummaryList).toHaveLength(5);
    expect(all.nextToken).toBeUndefined();

    const badToken = await sdkError(
      batch.send(new ListJobsCommand({ jobQueue: 'local-queue', nextToken: 'not-a-token' })),
    );
    expect(badToken.name).toBe('ClientException');
    const badSize = await sdkError(
      batch.send(new ListJobsCommand({ jobQueue: 'local-queue', maxResults: 0 })),
    );
    expect(badSize.name).toBe('ClientException');
  });

  it('matches JOB_DEFINITION by name (any revision), prefix or ARN (that revision), case-sensitively', async () => {
    const { clock, batch, emulator } = await setUp({
      jobDefinitions: ['etl:1', 'etl:2', 'etl-full', 'load'],
    });
    const ran: Record<string, string> = {};
    for (const [jobName, jobDefinition] of [
      ['first', 'etl:1'],
      ['second', 'etl:2'],
      ['full', 'etl-full'],
      ['loaded', 'load'],
    ] as const) {
      ran[jobName] = emulator.addJob({ jobName, jobQueue: QUEUE, jobDefinition });
      clock.advanceSeconds(1);
    }
    const byDefinition = (value: string) =>
      listNames(batch, { jobQueue: QUEUE, filters: [{ name: 'JOB_DEFINITION', values: [value] }] });
    expect(await byDefinition('etl')).toEqual(['second', 'first']);
    expect(await byDefinition('etl*')).toEqual(['full', 'second', 'first']);
    expect(await byDefinition('ETL')).toEqual([]);
    expect(await byDefinition(`${ACCOUNT_PREFIX}:job-definition/etl:1`)).toEqual(['first']);
    expect(await byDefinition(`${ACCOUNT_PREFIX}:job-definition/etl`)).toEqual(['second', 'first']);
    expect(await byDefinition('arn:aws:batch:us-east-1:999999999999:job-definition/etl:1')).toEqual([]);
  });

  it('takes BEFORE_CREATED_AT and AFTER_CREATED_AT as epoch milliseconds, as the reference words them', async () => {
    const { clock, batch, emulator } = await setUp();
    for (const jobName of ['t0', 't10', 't20']) {
      emulator.addJob({ jobName, jobQueue: QUEUE });
      clock.advanceSeconds(10);
    }
    const byTime = (name: string, offsetMs: number) =>
      listNames(batch, { jobQueue: QUEUE, filters: [{ name, values: [String(START + offsetMs)] }] });
    // "The value for the filter is the time that's before the job was created": jobs created after it.
    expect(await byTime('BEFORE_CREATED_AT', 10_000)).toEqual(['t20']);
    expect(await byTime('BEFORE_CREATED_AT', 9_999)).toEqual(['t20', 't10']);
    // "The value for the filter is the time that's after the job was created": jobs created before it.
    expect(await byTime('AFTER_CREATED_AT', 10_000)).toEqual(['t0']);
    expect(await byTime('AFTER_CREATED_AT', 10_001)).toEqual(['t10', 't0']);
  });

  it('refuses filters it does not emulate, more than one filter, and unknown statuses', async () => {
    const { batch } = await setUp();
    const cases: ListJobsCommandInput[] = [
      { jobQueue: 'q', filters: [{ name: 'SHARE_IDENTIFIER', values: ['d'] }] },
      { jobQueue: 'q', filters: [{ name: 'JOB_NAME', values: ['a', 'b'] }] },
      { jobQueue: 'q', filters: [{ name: 'JOB_DEFINITION', values: [] }] },
      {
        jobQueue: 'q',
        filters: [{ name: 'JOB_DEFINITION', values: [`${ACCOUNT_PREFIX}:job-definition/d*`] }],
      },
      { jobQueue: 'q', filters: [{ name: 'BEFORE_CREATED_AT', values: ['2026-01-01T00:00:00Z'] }] },
      { jobQueue: 'q', filters: [{ name: 'AFTER_CREATED_AT', values: ['-1'] }] },
      { jobQueue: 'q', arrayJobId: 'parent' },
      {
        jobQueue: 'q',
        filters: [
          { name: 'JOB_NAME', values: ['a'] },
          { name: 'JOB_NAME', values: ['b'] },
        ],
      },
      { jobQueue: 'q', jobStatus: 'PAUSED' as 'RUNNING' },
    ];
    for (const input of cases) {
      const error = await sdkError(batch.send(new ListJobsCommand(input)));
      expect(error.name, JSON.stringify(input)).toBe('ClientException');
    }
  });
});

describe('BatchEmulator: TerminateJob and CancelJob', () => {
  const durations = { submitted: 0, pending: 0, runnable: 100, starting: 10, running: 1000 };

  it('terminates a running job: FAILED now, with the reason and a killed container', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations } });
    const jobId = await submit(batch);
    clock.advanceSeconds(200);
    await batch.send(new TerminateJobCommand({ jobId, reason: 'deadline passed' }));
    clock.advanceSeconds(5000); // The schedule no longer matters.
    const job = await describeOne(batch, jobId);
    expect(job).toMatchObject({
      status: 'FAILED',
      statusReason: 'deadline passed',
      startedAt: START + 110_000,
      stoppedAt: START + 200_000,
      isTerminated: true,
      container: { exitCode: 137 },
    });
    expect(job.attempts).toHaveLength(1);
  });

  it('cancels a queued job it terminates, without start time or exit code, and leaves a finished job alone', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations } });
    const queued = await submit(batch);
    clock.advanceSeconds(50);
    await batch.send(new TerminateJobCommand({ jobId: queued, reason: 'not needed' }));
    const job = await describeOne(batch, queued);
    expect(job).toMatchObject({
      status: 'FAILED',
      statusReason: 'not needed',
      stoppedAt: START + 50_000,
      isCancelled: true,
    });
    expect(job.isTerminated).toBeUndefined();
    expect(job.startedAt).toBeUndefined();
    expect(job.container?.exitCode).toBeUndefined();
    expect(job.attempts).toEqual([]);

    const finished = await submit(batch, { jobName: 'finished' });
    clock.advanceSeconds(2000);
    await batch.send(new TerminateJobCommand({ jobId: finished, reason: 'too late' }));
    expect(await describeOne(batch, finished)).toMatchObject({
      status: 'SUCCEEDED',
      statusReason: 'Essential container in task exited',
    });
  });

  it('cancels a job that has not started, but not one that is STARTING or RUNNING', async () => {
    const { clock, batch } = await setUp({ defaultJobSpec: { durations } });
    const queued = await submit(batch, { jobName: 'queued' });
    const started = await submit(batch, { jobName: 'started' });
    clock.advanceSeconds(50);
    await batch.send(new CancelJobCommand({ jobId: queued, reason: 'cancelled by user' }));
    expect(await describeOne(batch, queued)).toMatchObject({
      status: 'FAILED',
      statusReason: 'cancelled by user',
      isCancelled: true,
    });

    clock.advanceSeconds(55); // 105 s: STARTING.
    expect((await describeOne(batch, started)).status).toBe('STARTING');
    const response = await batch.send(new CancelJobCommand({ jobId: started, reason: 'too late' }));
    expect(response.$metadata.httpStatusCode).toBe(200);
    clock.advanceSeconds(100); // RUNNING
    expect((await describeOne(batch, started)).status).toBe('RUNNING');
    await batch.send(new CancelJobCommand({ jobId: started, reason: 'still too late' }));
    clock.advanceSeconds(1000);
    const done = await describeOne(batch, started);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.isCancelled).toBeUndefined();
  });

  it('answers 200 {} for an id Batch does not know, as AWS does, but refuses a missing reason', async () => {
    const { batch, emulator } = await setUp();
    const jobId = await submit(batch);
    for (const command of [
      new TerminateJobCommand({ jobId: 'no-such-job', reason: 'x' }),
      new CancelJobCommand({ jobId: 'no-such-job', reason: 'x' }),
    ]) {
      const response = await batch.send(command as TerminateJobCommand);
      expect(response.$metadata.httpStatusCode).toBe(200);
    }
    expect(emulator.calls.slice(-2).map((call) => call.outcome)).toEqual(['ok', 'ok']);
    const noReason = await sdkError(
      batch.send(new CancelJobCommand({ jobId } as { jobId: string; reason: string })),
    );
    expect([noReason.name, noReason.message]).toEqual(['ClientException', 'reason is required']);
    expect((await describeOne(batch, jobId)).status).toBe('SUBMITTED');
  });

  it('cancels, not terminates, a job TerminateJob reaches before STARTING, in every such status', async () => {
    const { clock, batch } = await setUp({
      defaultJobSpec: { durations: { submitted: 10, pending: 10, runnable: 10, starting: 10, running: 100 } },
    });
    const jobs = [await submit(batch, { jobName: 'a' }), await submit(batch, { jobName: 'b' })];
    jobs.push(await submit(batch, { jobName: 'c' }));
    const expected = ['SUBMITTED', 'PENDING', 'RUNNABLE'];
    for (const [index, jobId] of jobs.entries()) {
      expect((await describeOne(batch, jobId)).status).toBe(expected[index]);
      await batch.send(new TerminateJobCommand({ jobId, reason: 'not needed' }));
      const job = await describeOne(batch, jobId);
      expect(job, expected[index]).toMatchObject({
        status: 'FAILED',
        statusReason: 'not needed',
        isCancelled: true,
      });
      expect(job.isTerminated).toBeUndefined();
      clock.advanceSeconds(10);
    }
  });
});

describe('BatchEmulator: injected faults', () => {
  it('throttles every request with probability 1: TooManyRequestsException, HTTP 429', async () => {
    const { batch, emulator } = await setUp({ faults: { throttleProbability: 1 } });
    const error = await sdkError(batch.send(new DescribeJobsCommand({ jobs: ['a'] })));
    expect(error.name).toBe('TooManyRequestsException');
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect(error.$fault).toBe('client');
    expect(emulator.throttledCalls).toBe(1);
    expect(emulator.calls).toEqual([
      {
        operation: 'DescribeJobs',
        at: START,
        outcome: 'throttled',
        httpStatus: 429,
        errorType: 'TooManyRequestsException',
      },
    ]);
  });

  it('draws the injected random source only for faults that are on', async () => {
    const draws = [0.1, 0.9, 0.49, 0.5];
    let drawn = 0;
    const random = () => draws[drawn++] ?? 1;
    const { batch, emulator } = await setUp({ faults: { throttleProbability: 0.5 }, random });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      try {
        await batch.send(new DescribeJobsCommand({ jobs: ['a'] }));
        outcomes.push('ok');
      } catch (error) {
        outcomes.push((error as SdkError).name);
      }
    }
    expect(outcomes).toEqual(['TooManyRequestsException', 'ok', 'TooManyRequestsException', 'ok']);
    expect(drawn).toBe(4);
    expect(emulator.throttledCalls).toBe(2);
  });

  it('limits requests per virtual second', async () => {
    const { clock, batch, emulator } = await setUp({ faults: { throttleRequestsPerSecond: 2 } });
    const describe = () => batch.send(new DescribeJobsCommand({ jobs: ['a'] }));
    await describe();
    await describe();
    const third = await sdkError(describe());
    expect([third.name, third.$metadata.httpStatusCode]).toEqual(['TooManyRequestsException', 429]);
    // Within the same second (clock at 0.5 s) the limit still holds.
    clock.advanceSeconds(0.5);
    expect((await sdkError(describe())).name).toBe('TooManyRequestsException');
    clock.advanceSeconds(0.5);
    await describe();
    await describe();
    expect(emulator.calls.map((call) => [call.at - START, call.outcome])).toEqual([
      [0, 'ok'],
      [0, 'ok'],
      [0, 'throttled'],
      [500, 'throttled'],
      [1000, 'ok'],
      [1000, 'ok'],
    ]);
  });

  it('answers a burst of 500 ServerExceptions, then recovers', async () => {
    const { batch, emulator } = await setUp();
    const jobId = await submit(batch);
    emulator.setFaults({ serverErrorBurst: 2 });
    for (let i = 0; i < 2; i += 1) {
      const error = await sdkError(batch.send(new DescribeJobsCommand({ jobs: [jobId] })));
      expect(error.name).toBe('ServerException');
      expect(error.$metadata.httpStatusCode).toBe(500);
      expect(error.$fault).toBe('server');
    }
    expect(emulator.faults.serverErrorBurst).toBe(0);
    expect((await describeOne(batch, jobId)).jobId).toBe(jobId);
    expect(emulator.calls.map((call) => call.outcome)).toEqual(['ok', 'error', 'error', 'ok']);
  });

  it('injects random server errors', async () => {
    const { batch } = await setUp({ faults: { serverErrorProbability: 1 } });
    const error = await sdkError(batch.send(new ListJobsCommand({ jobQueue: 'q' })));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['ServerException', 500]);
  });

  it('restricts faults to the operations named', async () => {
    const { batch, emulator } = await setUp({
      faults: { throttleProbability: 1, operations: ['DescribeJobs'] },
    });
    const jobId = await submit(batch);
    expect((await sdkError(batch.send(new DescribeJobsCommand({ jobs: [jobId] })))).name).toBe(
      'TooManyRequestsException',
    );
    await batch.send(new ListJobsCommand({ jobQueue: 'my-queue' }));
    emulator.setFaults({});
    expect((await describeOne(batch, jobId)).jobId).toBe(jobId);
    expect(emulator.callCount('DescribeJobs')).toBe(2);
    expect(emulator.callCount('SubmitJob')).toBe(1);
    expect(emulator.callCount()).toBe(4);
    expect(emulator.throttledCalls).toBe(1);
  });

  it('refuses impossible fault settings', async () => {
    const { emulator } = await setUp();
    expect(() => emulator.setFaults({ throttleProbability: 1.5 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ serverErrorBurst: -1 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ throttleRequestsPerSecond: 0.5 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ dropResponses: { SubmitJob: -1 } })).toThrow(RangeError);
    expect(() => emulator.setFaults({ dropResponses: { DescribeJobQueues: 1 } as never })).toThrow(
      /no operation/,
    );
    expect(() => emulator.setFaults({ listJobsLagSeconds: -5 })).toThrow(RangeError);
  });

  it('loses a response after Batch acted: the job exists, the SDK gets a network error', async () => {
    const { batch, emulator } = await setUp({ faults: { dropResponses: { SubmitJob: 1 } } });
    const error = await sdkError(submit(batch, { jobName: 'lost' }));
    // A network error, not a service error: no HTTP status ever arrived.
    expect(error.message).toMatch(/socket hang up|ECONNRESET/);
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect(emulator.jobs().map((job) => job.jobName)).toEqual(['lost']);
    expect(emulator.calls).toEqual([
      { operation: 'SubmitJob', at: START, outcome: 'dropped', httpStatus: 200 },
    ]);
    expect(emulator.faults.dropResponses).toEqual({ SubmitJob: 0 });
    // Used up: the next response arrives; other operations were never affected.
    await submit(batch, { jobName: 'answered' });
    expect(emulator.jobs().map((job) => job.jobName)).toEqual(['lost', 'answered']);
  });

  it('makes a retrying SDK client submit twice when the first response is lost', async () => {
    const { emulator } = await setUp({ faults: { dropResponses: { SubmitJob: 1 } } });
    const retrying = new BatchClient({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
      maxAttempts: 2,
      retryStrategy: new ConfiguredRetryStrategy(2, 0),
    });
    try {
      const { jobId } = await retrying.send(
        new SubmitJobCommand({ jobName: 'twice', jobQueue: QUEUE, jobDefinition: DEFINITION }),
      );
      const jobs = emulator.jobs();
      expect(jobs.map((job) => job.jobName)).toEqual(['twice', 'twice']);
      expect(jobs[1]?.jobId).toBe(jobId);
      expect(emulator.calls.map((call) => call.outcome)).toEqual(['dropped', 'ok']);
    } finally {
      retrying.destroy();
    }
  });

  it('answers a lost response only after processing it, never for a throttled request', async () => {
    const { batch, emulator } = await setUp({
      faults: { throttleProbability: 1, operations: ['SubmitJob'], dropResponses: { SubmitJob: 1 } },
    });
    expect((await sdkError(submit(batch))).name).toBe('TooManyRequestsException');
    expect(emulator.faults.dropResponses).toEqual({ SubmitJob: 1 });
    expect(emulator.jobs()).toEqual([]);
  });

  it('keeps a new job out of ListJobs for listJobsLagSeconds, while DescribeJobs sees it at once', async () => {
    const { clock, batch } = await setUp({
      faults: { listJobsLagSeconds: 30 },
      defaultJobSpec: { durations: { submitted: 0, pending: 0, runnable: 1000 } },
    });
    const jobId = await submit(batch, { jobName: 'fresh' });
    const byName = () =>
      listNames(batch, { jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['fresh'] }] });
    expect((await describeOne(batch, jobId)).jobName).toBe('fresh');
    expect(await byName()).toEqual([]);
    clock.advanceSeconds(29.999);
    expect(await byName()).toEqual([]);
    clock.advanceSeconds(0.001);
    expect(await byName()).toEqual(['fresh']);
    expect(await listNames(batch, { jobQueue: QUEUE, jobStatus: 'RUNNABLE' })).toEqual(['fresh']);
  });
});

describe('BatchEmulator: protocol edges and helpers', () => {
  it('answers an operation it does not emulate with a 404 the SDK names', async () => {
    const { batch, emulator } = await setUp();
    const error = await sdkError(batch.send(new DescribeJobQueuesCommand({})));
    expect(error.name).toBe('UnknownOperationException');
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.message).toContain('/v1/describejobqueues');
    expect(emulator.calls[0]).toMatchObject({ operation: 'Unknown', outcome: 'error', httpStatus: 404 });
  });

  it('sends a request id the SDK picks up', async () => {
    const { batch } = await setUp();
    const error = await sdkError(batch.send(new ListJobsCommand({})));
    expect(error.$metadata.requestId).toMatch(UUID);
  });

  it('seeds jobs without a request and refuses bad seeds', async () => {
    const { batch, emulator } = await setUp({ defaultJobSpec: { durations: { runnable: 0, starting: 0 } } });
    const jobId = emulator.addJob({ jobId: 'fixed-id', jobName: 'seeded', parameters: { a: 'b' } });
    expect(jobId).toBe('fixed-id');
    expect(emulator.callCount()).toBe(0);
    expect(emulator.job('fixed-id')).toMatchObject({
      jobName: 'seeded',
      status: 'SUBMITTED',
      parameters: { a: 'b' },
    });
    expect((await describeOne(batch, 'fixed-id')).jobName).toBe('seeded');
    expect(() => emulator.addJob({ jobId: 'fixed-id' })).toThrow(/already exists/);
    expect(() => emulator.addJob({ jobName: 'bad name' })).toThrow(RangeError);
    expect(() => emulator.addJob({ durations: { running: -1 } })).toThrow(RangeError);
    expect(emulator.jobs().map((job) => job.jobId)).toEqual(['fixed-id']);
  });

  it('uses a custom log stream name', async () => {
    const { clock, batch, emulator } = await setUp();
    const jobId = emulator.addJob({
      logStreamName: 'custom/stream',
      durations: { runnable: 0, starting: 0 },
    });
    clock.advanceSeconds(5);
    expect((await describeOne(batch, jobId)).container?.logStreamName).toBe('custom/stream');
  });

  it('stops listening', async () => {
    const { batch, emulator } = await setUp();
    await emulator.stop();
    await emulator.stop();
    const error = await sdkError(batch.send(new ListJobsCommand({ jobQueue: 'q' })));
    expect(error.message).toMatch(/ECONNREFUSED|socket|connect/i);
  });
});
