import { describe, expect, it } from 'vitest';
import { runLocalWait } from '../../lib/local/local-run';
import { runnableWaiter, synthesizeWaiter } from '../../lib/local/local-waiter';
import { seededRandom } from '../../lib/local/seeded-random';

/**
 * A waiter with `registry` run locally: the synthesized machine, the shipped poller writing the registry
 * table in dynalite through the real DynamoDB protocol, on the virtual clock.
 */
describe('the registry of waits, run locally', () => {
  for (const wakeUp of ['poll', 'events'] as const) {
    it(`records a ${wakeUp}-mode wait with a handful of writes, however many polls, and its end`, async () => {
      const machine = runnableWaiter(
        synthesizeWaiter({ examples: false, registry: true, waiter: { wakeUp } }),
      );
      const report = await runLocalWait({
        machine,
        jobDurationSeconds: 2 * 3600 + 13,
        queueSeconds: 170,
        outcome: 'SUCCEEDED',
        random: seededRandom(4),
      });
      expect(report.status).toBe('SUCCEEDED');
      const polls = Object.values(report.polls).reduce((sum, count) => sum + count, 0);
      // One write per change of what the registry shows (first poll, RUNNING, the end), not one per poll.
      expect(report.registry?.writes).toBeGreaterThanOrEqual(3);
      expect(report.registry?.writes).toBeLessThanOrEqual(5);
      if (wakeUp === 'poll') expect(polls).toBeGreaterThan(20);
      expect(report.registry?.waits).toEqual([
        expect.objectContaining({ status: 'SUCCEEDED', tethysStatus: 'Complete' }),
      ]);
    });
  }

  it('leaves a waiter without a registry unrecorded (no table, no writes)', async () => {
    const report = await runLocalWait({
      machine: runnableWaiter(synthesizeWaiter({ examples: false })),
      jobDurationSeconds: 600,
      queueSeconds: 60,
      outcome: 'FAILED',
      random: seededRandom(5),
    });
    expect(report.status).toBe('FAILED');
    expect(report.registry).toBeUndefined();
  });
});
