import {
  ClientException,
  DescribeJobsCommand,
  ListJobsCommand,
  ServerException,
} from '@aws-sdk/client-batch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WaitState } from '../../waiters';
import {
  createHarness,
  describeOutput,
  type Harness,
  iso,
  job,
  parseCause,
  serviceError,
  T0,
} from './fixtures';

const JOB = 'a1b2c3d4-0000-4000-8000-000000000001';
const JOB2 = 'a1b2c3d4-0000-4000-8000-000000000002';
const JOB3 = 'a1b2c3d4-0000-4000-8000-000000000003';

/** Polls with the job in `status` from now on, after advancing the clock by the previous delay. */
async function pollAgain(
  h: Harness,
  state: WaitState,
  ...jobs: ReturnType<typeof job>[]
): Promise<WaitState> {
  h.advance(state.delaySeconds);
  h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(...jobs));
  return h.next(state);
}

describe('one job, every Batch status, first poll', () => {
  for (const status of ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING'] as const) {
    it(`${status}: JobExists succeeds and cascades; the wait stays in JobRunning`, async () => {
      const h = createHarness();
      h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, status)));
      const result = await h.first({ jobId: JOB });

      expect(result.state).toBe('retry');
      expect(result.status).toBe('RUNNING');
      expect(result.stageIndex).toBe(1);
      expect(result.attempt).toBe(0);
      expect(result.timedOut).toBe(false);
      expect(result.error).toBeUndefined();
      expect(result.jobIds).toEqual([JOB]);
      expect(result.seenJobIds).toEqual([JOB]);
      expect(result.jobs.map((j) => [j.jobId, j.status])).toEqual([[JOB, status]]);
      expect(result.stages).toEqual([
        { waiter: 'JobExists', attempts: 1, startedAt: iso(T0), finishedAt: iso(T0) },
        { waiter: 'JobRunning', attempts: 0, startedAt: iso(T0) },
      ]);
      // JobRunning's delay: 5 +/- 2.
      expect(result.delaySeconds).toBeGreaterThanOrEqual(3);
      expect(result.delaySeconds).toBeLessThanOrEqual(7);
      expect(h.describeCalls()).toEqual([[JOB]]);
    });
  }

  it('RUNNING: passes JobRunning in the same poll and waits in JobComplete', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const result = await h.first({ jobId: JOB });

    expect(result.state).toBe('retry');
    expect(result.stageIndex).toBe(2);
    expect(result.attempt).toBe(0);
    expect(result.stages).toEqual([
      { waiter: 'JobExists', attempts: 1, startedAt: iso(T0), finishedAt: iso(T0) },
      { waiter: 'JobRunning', attempts: 0, startedAt: iso(T0), finishedAt: iso(T0) },
      { waiter: 'JobComplete', attempts: 0, startedAt: iso(T0) },
    ]);
    // JobComplete's delay: 300 +/- 2.
    expect(result.delaySeconds).toBeGreaterThanOrEqual(298);
    expect(result.delaySeconds).toBeLessThanOrEqual(302);
    expect(h.describeCalls()).toHaveLength(1);
  });

  it('SUCCEEDED: every stage resolves on the one response; the later ones cost 0 attempts', async () => {
    const h = createHarness();
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job(JOB, 'SUCCEEDED', { container: { exitCode: 0 } })));
    const result = await h.first({ jobId: JOB });

    expect(result.state).toBe('success');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stageIndex).toBe(2);
    expect(result.delaySeconds).toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.error).toBeUndefined();
    expect(result.cause).toBeUndefined();
    expect(result.stages).toEqual([
      { waiter: 'JobExists', attempts: 1, startedAt: iso(T0), finishedAt: iso(T0) },
      { waiter: 'JobRunning', attempts: 0, startedAt: iso(T0), finishedAt: iso(T0) },
      { waiter: 'JobComplete', attempts: 0, startedAt: iso(T0), finishedAt: iso(T0) },
    ]);
    expect(result.jobs).toEqual([
      expect.objectContaining({ jobId: JOB, status: 'SUCCEEDED', exitCode: 0, attempts: 0 }),
    ]);
    expect(h.describeCalls()).toEqual([[JOB]]);
  });

  it('FAILED: JobFailed with a JSON cause carrying statusReason, exit code and log stream', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(
      describeOutput(
        job(JOB, 'FAILED', {
          statusReason: 'Essential container in task exited',
          container: { exitCode: 2, logStreamName: 'nightly/default/abc' },
        }),
      ),
    );
    const result = await h.first({ jobId: JOB });

    expect(result.state).toBe('failure');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('StepWait.JobFailed');
    expect(result.delaySeconds).toBe(0);
    expect(result.timedOut).toBe(false);
    const cause = parseCause(result.cause);
    expect(cause.reason).toContain('JobComplete');
    expect(cause.reason).toContain(JOB);
    expect(cause.jobs?.[JOB]).toEqual({
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      exitCode: 2,
      logStreamName: 'nightly/default/abc',
    });
    expect(result.stages.map((s) => [s.waiter, s.attempts, s.finishedAt])).toEqual([
      ['JobExists', 1, iso(T0)],
      ['JobRunning', 0, iso(T0)],
      ['JobComplete', 0, iso(T0)],
    ]);
  });

  it('FAILED: the exit code and log stream come from the newest attempt when the container has none', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(
      describeOutput(
        job(JOB, 'FAILED', {
          statusReason: 'OutOfMemoryError: Container killed due to memory usage',
          container: {},
          attempts: [
            { container: { exitCode: 1, logStreamName: 'first' } },
            { container: { exitCode: 137, logStreamName: 'second' } },
          ],
        }),
      ),
    );
    const result = await h.first({ jobId: JOB });

    expect(result.error).toBe('StepWait.JobFailed');
    expect(parseCause(result.cause).jobs?.[JOB]).toEqual({
      status: 'FAILED',
      statusReason: 'OutOfMemoryError: Container killed due to memory usage',
      exitCode: 137,
      logStreamName: 'second',
    });
    expect(result.jobs[0]?.attempts).toBe(2);
  });
});

