import { describe, expect, it } from 'vitest';
import {
  type AcceptorState,
  BATCH_JOB_STATUSES,
  BATCH_PHASES,
  type BatchJobStatus,
  batchJobSystem,
  batchWaiterModel,
  describeJobsOutcome,
  type PollOutcome,
  summarizeJob,
} from '../../waiters';

/** Decides one stage for jobs with the given statuses (ids j0, j1, ...), all requested. */
function decideStatuses(waiter: string, statuses: readonly string[]): AcceptorState {
  const ids = statuses.map((_, index) => `j${index}`);
  const interpretation = describeJobsOutcome(ids, [], {
    output: { jobs: statuses.map((status, index) => ({ jobId: `j${index}`, status })) },
    httpStatusCode: 200,
  });
  if (interpretation.kind !== 'outcome') throw new Error(`unexpected ${interpretation.kind}`);
  return batchWaiterModel.evaluate(waiter, interpretation.outcome).state;
}

const expectedAlone: Record<string, Record<BatchJobStatus, AcceptorState>> = {
  JobExists: {
    SUBMITTED: 'success',
    PENDING: 'success',
    RUNNABLE: 'success',
    STARTING: 'success',
    RUNNING: 'success',
    SUCCEEDED: 'success',
    FAILED: 'success',
  },
  JobRunning: {
    SUBMITTED: 'retry',
    PENDING: 'retry',
    RUNNABLE: 'retry',
    STARTING: 'retry',
    RUNNING: 'success',
    SUCCEEDED: 'success',
    FAILED: 'success',
  },
  JobComplete: {
    SUBMITTED: 'retry',
    PENDING: 'retry',
    RUNNABLE: 'retry',
    STARTING: 'retry',
    RUNNING: 'retry',
    SUCCEEDED: 'success',
    FAILED: 'failure',
  },
};

describe('Batch waiters on one job, every status', () => {
  for (const [waiter, byStatus] of Object.entries(expectedAlone)) {
    for (const status of BATCH_JOB_STATUSES) {
      it(`${waiter} on ${status} -> ${byStatus[status]}`, () => {
        expect(decideStatuses(waiter, [status])).toBe(byStatus[status]);
      });
    }
  }
});

