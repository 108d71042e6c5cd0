import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AIRBYTE_PHASES,
  BATCH_PHASES,
  JOB_PHASES,
  type JobPhase,
  TETHYS_STATUSES,
  tethysStatus,
  type WaitStanding,
} from '../../waiters';
import { DQOPS_PHASES } from '../../waiters/dqops/jobs';

const jobs = (...phases: (JobPhase | undefined)[]) => phases.map((phase) => ({ phase }));

describe('tethysStatus: a wait in the words of Tethys’ job manager', () => {
  it('names a running single-job wait after its job’s phase, and a wait with no job yet Pending', () => {
    expect(tethysStatus('PENDING', [])).toBe('Pending');
    expect(tethysStatus('RUNNING', [])).toBe('Pending');
    expect(tethysStatus('RUNNING', jobs(undefined))).toBe('Submitted');
    expect(tethysStatus('RUNNING', jobs('queued'))).toBe('Submitted');
    expect(tethysStatus('RUNNING', jobs('running'))).toBe('Running');
    expect(tethysStatus('RUNNING', jobs('succeeded'))).toBe('Complete');
    expect(tethysStatus('RUNNING', jobs('failed'))).toBe('Error');
    expect(tethysStatus('RUNNING', jobs('cancelled'))).toBe('Aborted');
  });

  it('calls jobs in mixed phases Various, and Various-Complete once every one has finished', () => {
    expect(tethysStatus('RUNNING', jobs('running', 'succeeded'))).toBe('Various');
    expect(tethysStatus('RUNNING', jobs(undefined, 'running'))).toBe('Various');
    expect(tethysStatus('RUNNING', jobs('succeeded', 'failed'))).toBe('Various-Complete');
    expect(tethysStatus('RUNNING', jobs('running', 'running'))).toBe('Running');
  });

  it('names an ended wait by how it ended', () => {
    expect(tethysStatus('SUCCEEDED', jobs('succeeded', 'succeeded'))).toBe('Complete');
    // A waiter that stops at JobRunning succeeds while its job runs on.
    expect(tethysStatus('SUCCEEDED', jobs('running'))).toBe('Complete');
    expect(tethysStatus('ABORTED', jobs('running'))).toBe('Aborted');
    expect(tethysStatus('FAILED', jobs('cancelled'))).toBe('Aborted');
    expect(tethysStatus('FAILED', jobs('failed'))).toBe('Error');
    expect(tethysStatus('FAILED', jobs('running', 'failed'))).toBe('Error');
    expect(tethysStatus('FAILED', jobs('succeeded', 'failed'))).toBe('Various-Complete');
    // DQOps: the job finished, the wait failed on the severity it found.
    expect(tethysStatus('FAILED', jobs('succeeded'))).toBe('Error');
    expect(tethysStatus('FAILED', [])).toBe('Error');
    expect(tethysStatus('TIMED_OUT', jobs('running'))).toBe('Other');
  });

  it('never calls an ended wait active, nor a running wait with an unfinished job finished', () => {
    const phase = fc.option(fc.constantFrom(...JOB_PHASES), { nil: undefined });
    const standing = fc.constantFrom<WaitStanding>(
      'PENDING',
      'RUNNING',
      'SUCCEEDED',
      'FAILED',
      'TIMED_OUT',
      'ABORTED',
    );
    fc.assert(
      fc.property(standing, fc.array(phase, { maxLength: 6 }), (wait, phases) => {
        const status = tethysStatus(wait, jobs(...phases));
        expect(TETHYS_STATUSES).toContain(status);
        const active = ['Pending', 'Submitted', 'Running', 'Various'].includes(status);
        if (wait !== 'RUNNING' && wait !== 'PENDING') expect(active).toBe(false);
        const unfinished = phases.some((p) => p === undefined || p === 'queued' || p === 'running');
        if (wait === 'RUNNING' && unfinished) expect(active).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('maps every documented status of every system while the wait runs (the README’s table)', () => {
    const table = (phases: Readonly<Record<string, JobPhase>>) =>
      Object.fromEntries(
        Object.entries(phases).map(([status, p]) => [status, tethysStatus('RUNNING', jobs(p))]),
      );
    expect(table(BATCH_PHASES)).toEqual({
      SUBMITTED: 'Submitted',
      PENDING: 'Submitted',
      RUNNABLE: 'Submitted',
      STARTING: 'Submitted',
      RUNNING: 'Running',
      SUCCEEDED: 'Complete',
      FAILED: 'Error',
    });
    expect(table(DQOPS_PHASES)).toEqual({
      queued: 'Submitted',
      running: 'Running',
      waiting: 'Submitted',
      finished: 'Complete',
      failed: 'Error',
      cancel_requested: 'Running',
      cancelled: 'Aborted',
    });
    expect(table(AIRBYTE_PHASES)).toEqual({
      pending: 'Submitted',
      running: 'Running',
      incomplete: 'Running',
      succeeded: 'Complete',
      failed: 'Error',
      cancelled: 'Aborted',
    });
  });
});