describe('one job through its whole life, one poll at a time', () => {
  it('moves stage by stage, counting attempts per stage and making one DescribeJobs call per poll', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'SUBMITTED')));
    let state = await h.first({ jobId: JOB });
    expect([state.stageIndex, state.attempt]).toEqual([1, 0]);
    const deadline = state.deadline;
    expect(deadline).toBe(iso(T0 + 86_400_000));

    for (const [status, attempt] of [
      ['PENDING', 1],
      ['RUNNABLE', 2],
      ['STARTING', 3],
    ] as const) {
      state = await pollAgain(h, state, job(JOB, status));
      expect(state.state).toBe('retry');
      expect(state.stageIndex).toBe(1);
      expect(state.attempt).toBe(attempt);
      expect(state.stages[1]?.attempts).toBe(attempt);
    }

    const runningAt = h.clockMs + state.delaySeconds * 1000;
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.stageIndex).toBe(2);
    expect(state.attempt).toBe(0);
    expect(state.stages[1]).toEqual({
      waiter: 'JobRunning',
      attempts: 4,
      startedAt: iso(T0),
      finishedAt: iso(runningAt),
    });
    expect(state.stages[2]).toEqual({ waiter: 'JobComplete', attempts: 0, startedAt: iso(runningAt) });

    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect([state.state, state.stageIndex, state.attempt]).toEqual(['retry', 2, 1]);

    state = await pollAgain(h, state, job(JOB, 'SUCCEEDED'));
    expect(state.state).toBe('success');
    expect(state.status).toBe('SUCCEEDED');
    expect(state.stages.map((s) => s.attempts)).toEqual([1, 4, 2]);
    expect(state.deadline).toBe(deadline);
    expect(state.startedAt).toBe(iso(T0));
    expect(state.waitedSeconds).toBe(Math.round((h.clockMs - T0) / 1000));

    // Seven polls, seven DescribeJobs calls, each for the one requested id; never a ListJobs.
    expect(h.describeCalls()).toEqual(Array.from({ length: 7 }, () => [JOB]));
    expect(h.batchMock.commandCalls(ListJobsCommand)).toHaveLength(0);
  });

  it('a job not visible yet keeps JobExists waiting, counting attempts, then moves on once it appears', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput());
    let state = await h.first({ jobId: JOB });
    expect(state.state).toBe('retry');
    expect(state.stageIndex).toBe(0);
    expect(state.attempt).toBe(1);
    expect(state.seenJobIds).toEqual([]);
    // JobExists' delay: max(1, 2 - 2) .. 2 + 2.
    expect(state.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(state.delaySeconds).toBeLessThanOrEqual(4);

    state = await pollAgain(h, state);
    expect([state.stageIndex, state.attempt, state.stages[0]?.attempts]).toEqual([0, 2, 2]);

    state = await pollAgain(h, state, job(JOB, 'RUNNABLE'));
    expect(state.stageIndex).toBe(1);
    expect(state.seenJobIds).toEqual([JOB]);
    expect(state.stages[0]?.attempts).toBe(3);
    expect(h.describeCalls()).toHaveLength(3);
  });

  it('ignores jobs DescribeJobs returns that were not requested', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB2, 'SUCCEEDED')));
    const state = await h.first({ jobId: JOB });
    expect(state.state).toBe('retry');
    expect(state.stageIndex).toBe(0);
    expect(state.seenJobIds).toEqual([]);
  });
});

