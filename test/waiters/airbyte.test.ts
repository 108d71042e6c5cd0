import { describe, expect, it } from 'vitest';
import {
  AIRBYTE_PHASES,
  type AirbyteJob,
  airbyteJobSystem,
  airbyteWaiterModel,
  interpretAirbyteJobs,
} from '../../waiters/airbyte/jobs';

/** An Airbyte JobResponse (reference.airbyte.com, GET /v1/jobs/{jobId}). */
const sync = (jobId: number, status: string): AirbyteJob => ({
  jobId,
  status,
  jobType: 'sync',
  connectionId: '6f1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f',
  startTime: '2026-03-01T00:00:00Z',
  lastUpdatedAt: '2026-03-01T00:08:50Z',
  duration: 'PT8M50S',
  bytesSynced: 2048,
  rowsSynced: 10,
});

function decide(stage: string, status: string) {
  const interpretation = interpretAirbyteJobs(['7'], [], {
    output: { jobs: [sync(7, status)] },
    httpStatusCode: 200,
  });
  if (interpretation.kind !== 'outcome') throw new Error(interpretation.kind);
  return airbyteWaiterModel.evaluate(stage, interpretation.outcome).state;
}

describe('Airbyte jobs', () => {
  it('maps every documented status to a phase, as Airflow’s AirbyteJobSensor treats them', () => {
    expect(AIRBYTE_PHASES).toEqual({
      pending: 'queued',
      running: 'running',
      incomplete: 'running',
      succeeded: 'succeeded',
      failed: 'failed',
      cancelled: 'cancelled',
    });
  });

  it('decides each stage on one job, every status (incomplete keeps waiting: Airbyte retries)', () => {
    const expected: Record<string, string[]> = {
      pending: ['success', 'retry', 'retry'],
      running: ['success', 'success', 'retry'],
      incomplete: ['success', 'success', 'retry'],
      succeeded: ['success', 'success', 'success'],
      failed: ['success', 'success', 'failure'],
      cancelled: ['success', 'success', 'failure'],
    };
    for (const [status, states] of Object.entries(expected)) {
      expect(
        ['JobExists', 'JobRunning', 'JobComplete'].map((stage) => decide(stage, status)),
        status,
      ).toEqual(states);
    }
  });

  it('keeps the sync figures in the summary and fails closed on an unknown status', () => {
    expect(interpretAirbyteJobs(['7'], [], { output: { jobs: [sync(7, 'succeeded')] } })).toMatchObject({
      kind: 'outcome',
      jobs: [
        {
          jobId: '7',
          status: 'succeeded',
          phase: 'succeeded',
          stoppedAt: Date.parse('2026-03-01T00:08:50Z'),
          detail: { rowsSynced: 10, bytesSynced: 2048, duration: 'PT8M50S', jobType: 'sync' },
        },
      ],
    });
    expect(interpretAirbyteJobs(['7'], [], { output: { jobs: [sync(7, 'paused')] } })).toMatchObject({
      kind: 'unknownStatus',
      status: 'paused',
    });
    expect(interpretAirbyteJobs(['7'], ['7'], { output: { jobs: [] } })).toMatchObject({
      kind: 'vanished',
      jobIds: ['7'],
    });
  });

  it('takes integer job ids and connection UUIDs as business keys', () => {
    const { idPattern, keyPattern, keyScopedByQueue } = airbyteJobSystem.naming;
    expect(idPattern.test('123456')).toBe(true);
    expect(idPattern.test('abc')).toBe(false);
    expect(keyPattern.test('6f1a3c2e-8d4b-4e7a-9c0d-1b2a3c4d5e6f')).toBe(true);
    expect(keyPattern.test('my-connection')).toBe(false);
    expect(keyScopedByQueue).toBe(false);
  });
});
