import { describe, expect, it } from 'vitest';
import {
  DQOPS_PHASES,
  type DqopsJob,
  dqopsJobSystem,
  dqopsWaiterModel,
  interpretDqopsJobs,
} from '../../waiters/dqops/jobs';

/** A DQOps job as GET /api/jobs/jobs/{id} returns it (DqoJobHistoryEntryModel). */
function dqJob(id: number, status: string, highestSeverity?: string): DqopsJob {
  return {
    jobId: { jobId: id, createdAt: '2026-03-01T00:00:00.123456Z' },
    jobType: 'run_checks',
    status,
    statusChangedAt: '2026-03-01T00:01:00.5Z',
    ...(highestSeverity
      ? {
          parameters: {
            runChecksParameters: {
              run_checks_result: { highest_severity: highestSeverity, executed_checks: 12, errors: 1 },
            },
          },
        }
      : {}),
  };
}

function decide(stage: string, jobs: DqopsJob[], ids: string[], failAt?: 'warning' | 'error' | 'fatal') {
  const interpretation = interpretDqopsJobs(ids, [], { output: { jobs }, httpStatusCode: 200 });
  if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
  return dqopsWaiterModel(failAt).evaluate(stage, interpretation.outcome).state;
}

describe('DQOps jobs', () => {
  it('maps every documented status to a phase', () => {
    expect(DQOPS_PHASES).toEqual({
      queued: 'queued',
      running: 'running',
      waiting: 'queued',
      finished: 'succeeded',
      failed: 'failed',
      cancel_requested: 'running',
      cancelled: 'cancelled',
    });
    expect(dqopsJobSystem.operations).toEqual(['GetJob']);
  });

  it('decides each stage on one job, every status', () => {
    const expected: Record<string, [string, string, string]> = {
      queued: ['success', 'retry', 'retry'],
      running: ['success', 'success', 'retry'],
      waiting: ['success', 'retry', 'retry'],
      cancel_requested: ['success', 'success', 'retry'],
      finished: ['success', 'success', 'success'],
      failed: ['success', 'success', 'failure'],
      cancelled: ['success', 'success', 'failure'],
    };
    for (const [status, states] of Object.entries(expected)) {
      expect(
        ['JobExists', 'JobRunning', 'JobComplete'].map((stage) => decide(stage, [dqJob(7, status)], ['7'])),
        status,
      ).toEqual(states);
    }
  });

  it('fails JobComplete at or above failAtSeverity, and only there (fatal by default, as the Airflow operator)', () => {
    const at = (severity: string, failAt?: 'warning' | 'error' | 'fatal') =>
      decide('JobComplete', [dqJob(7, 'finished', severity)], ['7'], failAt);
    expect(['valid', 'warning', 'error', 'fatal'].map((severity) => at(severity))).toEqual([
      'success',
      'success',
      'success',
      'failure',
    ]);
    expect(['valid', 'warning', 'error', 'fatal'].map((severity) => at(severity, 'error'))).toEqual([
      'success',
      'success',
      'failure',
      'failure',
    ]);
    expect(['valid', 'warning', 'error', 'fatal'].map((severity) => at(severity, 'warning'))).toEqual([
      'success',
      'failure',
      'failure',
      'failure',
    ]);
    // A job that runs no checks has no severity: it never trips the gate.
    expect(decide('JobComplete', [dqJob(7, 'finished')], ['7'], 'warning')).toBe('success');
    expect(() => dqopsWaiterModel('valid' as never)).toThrow(/warning, error, fatal/);
  });

  it('keeps the run-checks result in the summary, for the cause', () => {
    const interpretation = interpretDqopsJobs(['7'], [], {
      output: { jobs: [dqJob(7, 'finished', 'error')] },
    });
    expect(interpretation).toMatchObject({
      kind: 'outcome',
      jobs: [
        {
          jobId: '7',
          status: 'finished',
          phase: 'succeeded',
          createdAt: Date.parse('2026-03-01T00:00:00.123Z'),
          stoppedAt: Date.parse('2026-03-01T00:01:00.500Z'),
          detail: { jobType: 'run_checks', highestSeverity: 'error', executedChecks: 12, errors: 1 },
        },
      ],
    });
  });

  it('waits for a job not visible yet, and calls one seen unfinished and now gone forgotten', () => {
    const notYet = interpretDqopsJobs(['7'], [], { output: { jobs: [] }, httpStatusCode: 200 });
    expect(notYet).toMatchObject({ kind: 'outcome', outcome: { output: { missingJobIds: ['7'] } } });
    const gone = interpretDqopsJobs(['7'], ['7'], { output: { jobs: [] } }, [
      { jobId: '7', status: 'running', phase: 'running' },
    ]);
    expect(gone).toMatchObject({ kind: 'forgotten', jobIds: ['7'] });
  });

  it('keeps the outcome of a job seen finished that DQOps has since forgotten', () => {
    const previous = [
      { jobId: '7', status: 'finished', phase: 'succeeded' as const, detail: { highestSeverity: 'valid' } },
    ];
    const interpretation = interpretDqopsJobs(
      ['7', '8'],
      ['7', '8'],
      { output: { jobs: [dqJob(8, 'finished')] } },
      previous,
    );
    if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
    expect(interpretation.jobs?.map((job) => [job.jobId, job.status])).toEqual([
      ['7', 'finished'],
      ['8', 'finished'],
    ]);
    expect(dqopsWaiterModel().evaluate('JobComplete', interpretation.outcome).state).toBe('success');
  });

  it('takes numeric ids and free business keys, but no "/" and not "." or ".." (URL path segments)', () => {
    const { idPattern, keyPattern } = dqopsJobSystem.naming;
    expect(['1736087412000001', '7'].every((id) => idPattern.test(id))).toBe(true);
    expect(['abc', '', '1'.repeat(20)].some((id) => idPattern.test(id))).toBe(false);
    expect(['orders nightly 2026-01-01', '.hidden', '...', 'a.b'].every((key) => keyPattern.test(key))).toBe(
      true,
    );
    expect(['.', '..', 'a/b', '', 'tab\there', 'k'.repeat(257)].some((key) => keyPattern.test(key))).toBe(
      false,
    );
  });

  it('fails closed on a status DQOps does not document, naming it', () => {
    expect(interpretDqopsJobs(['7'], [], { output: { jobs: [dqJob(7, 'paused')] } })).toMatchObject({
      kind: 'unknownStatus',
      status: 'paused',
    });
  });
});