describe('several jobs in mixed states', () => {
  async function firstPoll(...jobs: ReturnType<typeof job>[]) {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(...jobs));
    const state = await h.first({ jobIds: jobs.map((j) => j.jobId) });
    return { h, state };
  }

  it('asks for every requested id in a single DescribeJobs call, duplicates removed', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNABLE'), job(JOB2, 'RUNNABLE')));
    const state = await h.first({ jobIds: [JOB, JOB2, JOB] });
    expect(state.jobIds).toEqual([JOB, JOB2]);
    expect(h.describeCalls()).toEqual([[JOB, JOB2]]);
  });

  it('RUNNABLE + RUNNING: still JobRunning', async () => {
    const { state } = await firstPoll(job(JOB, 'RUNNABLE'), job(JOB2, 'RUNNING'));
    expect([state.state, state.stageIndex]).toEqual(['retry', 1]);
  });

  it('RUNNING + SUCCEEDED: JobComplete', async () => {
    const { state } = await firstPoll(job(JOB, 'RUNNING'), job(JOB2, 'SUCCEEDED'));
    expect([state.state, state.stageIndex]).toEqual(['retry', 2]);
  });

  it('SUCCEEDED + SUCCEEDED + SUCCEEDED: success', async () => {
    const { state } = await firstPoll(job(JOB, 'SUCCEEDED'), job(JOB2, 'SUCCEEDED'), job(JOB3, 'SUCCEEDED'));
    expect(state.state).toBe('success');
    expect(state.jobs.map((j) => j.jobId)).toEqual([JOB, JOB2, JOB3]);
  });

  it('RUNNING + FAILED + SUCCEEDED: failure naming the failed job, the cause listing every job', async () => {
    const { state } = await firstPoll(
      job(JOB, 'RUNNING'),
      job(JOB2, 'FAILED', { statusReason: 'boom', container: { exitCode: 3 } }),
      job(JOB3, 'SUCCEEDED', { container: { exitCode: 0 } }),
    );
    expect(state.state).toBe('failure');
    expect(state.error).toBe('StepWait.JobFailed');
    const cause = parseCause(state.cause);
    expect(cause.reason).toContain(`job ${JOB2} failed`);
    expect(cause.reason).not.toContain(JOB3);
    expect(cause.jobs?.[JOB2]).toMatchObject({ status: 'FAILED', statusReason: 'boom', exitCode: 3 });
    expect(cause.jobs?.[JOB]).toMatchObject({ status: 'RUNNING' });
    expect(cause.jobs?.[JOB3]).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
  });

  it('one job visible, one not yet: JobExists keeps waiting; both visible later: it moves on', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobIds: [JOB, JOB2] });
    expect([state.state, state.stageIndex, state.attempt]).toEqual(['retry', 0, 1]);
    expect(state.seenJobIds).toEqual([JOB]);

    state = await pollAgain(h, state, job(JOB, 'RUNNING'), job(JOB2, 'RUNNING'));
    expect(state.stageIndex).toBe(2);
    expect(state.seenJobIds).toEqual([JOB, JOB2]);
    expect(h.describeCalls()).toEqual([
      [JOB, JOB2],
      [JOB, JOB2],
    ]);
  });
});

