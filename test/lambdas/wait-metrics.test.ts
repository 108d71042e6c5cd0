import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { pollsOf } from '../../lambdas/wait-metrics';
import { createHarness, describeOutput, job, serviceError } from './fixtures';

const JOB = 'a1b2c3d4-0000-4000-8000-000000000001';
const JOB2 = 'a1b2c3d4-0000-4000-8000-000000000002';

/** The Embedded Metric Format lines the poller logged (CloudWatch turns each into metrics). */
function metricLines(logs: Record<string, unknown>[]): Record<string, unknown>[] {
  return logs.filter((line) => '_aws' in line);
}

/** One EMF line as CloudWatch expects it: namespace StepWait, dimension Waiter, each metric with its unit. */
function emf(nowMs: number, metrics: [string, 'Count' | 'Seconds', number][]): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: 'StepWait',
          Dimensions: [['Waiter']],
          Metrics: metrics.map(([name, unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    Waiter: 'test',
    ...Object.fromEntries(metrics.map(([name, , value]) => [name, value])),
  };
}

describe('poller metrics (Embedded Metric Format)', () => {
  it('a success: how long after the job stopped the wait noticed, and the polls it took', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    // Polls that settle nothing count nothing.
    expect(metricLines(h.logs)).toEqual([]);
    h.advance(300);
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job(JOB, 'SUCCEEDED', { stoppedAt: h.clockMs - 42_500 })));
    state = await h.next(state);
    expect(state.state).toBe('success');
    expect(metricLines(h.logs)).toEqual([
      emf(h.clockMs, [
        ['DetectionLatency', 'Seconds', 42.5],
        ['PollsPerWait', 'Count', 2],
      ]),
    ]);
  });

  it('a success of several jobs: from the moment the last one stopped', async () => {
    const h = createHarness();
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(
        describeOutput(
          job(JOB, 'SUCCEEDED', { stoppedAt: h.clockMs - 600_000 }),
          job(JOB2, 'SUCCEEDED', { stoppedAt: h.clockMs - 10_000 }),
        ),
      );
    await h.first({ jobIds: [JOB, JOB2] });
    expect(metricLines(h.logs)).toEqual([
      emf(h.clockMs, [
        ['DetectionLatency', 'Seconds', 10],
        ['PollsPerWait', 'Count', 1],
      ]),
    ]);
  });

  it('a failed job: from the moment the first failed job stopped', async () => {
    const h = createHarness();
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(
        describeOutput(
          job(JOB, 'FAILED', { stoppedAt: h.clockMs - 90_000 }),
          job(JOB2, 'FAILED', { stoppedAt: h.clockMs - 30_000 }),
        ),
      );
    const state = await h.first({ jobIds: [JOB, JOB2] });
    expect(state.error).toBe('StepWait.JobFailed');
    expect(metricLines(h.logs)).toEqual([
      emf(h.clockMs, [
        ['DetectionLatency', 'Seconds', 90],
        ['PollsPerWait', 'Count', 1],
      ]),
    ]);
  });

  it('no latency without a stoppedAt, and never a negative one when the clocks differ', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'SUCCEEDED')));
    await h.first({ jobId: JOB });
    const other = createHarness();
    other.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job(JOB, 'SUCCEEDED', { stoppedAt: other.clockMs + 1_500 })));
    await other.first({ jobId: JOB });
    expect(metricLines(h.logs)).toEqual([emf(h.clockMs, [['PollsPerWait', 'Count', 1]])]);
    expect(metricLines(other.logs)).toEqual([
      emf(other.clockMs, [
        ['DetectionLatency', 'Seconds', 0],
        ['PollsPerWait', 'Count', 1],
      ]),
    ]);
  });

  it('a throttled status call is counted when it happens, and its poll counts toward the wait', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).rejects(serviceError('ThrottlingException', 400, 'Rate exceeded'));
    let state = await h.first({ jobId: JOB });
    expect(state.state).toBe('retry');
    expect(metricLines(h.logs)).toEqual([emf(h.clockMs, [['StatusCallsThrottled', 'Count', 1]])]);
    h.advance(state.delaySeconds);
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job(JOB, 'SUCCEEDED', { stoppedAt: h.clockMs - 5_000 })));
    state = await h.next(state);
    expect(metricLines(h.logs).at(-1)).toEqual(
      emf(h.clockMs, [
        ['DetectionLatency', 'Seconds', 5],
        ['PollsPerWait', 'Count', 2],
      ]),
    );
  });

  it('a timeout: WaitsTimedOut and the polls, no latency (no job finished)', async () => {
    const h = createHarness({ timeoutSeconds: 10 });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    let state = await h.first({ jobId: JOB });
    while (state.state === 'retry') {
      h.advance(state.delaySeconds);
      state = await h.next(state);
    }
    expect(state.state).toBe('timeout');
    expect(metricLines(h.logs)).toEqual([
      emf(h.clockMs, [
        ['WaitsTimedOut', 'Count', 1],
        ['PollsPerWait', 'Count', pollsOf(state)],
      ]),
    ]);
    expect(pollsOf(state)).toBe(h.describeCalls().length);
  });
});

describe('pollsOf', () => {
  it('counts every poll of every stage and execution, throttled, failed and submit polls included', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first({ jobId: JOB });
    expect(
      pollsOf({
        ...state,
        stages: [
          { waiter: 'JobExists', attempts: 3, startedAt: state.startedAt },
          { waiter: 'JobRunning', attempts: 0, startedAt: state.startedAt },
          { waiter: 'JobComplete', attempts: 2_400, startedAt: state.startedAt },
        ],
        segments: 2,
        segmentPolls: 600,
        throttledCalls: 4,
        transientErrors: 2,
        submitFailures: 1,
        submitThrottles: 5,
      }),
    ).toBe(3 + 2_400 + 4 + 2 + 1 + 5);
  });
});