describe('Batch waiters on several jobs in mixed states', () => {
  it('JobExists succeeds once every job is visible, whatever the mix', () => {
    expect(decideStatuses('JobExists', ['RUNNABLE', 'RUNNING', 'SUCCEEDED'])).toBe('success');
  });

  it('JobRunning succeeds on RUNNING mixed with finished jobs (Airflow never matches this)', () => {
    expect(decideStatuses('JobRunning', ['RUNNING', 'SUCCEEDED'])).toBe('success');
    expect(decideStatuses('JobRunning', ['RUNNING', 'FAILED', 'SUCCEEDED'])).toBe('success');
  });

  it('JobRunning keeps waiting while any job has not started', () => {
    expect(decideStatuses('JobRunning', ['RUNNABLE', 'RUNNING'])).toBe('retry');
    expect(decideStatuses('JobRunning', ['SUCCEEDED', 'STARTING'])).toBe('retry');
  });

  it('JobComplete needs every job SUCCEEDED', () => {
    expect(decideStatuses('JobComplete', ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'])).toBe('success');
    expect(decideStatuses('JobComplete', ['SUCCEEDED', 'RUNNING'])).toBe('retry');
  });

  it('JobComplete fails on any FAILED job, even while others run', () => {
    expect(decideStatuses('JobComplete', ['RUNNING', 'FAILED'])).toBe('failure');
    expect(decideStatuses('JobComplete', ['SUCCEEDED', 'FAILED'])).toBe('failure');
  });
});

describe('jobs not visible yet and jobs that vanish', () => {
  const outcomeOf = (requested: string[], seen: string[], jobs: { jobId: string; status: string }[]) =>
    describeJobsOutcome(requested, seen, { output: { jobs }, httpStatusCode: 200 });

  it('keeps JobExists waiting on an empty jobs list (Airflow fails at once)', () => {
    const interpretation = outcomeOf(['a'], [], []);
    expect(interpretation).toMatchObject({ kind: 'outcome', seenJobIds: [] });
    if (interpretation.kind !== 'outcome') return;
    expect(interpretation.outcome).toEqual({
      output: { jobs: [], requestedJobIds: ['a'], missingJobIds: ['a'] },
      httpStatusCode: 200,
    });
    expect(batchWaiterModel.evaluate('JobExists', interpretation.outcome).state).toBe('retry');
  });

  it('never calls a stage done while a requested job is missing', () => {
    const interpretation = outcomeOf(['a', 'b'], [], [{ jobId: 'a', status: 'SUCCEEDED' }]);
    if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
    for (const waiter of ['JobExists', 'JobRunning', 'JobComplete']) {
      expect(batchWaiterModel.evaluate(waiter, interpretation.outcome).state).toBe('retry');
    }
    expect(interpretation.seenJobIds).toEqual(['a']);
  });

  it('remembers every job seen so far', () => {
    const interpretation = outcomeOf(
      ['a', 'b'],
      ['a'],
      [
        { jobId: 'a', status: 'RUNNING' },
        { jobId: 'b', status: 'RUNNABLE' },
      ],
    );
    expect(interpretation).toMatchObject({ kind: 'outcome', seenJobIds: ['a', 'b'] });
  });

  it('reports a job seen earlier and now missing as vanished, naming it', () => {
    const interpretation = outcomeOf(['a', 'b'], ['a', 'b'], [{ jobId: 'b', status: 'RUNNING' }]);
    expect(interpretation).toMatchObject({ kind: 'vanished', jobIds: ['a'] });
    if (interpretation.kind === 'vanished') expect(interpretation.reason).toMatch(/job a was seen/);
  });

  it('ignores jobs the response returns that were not requested', () => {
    const interpretation = outcomeOf(
      ['a'],
      [],
      [
        { jobId: 'a', status: 'SUCCEEDED' },
        { jobId: 'z', status: 'FAILED' },
      ],
    );
    if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
    expect(batchWaiterModel.evaluate('JobComplete', interpretation.outcome).state).toBe('success');
  });

  it('counts a job requested twice once', () => {
    const interpretation = outcomeOf(['a', 'a'], [], [{ jobId: 'a', status: 'SUCCEEDED' }]);
    if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
    expect(batchWaiterModel.evaluate('JobComplete', interpretation.outcome).state).toBe('success');
  });

  it('fails closed on a status Batch did not document, naming it', () => {
    const interpretation = outcomeOf(['a'], [], [{ jobId: 'a', status: 'PAUSED' }]);
    expect(interpretation).toMatchObject({ kind: 'unknownStatus', jobId: 'a', status: 'PAUSED' });
  });

  it('passes an error through for the acceptors, so an unexpected one fails the stage', () => {
    const error: PollOutcome = { error: { name: 'ClientException', message: 'bad id' }, httpStatusCode: 400 };
    const interpretation = describeJobsOutcome(['a'], ['a'], error);
    expect(interpretation).toEqual({ kind: 'outcome', outcome: error, seenJobIds: ['a'] });
    if (interpretation.kind === 'outcome') {
      expect(batchWaiterModel.evaluate('JobComplete', interpretation.outcome).state).toBe('failure');
    }
  });
});

describe('summarizeJob', () => {
  it('keeps what an operator needs, taking exit code and log stream from the last attempt if needed', () => {
    const summary = summarizeJob({
      jobId: 'a',
      jobName: 'nightly',
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      createdAt: 1,
      startedAt: 2,
      stoppedAt: 3,
      attempts: [
        { container: { exitCode: 1, logStreamName: 'first' } },
        { container: { exitCode: 137, logStreamName: 'second' } },
      ],
    });
    expect(summary).toEqual({
      jobId: 'a',
      jobName: 'nightly',
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      createdAt: 1,
      startedAt: 2,
      stoppedAt: 3,
      exitCode: 137,
      logStreamName: 'second',
      attempts: 2,
    });
  });

  it('prefers the job container fields', () => {
    expect(
      summarizeJob({
        jobId: 'a',
        container: { exitCode: 0, logStreamName: 'c' },
        attempts: [{ container: { exitCode: 2 } }],
      }),
    ).toMatchObject({
      exitCode: 0,
      logStreamName: 'c',
      attempts: 1,
    });
  });

  it("names the job's log group only when its definition chose one other than Batch's default", () => {
    const logging = (logDriver: string, options: Record<string, string>) =>
      summarizeJob({
        jobId: 'a',
        container: { logStreamName: 'c', logConfiguration: { logDriver, options } },
      });
    expect(logging('awslogs', { 'awslogs-group': '/etl/nightly' }).detail).toEqual({
      logGroup: '/etl/nightly',
    });
    expect(logging('awslogs', {}).detail).toBeUndefined();
    expect(logging('splunk', { 'awslogs-group': '/etl/nightly' }).detail).toBeUndefined();
    expect(summarizeJob({ jobId: 'a', container: { logStreamName: 'c' } }).detail).toBeUndefined();
  });
});

describe('an unknown status in the decision input', () => {
  it('carries the jobs as Batch returned them, so the cause can show the new status', () => {
    const interpretation = describeJobsOutcome(['a'], ['a'], {
      output: { jobs: [{ jobId: 'a', status: 'PAUSED' }] },
    });
    expect(interpretation).toMatchObject({ kind: 'unknownStatus', jobs: [{ jobId: 'a', status: 'PAUSED' }] });
  });
});

describe('the Batch job system', () => {
  it('gives each job its own status and the common phase, so queued is told from running', () => {
    const ids = BATCH_JOB_STATUSES.map((status) => `job-${status}`);
    const interpretation = batchJobSystem.interpret(ids, [], {
      output: { jobs: BATCH_JOB_STATUSES.map((status) => ({ jobId: `job-${status}`, status })) },
    });
    if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
    expect(Object.fromEntries((interpretation.jobs ?? []).map((job) => [job.status, job.phase]))).toEqual({
      SUBMITTED: 'queued',
      PENDING: 'queued',
      RUNNABLE: 'queued',
      STARTING: 'queued',
      RUNNING: 'running',
      SUCCEEDED: 'succeeded',
      // CancelJob and TerminateJob end a Batch job FAILED: Batch has no cancelled status.
      FAILED: 'failed',
    });
  });

  it('maps exactly the statuses Batch documents', () => {
    expect(Object.keys(BATCH_PHASES).sort()).toEqual([...BATCH_JOB_STATUSES].sort());
    expect(Object.keys(batchJobSystem.phases).sort()).toEqual([...BATCH_JOB_STATUSES].sort());
  });

  it('names the unknown status and the known ones, and keeps the reported status in the summaries', () => {
    const interpretation = batchJobSystem.interpret(['a', 'b'], [], {
      output: {
        jobs: [
          { jobId: 'a', status: 'RUNNING' },
          { jobId: 'b', status: 'toString' },
        ],
      },
    });
    expect(interpretation).toMatchObject({
      kind: 'unknownStatus',
      jobId: 'b',
      status: 'toString',
      jobs: [
        { jobId: 'a', status: 'RUNNING', phase: 'running' },
        { jobId: 'b', status: 'toString' },
      ],
    });
    if (interpretation.kind !== 'unknownStatus') throw new Error(interpretation.kind);
    expect(interpretation.jobs[1]).not.toHaveProperty('phase');
    expect(interpretation.reason).toContain('"toString"');
    expect(interpretation.reason).toContain(
      'SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED',
    );
  });

  it('implements the operation each of its waiters names', () => {
    for (const name of batchJobSystem.waiterModel.listWaiters()) {
      expect(batchJobSystem.operations).toContain(batchJobSystem.waiterModel.getWaiter(name).operation);
    }
    expect(batchJobSystem.stages).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
  });
});