describe('delays and the deadline', () => {
  it('uses the whole jitter range of the current stage, driven by the injected random', async () => {
    const cases: [number, 'RUNNABLE' | 'RUNNING', number][] = [
      [0, 'RUNNABLE', 3],
      [0.999_999, 'RUNNABLE', 7],
      [0, 'RUNNING', 298],
      [0.999_999, 'RUNNING', 302],
    ];
    for (const [r, status, expected] of cases) {
      const h = createHarness();
      h.random = () => r;
      h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, status)));
      expect((await h.first({ jobId: JOB })).delaySeconds).toBe(expected);
    }
  });

  it('property: every delay is a whole number in the stage range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.constantFrom('RUNNABLE', 'RUNNING'),
        async (r, status) => {
          const h = createHarness();
          h.random = () => r;
          h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, status)));
          const { delaySeconds } = await h.first({ jobId: JOB });
          const [low, high] = status === 'RUNNABLE' ? [3, 7] : [298, 302];
          expect(Number.isInteger(delaySeconds)).toBe(true);
          expect(delaySeconds).toBeGreaterThanOrEqual(low);
          expect(delaySeconds).toBeLessThanOrEqual(high);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stamps the deadline from the first clock reading, even if the clock moves during the call', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).callsFake(() => {
      h.advance(3);
      return describeOutput(job(JOB, 'RUNNABLE'));
    });
    const state = await h.first({ jobId: JOB, timeoutSeconds: 3600 });
    expect(state.startedAt).toBe(iso(T0));
    expect(state.deadline).toBe(iso(T0 + 3_600_000));
    expect(state.waitedSeconds).toBe(3);
    expect(state.stages[0]?.finishedAt).toBe(iso(T0 + 3000));
  });

  it('defaults the deadline to the config timeoutSeconds and never moves it', async () => {
    const h = createHarness({ timeoutSeconds: 7200 });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    expect(state.deadline).toBe(iso(T0 + 7_200_000));
    for (let i = 0; i < 5; i++) {
      state = await pollAgain(h, state, job(JOB, 'RUNNING'));
      expect(state.deadline).toBe(iso(T0 + 7_200_000));
    }
    expect(state.waitedSeconds).toBe(Math.round((h.clockMs - T0) / 1000));
  });

  it('clamps the delay so the last Wait ends at the deadline, then times out', async () => {
    const h = createHarness();
    h.random = () => 0.999_999; // would be 302 s unclamped
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB, timeoutSeconds: 100 });
    expect(state.deadline).toBe(iso(T0 + 100_000));
    expect(state.state).toBe('retry');
    expect(state.delaySeconds).toBe(100);

    // Part-way, with a fractional second left over: rounded up, so the Wait ends at (not before) the deadline.
    h.advance(60.5);
    state = await h.next(state);
    expect(state.state).toBe('retry');
    expect(state.delaySeconds).toBe(40);
    expect(h.clockMs + state.delaySeconds * 1000).toBeGreaterThanOrEqual(T0 + 100_000);

    h.advance(state.delaySeconds);
    state = await h.next(state);
    expect(state.state).toBe('timeout');
    expect(state.status).toBe('TIMED_OUT');
    expect(state.timedOut).toBe(true);
    expect(state.error).toBe('StepWait.Timeout');
    expect(state.delaySeconds).toBe(0);
    expect(state.deadline).toBe(iso(T0 + 100_000));
    expect(state.stages[2]).toMatchObject({ waiter: 'JobComplete', finishedAt: iso(h.clockMs) });
    const cause = parseCause(state.cause);
    expect(cause.reason).toContain('JobComplete');
    expect(cause.jobs?.[JOB]).toMatchObject({ status: 'RUNNING' });
    // A timeout is also a metric (Embedded Metric Format line), since Step Functions counts a Fail as failed.
    expect(h.logs).toContainEqual(expect.objectContaining({ Waiter: 'test', WaitsTimedOut: 1 }));
    expect(h.describeCalls()).toHaveLength(3);
  });

  it('property: a retry never waits past the deadline and always waits at least 1 s', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (timeoutSeconds, elapsedMs, r) => {
          const h = createHarness();
          h.random = () => r;
          h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
          const first = await h.first({ jobId: JOB, timeoutSeconds });
          h.clockMs = T0 + elapsedMs;
          const state = await h.next(first);
          const leftMs = T0 + timeoutSeconds * 1000 - h.clockMs;
          if (leftMs <= 0) {
            expect(state.state).toBe('timeout');
          } else {
            expect(state.state).toBe('retry');
            expect(state.delaySeconds).toBeGreaterThanOrEqual(1);
            expect(state.delaySeconds).toBeLessThanOrEqual(Math.ceil(leftMs / 1000));
            expect(state.delaySeconds).toBeLessThanOrEqual(302);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a job that finishes after the deadline still succeeds: only a retry becomes a timeout', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first({ jobId: JOB, timeoutSeconds: 100 });
    h.advance(500);
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'SUCCEEDED')));
    const done = await h.next(state);
    expect(done.state).toBe('success');
    expect(done.timedOut).toBe(false);
  });

  it('per-execution timeoutSeconds sets the deadline; failOnTimeout is carried, the request overriding the config', async () => {
    const h = createHarness({ failOnTimeout: true });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const lenient = await h.first({ jobId: JOB, timeoutSeconds: 50, failOnTimeout: false });
    expect(lenient.failOnTimeout).toBe(false);
    expect(lenient.deadline).toBe(iso(T0 + 50_000));
    expect(lenient.delaySeconds).toBe(50);
    h.advance(50);
    const timedOut = await h.next(lenient);
    expect(timedOut.state).toBe('timeout');
    expect(timedOut.failOnTimeout).toBe(false);

    expect((await h.first({ jobId: JOB })).failOnTimeout).toBe(true);

    const h2 = createHarness({ failOnTimeout: false });
    h2.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    expect((await h2.first({ jobId: JOB })).failOnTimeout).toBe(false);
    expect((await h2.first({ jobId: JOB, failOnTimeout: true })).failOnTimeout).toBe(true);
  });
});

