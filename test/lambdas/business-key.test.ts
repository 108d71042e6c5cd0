import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import {
  createHarness,
  describeOutput,
  iso,
  job,
  listed,
  parseCause,
  QUEUE,
  serviceError,
  T0,
} from './fixtures';

const NAME = 'nightly-2026';
const ID = 'b0000000-0000-4000-8000-00000000000a';
const OTHER = 'b0000000-0000-4000-8000-00000000000b';
const THIRD = 'b0000000-0000-4000-8000-00000000000c';

/** ListJobs answers by nextToken, like Batch: page 1 has no token in, the others carry the one given out. */
function pages(...contents: ReturnType<typeof listed>[][]) {
  return (input: { nextToken?: string }) => {
    const index = input.nextToken === undefined ? 0 : Number(input.nextToken.replace('page-', ''));
    const jobSummaryList = contents[index] ?? [];
    return {
      $metadata: { httpStatusCode: 200 },
      jobSummaryList,
      ...(index + 1 < contents.length ? { nextToken: `page-${index + 1}` } : {}),
    };
  };
}

describe('waiting for a job by business key (jobName + jobQueue)', () => {
  it('reads every page and keeps only the exact, case-sensitive match', async () => {
    const h = createHarness();
    h.batchMock
      .on(ListJobsCommand)
      .callsFake(
        pages(
          [listed('x-1', 'Nightly-2026'), listed('x-2', 'NIGHTLY-2026')],
          [listed('x-3', 'nightly-2026-extra')],
          [listed(ID, NAME), listed('x-4', 'nightly-20260')],
        ),
      );
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNABLE', { jobName: NAME })));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE });

    expect(state.jobIds).toEqual([ID]);
    expect(state.seenJobIds).toEqual([ID]);
    expect(state.stageIndex).toBe(1);
    expect(state.target).toEqual({ jobName: NAME, jobQueue: QUEUE, newest: false });
    expect(h.describeCalls()).toEqual([[ID]]);

    const calls = h.listCalls();
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => c.nextToken)).toEqual([undefined, 'page-1', 'page-2']);
    for (const call of calls) {
      expect(call.jobQueue).toBe(QUEUE);
      expect(call.filters).toEqual([{ name: 'JOB_NAME', values: [NAME] }]);
    }
  });

  it('resolves the name once: later polls describe the carried id and never list again', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([listed(ID, NAME)]));
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING', { jobName: NAME })));
    let state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    expect(state.jobIds).toEqual([ID]);

    for (let i = 0; i < 3; i++) {
      h.advance(state.delaySeconds);
      state = await h.next(state);
    }
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'SUCCEEDED', { jobName: NAME })));
    h.advance(state.delaySeconds);
    state = await h.next(state);

    expect(state.state).toBe('success');
    expect(h.listCalls()).toHaveLength(1);
    expect(h.describeCalls()).toEqual(Array.from({ length: 5 }, () => [ID]));
  });

  it('near-matches only: not visible yet, a counted JobExists attempt, and no DescribeJobs call', async () => {
    const h = createHarness();
    h.batchMock
      .on(ListJobsCommand)
      .callsFake(pages([listed('x-1', 'Nightly-2026')], [listed('x-3', 'nightly-2026-extra')]));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE });

    expect(state.state).toBe('retry');
    expect(state.status).toBe('RUNNING');
    expect(state.stageIndex).toBe(0);
    expect(state.attempt).toBe(1);
    expect(state.stages[0]?.attempts).toBe(1);
    expect(state.jobIds).toEqual([]);
    expect(state.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(state.delaySeconds).toBeLessThanOrEqual(4);
    expect(h.describeCalls()).toHaveLength(0);
    expect(h.listCalls()).toHaveLength(2);
  });

  it('a job submitted later is found by a later poll, which lists again', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([]));
    let state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    h.advance(state.delaySeconds);
    state = await h.next(state);
    expect([state.stageIndex, state.attempt, state.jobIds]).toEqual([0, 2, []]);

    h.batchMock.on(ListJobsCommand).callsFake(pages([listed(ID, NAME)]));
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'SUBMITTED', { jobName: NAME })));
    h.advance(state.delaySeconds);
    state = await h.next(state);
    expect(state.jobIds).toEqual([ID]);
    expect(state.stageIndex).toBe(1);
    expect(state.stages[0]).toMatchObject({ waiter: 'JobExists', attempts: 3, finishedAt: iso(h.clockMs) });
    expect(h.listCalls()).toHaveLength(3);
    expect(h.describeCalls()).toEqual([[ID]]);
  });

  it('a name never found before the deadline is JobNotFound for the business key', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([listed('x-1', 'NIGHTLY-2026')]));
    let state = await h.first({ jobName: NAME, jobQueue: QUEUE, timeoutSeconds: 12 });
    let polls = 1;
    while (state.state === 'retry' && polls < 50) {
      h.advance(state.delaySeconds);
      state = await h.next(state);
      polls++;
    }
    expect(state.state).toBe('failure');
    expect(state.error).toBe('StepWait.JobNotFound');
    expect(state.timedOut).toBe(false);
    expect(h.clockMs).toBe(T0 + 12_000);
    expect(parseCause(state.cause).reason).toContain('business key');
    expect(h.listCalls()).toHaveLength(polls);
    expect(h.describeCalls()).toHaveLength(0);
  });

  it('two exact matches are ambiguous: failure listing both ids', async () => {
    const h = createHarness();
    h.batchMock
      .on(ListJobsCommand)
      .callsFake(
        pages([listed(ID, NAME, T0 - 5000), listed('x-1', 'Nightly-2026')], [listed(OTHER, NAME, T0 - 1000)]),
      );
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE });

    expect(state.state).toBe('failure');
    expect(state.status).toBe('FAILED');
    expect(state.error).toBe('StepWait.AmbiguousBusinessKey');
    expect(state.delaySeconds).toBe(0);
    const { reason } = parseCause(state.cause);
    expect(reason).toContain(ID);
    expect(reason).toContain(OTHER);
    expect(reason).toContain(NAME);
    expect(reason).not.toContain('x-1');
    expect(state.stages[0]).toMatchObject({ waiter: 'JobExists', attempts: 1, finishedAt: iso(T0) });
    expect(h.describeCalls()).toHaveLength(0);
  });

  it('newest: true picks the exact match created last, wherever it is in the pages', async () => {
    const h = createHarness();
    h.batchMock
      .on(ListJobsCommand)
      .callsFake(
        pages(
          [listed(ID, NAME, T0 - 5000), listed('x-1', 'Nightly-2026', T0)],
          [listed(OTHER, NAME, T0 - 1000), listed(THIRD, NAME, T0 - 3000)],
        ),
      );
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(OTHER, 'RUNNING', { jobName: NAME })));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE, newest: true });

    expect(state.jobIds).toEqual([OTHER]);
    expect(state.target).toEqual({ jobName: NAME, jobQueue: QUEUE, newest: true });
    expect(state.stageIndex).toBe(2);
    expect(h.describeCalls()).toEqual([[OTHER]]);
  });

  it('newest: true with a single match just takes it', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([listed(ID, NAME)]));
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'SUCCEEDED', { jobName: NAME })));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE, newest: true });
    expect(state.state).toBe('success');
    expect(state.jobIds).toEqual([ID]);
  });

  it('accepts a job queue ARN and passes it to ListJobs unchanged', async () => {
    const arn = 'arn:aws:batch:eu-west-1:123456789012:job-queue/nightly_queue-2';
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([]));
    const state = await h.first({ jobName: NAME, jobQueue: arn });
    expect(state.state).toBe('retry');
    expect(h.listCalls()[0]?.jobQueue).toBe(arn);
  });

  it('a throttled ListJobs is a retry with backoff that spends no attempt', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).rejects(serviceError('TooManyRequestsException', 429));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    expect(state.state).toBe('retry');
    expect(state.attempt).toBe(0);
    expect(state.throttledCalls).toBe(1);
    expect(state.jobIds).toEqual([]);
    expect(state.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(h.describeCalls()).toHaveLength(0);
  });

  it('a throttle on a later page drops the partial result; the next poll lists from the start', async () => {
    const h = createHarness();
    h.batchMock
      .on(ListJobsCommand)
      .resolvesOnce({
        $metadata: { httpStatusCode: 200 },
        jobSummaryList: [listed(ID, NAME)],
        nextToken: 'p2',
      })
      .rejectsOnce(serviceError('TooManyRequestsException', 429));
    let state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    expect(state.throttledCalls).toBe(1);
    expect(state.jobIds).toEqual([]);

    h.batchMock.on(ListJobsCommand).callsFake(pages([listed(ID, NAME)], [listed(OTHER, 'other')]));
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNABLE', { jobName: NAME })));
    h.advance(state.delaySeconds);
    state = await h.next(state);
    expect(state.jobIds).toEqual([ID]);
    expect(h.listCalls().map((c) => c.nextToken)).toEqual([undefined, 'p2', undefined, 'page-1']);
  });

  it('a resolved id survives a throttled DescribeJobs in the same poll', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([listed(ID, NAME)]));
    h.batchMock.on(DescribeJobsCommand).rejects(serviceError('TooManyRequestsException', 429));
    let state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    expect(state.jobIds).toEqual([ID]);
    expect(state.throttledCalls).toBe(1);

    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING', { jobName: NAME })));
    h.advance(state.delaySeconds);
    state = await h.next(state);
    expect(state.stageIndex).toBe(2);
    expect(h.listCalls()).toHaveLength(1);
  });

  it('a job found by name and later gone from DescribeJobs is JobNotFound', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).callsFake(pages([listed(ID, NAME)]));
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING', { jobName: NAME })));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput());
    h.advance(state.delaySeconds);
    const gone = await h.next(state);
    expect(gone.error).toBe('StepWait.JobNotFound');
    expect(parseCause(gone.cause).reason).toContain(ID);
  });

  it('a ListJobs refused for good (ClientException) fails with PollFailed', async () => {
    const h = createHarness();
    h.batchMock.on(ListJobsCommand).rejects(serviceError('ClientException', 400, 'job queue does not exist'));
    const state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    expect(state.state).toBe('failure');
    expect(state.error).toBe('StepWait.PollFailed');
    expect(parseCause(state.cause).reason).toContain('job queue does not exist');
    expect(h.describeCalls()).toHaveLength(0);
  });

  it('a JobExists limit also ends a business-key wait whose job never becomes visible', async () => {
    const h = createHarness({ maxAttempts: { JobExists: 3 } });
    h.batchMock.on(ListJobsCommand).resolves({ $metadata: { httpStatusCode: 200 }, jobSummaryList: [] });
    let state = await h.first({ jobName: NAME, jobQueue: QUEUE });
    for (let i = 0; i < 2; i++) {
      h.advance(state.delaySeconds);
      state = await h.next(state);
    }
    expect(state.attempt).toBe(3);
    expect(state.state).toBe('failure');
    expect(state.error).toBe('StepWait.MaxAttemptsExceeded');
  });
});