describe('jobs that cannot be found', () => {
  it('a job never visible until the deadline is JobNotFound, not a timeout', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput());
    let state = await h.first({ jobId: JOB, timeoutSeconds: 10 });
    let polls = 1;
    while (state.state === 'retry' && polls < 50) {
      expect(state.stageIndex).toBe(0);
      state = await pollAgain(h, state);
      polls++;
    }
    expect(state.state).toBe('failure');
    expect(state.status).toBe('FAILED');
    expect(state.error).toBe('StepWait.JobNotFound');
    expect(state.timedOut).toBe(false);
    expect(h.clockMs).toBe(T0 + 10_000);
    expect(parseCause(state.cause).reason).toContain(JOB);
    expect(parseCause(state.cause).reason).toContain('never appeared');
    expect(h.describeCalls()).toHaveLength(polls);
  });

  it('with several jobs, the deadline names the one never seen', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first({ jobIds: [JOB, JOB2], timeoutSeconds: 5 });
    h.advance(5);
    const done = await h.next(state);
    expect(done.error).toBe('StepWait.JobNotFound');
    const { reason } = parseCause(done.cause);
    expect(reason).toContain(JOB2);
    expect(reason).not.toContain(JOB);
  });

  it('a job seen once and then missing is JobNotFound at once, long before the deadline', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNABLE')));
    const state = await h.first({ jobId: JOB });
    const gone = await pollAgain(h, state);
    expect(gone.state).toBe('failure');
    expect(gone.error).toBe('StepWait.JobNotFound');
    expect(gone.delaySeconds).toBe(0);
    expect(gone.stages[1]).toMatchObject({ waiter: 'JobRunning', attempts: 1, finishedAt: iso(h.clockMs) });
    const { reason } = parseCause(gone.cause);
    expect(reason).toContain(JOB);
    expect(reason).toContain('earlier poll');
  });

  it('one of two jobs vanishing ends the wait too', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING'), job(JOB2, 'RUNNING')));
    const state = await h.first({ jobIds: [JOB, JOB2] });
    const gone = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(gone.error).toBe('StepWait.JobNotFound');
    expect(parseCause(gone.cause).reason).toContain(JOB2);
  });
});

describe('errors from DescribeJobs', () => {
  const tooManyRequests = () => serviceError('TooManyRequestsException', 429, 'Too Many Requests');

  it('a throttle is a retry with backoff: no attempt spent, throttledCalls counted', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).rejects(tooManyRequests());
    const state = await h.first({ jobId: JOB });
    expect(state.state).toBe('retry');
    expect(state.status).toBe('RUNNING');
    expect(state.stageIndex).toBe(0);
    expect(state.attempt).toBe(0);
    expect(state.stages[0]?.attempts).toBe(0);
    expect(state.throttledCalls).toBe(1);
    expect(state.transientErrors).toBe(0);
    expect(state.consecutiveTransientErrors).toBe(1);
    expect(state.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(state.error).toBeUndefined();
    expect(h.describeCalls()).toEqual([[JOB]]);
  });

  it('throttles back off exponentially up to 64 s, then a normal answer resets the streak', async () => {
    const h = createHarness();
    h.random = () => 0.999_999;
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    expect([state.stageIndex, state.attempt]).toEqual([2, 0]);

    h.batchMock.on(DescribeJobsCommand).rejects(serviceError('ThrottlingException', 400, 'Rate exceeded'));
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      h.advance(state.delaySeconds);
      state = await h.next(state);
      delays.push(state.delaySeconds);
      expect(state.attempt).toBe(0);
      expect(state.stageIndex).toBe(2);
    }
    expect(delays).toEqual([2, 4, 8, 16, 32, 64, 64, 64]);
    expect(state.throttledCalls).toBe(8);
    expect(state.consecutiveTransientErrors).toBe(8);

    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.attempt).toBe(1);
    expect(state.consecutiveTransientErrors).toBe(0);
    expect(state.throttledCalls).toBe(8);
    expect(state.delaySeconds).toBeGreaterThanOrEqual(298);
    expect(h.describeCalls()).toHaveLength(10);
  });

  it('a real ServerException (5xx) is a transient retry, counted as such', async () => {
    const h = createHarness();
    h.batchMock
      .on(DescribeJobsCommand)
      .rejects(new ServerException({ message: 'Internal', $metadata: { httpStatusCode: 500 } }));
    const state = await h.first({ jobId: JOB });
    expect(state.state).toBe('retry');
    expect(state.attempt).toBe(0);
    expect(state.transientErrors).toBe(1);
    expect(state.throttledCalls).toBe(0);
    expect(state.delaySeconds).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['503 Service Unavailable', serviceError('ServiceUnavailableException', 503)],
    ['a network reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a request timeout', serviceError('TimeoutError', 0)],
  ])('%s is transient too', async (_label, error) => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).rejects(error);
    const state = await h.first({ jobId: JOB });
    expect(state.state).toBe('retry');
    expect(state.transientErrors).toBe(1);
    expect(state.attempt).toBe(0);
  });

  it('throttles past the deadline end the wait like any retry', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first({ jobId: JOB, timeoutSeconds: 30 });
    h.advance(30);
    h.batchMock.on(DescribeJobsCommand).rejects(tooManyRequests());
    const done = await h.next(state);
    expect(done.state).toBe('timeout');
    expect(done.error).toBe('StepWait.Timeout');
    expect(done.throttledCalls).toBe(1);
  });

  it.each([
    [
      'ClientException',
      () => new ClientException({ message: 'Job queue not found', $metadata: { httpStatusCode: 400 } }),
    ],
    [
      'AccessDeniedException',
      () => serviceError('AccessDeniedException', 403, 'not authorized to perform batch:DescribeJobs'),
    ],
  ])('%s fails the wait with PollFailed', async (name, error) => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).rejects(error());
    const state = await h.first({ jobId: JOB });
    expect(state.state).toBe('failure');
    expect(state.status).toBe('FAILED');
    expect(state.error).toBe('StepWait.PollFailed');
    expect(state.delaySeconds).toBe(0);
    expect(state.throttledCalls).toBe(0);
    expect(state.transientErrors).toBe(0);
    const { reason } = parseCause(state.cause);
    expect(reason).toContain(name);
    expect(reason).toContain(error().message);
    expect(h.describeCalls()).toHaveLength(1);
  });

  it('a PollFailed in a later stage keeps the last known job summaries in its cause', async () => {
    const h = createHarness();
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job(JOB, 'RUNNING', { container: { logStreamName: 'log/1' } })));
    const state = await h.first({ jobId: JOB });
    h.batchMock.on(DescribeJobsCommand).rejects(serviceError('AccessDeniedException', 403));
    h.advance(state.delaySeconds);
    const failed = await h.next(state);
    expect(failed.error).toBe('StepWait.PollFailed');
    expect(parseCause(failed.cause).reason).toContain('JobComplete');
    expect(parseCause(failed.cause).jobs?.[JOB]).toMatchObject({ status: 'RUNNING', logStreamName: 'log/1' });
  });
});

describe('statuses Batch did not document', () => {
  it('an unknown status fails closed with UnknownStatus naming it', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'PAUSED')));
    const state = await h.first({ jobId: JOB });
    expect(state.state).toBe('failure');
    expect(state.status).toBe('FAILED');
    expect(state.error).toBe('StepWait.UnknownStatus');
    const { reason } = parseCause(state.cause);
    expect(reason).toContain('"PAUSED"');
    expect(reason).toContain(JOB);
  });

  it('an unknown status among known ones still fails, in a later poll too', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING'), job(JOB2, 'RUNNING')));
    const state = await h.first({ jobIds: [JOB, JOB2] });
    const done = await pollAgain(h, state, job(JOB, 'SUCCEEDED'), job(JOB2, 'SUSPENDED'));
    expect(done.error).toBe('StepWait.UnknownStatus');
    expect(parseCause(done.cause).reason).toContain('SUSPENDED');
    expect(parseCause(done.cause).reason).toContain(JOB2);
  });
});

describe('maxAttempts', () => {
  it('without a limit, the deadline alone bounds the wait: 60 polls keep retrying', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    for (let i = 1; i <= 60; i++) {
      state = await h.next(state); // the clock stands still: the deadline is far away
      expect(state.state).toBe('retry');
      expect(state.attempt).toBe(i);
    }
    expect(state.error).toBeUndefined();
  });

  it('config.maxAttempts ends a stage after that many polls in it', async () => {
    const h = createHarness({ maxAttempts: { JobComplete: 2 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    expect([state.state, state.stageIndex, state.attempt]).toEqual(['retry', 2, 0]);
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect([state.state, state.attempt]).toEqual(['retry', 1]);
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.state).toBe('failure');
    expect(state.status).toBe('FAILED');
    expect(state.error).toBe('StepWait.MaxAttemptsExceeded');
    expect(state.stages[2]).toMatchObject({ waiter: 'JobComplete', attempts: 2, finishedAt: iso(h.clockMs) });
    const { reason } = parseCause(state.cause);
    expect(reason).toContain('JobComplete');
    expect(reason).toContain('maxAttempts 2');
  });

  it('a limit on another stage does not apply to the current one', async () => {
    const h = createHarness({ maxAttempts: { JobRunning: 1 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    for (let i = 0; i < 5; i++) state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.state).toBe('retry');
    expect(state.attempt).toBe(5);
  });

  it('the decision on the attempt that reaches the limit still wins over the limit', async () => {
    const h = createHarness({ maxAttempts: { JobComplete: 1 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first({ jobId: JOB });
    const done = await pollAgain(h, state, job(JOB, 'SUCCEEDED'));
    expect(done.state).toBe('success');
  });

  it('a per-execution override sets the limit, and travels with the state', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB, overrides: { JobComplete: { maxAttempts: 2 } } });
    expect(state.overrides).toEqual({ JobComplete: { maxAttempts: 2 } });
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.state).toBe('retry');
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.error).toBe('StepWait.MaxAttemptsExceeded');
  });

  it('a per-execution override replaces the config limit', async () => {
    const h = createHarness({ maxAttempts: { JobComplete: 1 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB, overrides: { JobComplete: { maxAttempts: 3 } } });
    for (let i = 0; i < 2; i++) state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.state).toBe('retry');
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.error).toBe('StepWait.MaxAttemptsExceeded');
  });

  it('a limit on JobExists ends the wait for a job id that never becomes visible', async () => {
    const h = createHarness({ maxAttempts: { JobExists: 3 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput());
    let state = await h.first({ jobId: JOB });
    state = await pollAgain(h, state);
    expect(state.state).toBe('retry');
    state = await pollAgain(h, state);
    expect(state.error).toBe('StepWait.MaxAttemptsExceeded');
    expect(state.stages[0]?.attempts).toBe(3);
  });

  it('throttles never count towards the limit', async () => {
    const h = createHarness({ maxAttempts: { JobComplete: 1 } });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    h.batchMock.on(DescribeJobsCommand).rejects(serviceError('TooManyRequestsException', 429));
    for (let i = 0; i < 5; i++) {
      h.advance(state.delaySeconds);
      state = await h.next(state);
      expect(state.state).toBe('retry');
    }
    expect(state.throttledCalls).toBe(5);
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.error).toBe('StepWait.MaxAttemptsExceeded');
  });
});

describe('per-execution delay overrides', () => {
  it('a fixed delay without jitter replaces the stage delay, on this poll and the later ones', async () => {
    const h = createHarness();
    h.random = () => 0.999_999;
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({
      jobId: JOB,
      overrides: { JobComplete: { delay: { kind: 'fixed', delay: 60 } } },
    });
    expect(state.delaySeconds).toBe(60);
    state = await pollAgain(h, state, job(JOB, 'RUNNING'));
    expect(state.delaySeconds).toBe(60);
  });

  it('an override for one stage leaves the others at the config delay', async () => {
    const h = createHarness();
    h.random = () => 0;
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNABLE')));
    const state = await h.first({
      jobId: JOB,
      overrides: { JobComplete: { delay: { kind: 'fixed', delay: 60 } } },
    });
    expect(state.stageIndex).toBe(1);
    expect(state.delaySeconds).toBe(3);
  });

  it('an exponential override grows with the attempts in the stage', async () => {
    const h = createHarness();
    h.random = () => 0.999_999;
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNABLE')));
    let state = await h.first({
      jobId: JOB,
      overrides: { JobRunning: { delay: { kind: 'exponential', minDelay: 10, maxDelay: 80 } } },
    });
    const delays = [state.delaySeconds];
    for (let i = 0; i < 5; i++) {
      state = await pollAgain(h, state, job(JOB, 'RUNNABLE'));
      delays.push(state.delaySeconds);
    }
    // attempt 0 is treated as 1 (the cascaded evaluation), then 1, 2, 3, 4, 5.
    expect(delays).toEqual([10, 10, 20, 40, 80, 80]);
  });
});

describe('logging', () => {
  it('logs one structured line per poll with ids and statuses (and metrics apart), never job parameters', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(
      describeOutput(
        job(JOB, 'FAILED', {
          statusReason: 'exit 1',
          parameters: { password: 'hunter2-secret' },
          container: { exitCode: 1, environment: [{ name: 'TOKEN', value: 'env-secret-value' }] },
        }),
      ),
    );
    const state = await h.first({ jobId: JOB });
    // The wait ended, so an Embedded Metric Format line follows (test/lambdas/wait-metrics.test.ts).
    const structured = h.logs.filter((line) => !('_aws' in line));
    expect(structured).toHaveLength(1);
    expect(h.logs).toHaveLength(2);
    expect(structured[0]).toMatchObject({
      waiter: 'test',
      stage: 'JobComplete',
      state: 'failure',
      error: 'StepWait.JobFailed',
      observation: 'described',
      jobs: [{ jobId: JOB, status: 'FAILED', statusReason: 'exit 1' }],
    });
    const everything = JSON.stringify([h.logs, state]);
    expect(everything).not.toContain('hunter2-secret');
    expect(everything).not.toContain('env-secret-value');
  });
});
