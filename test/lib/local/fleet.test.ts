import { describe, expect, it } from 'vitest';
import { jobMix } from '../../../lib/local/benchmark';
import { runFleet } from '../../../lib/local/fleet';
import { runnableWaiter, synthesizeWaiter } from '../../../lib/local/local-waiter';
import { seededRandom } from '../../../lib/local/seeded-random';

/** `npm run bench -- --fleet 10000` runs the big one; this is the same, small. */
describe('a fleet of event-mode waits on one shared clock', () => {
  const machine = () => runnableWaiter(synthesizeWaiter({ examples: false, waiter: { wakeUp: 'events' } }));

  it('ends every wait right, each in seconds, with one sweeper batching its DescribeJobs calls', async () => {
    const jobs = jobMix(60, 7);
    const result = await runFleet({ machine: machine(), jobs, random: seededRandom(7) });
    expect(result).toMatchObject({ waits: 60, wrongEndings: 0, throttledCalls: 0 });
    // The clock is shared: the run lasts as long as the longest job (plus its queue and a few seconds).
    const longest = Math.max(...jobs.map((job) => job.durationSeconds + job.queueSeconds));
    expect(result.virtualSeconds).toBeGreaterThanOrEqual(longest);
    expect(result.virtualSeconds).toBeLessThan(longest + 60);
    // One sweeper every 5 minutes, not one per wait.
    expect(result.sweeps).toBeLessThanOrEqual(Math.ceil(result.virtualSeconds / 300));
    expect(result.p95DetectionSeconds).toBeLessThan(10);
    // Per wait: a first poll, its park's check, a poll per wake-up; plus one call per sweep with parks.
    expect(result.describeJobsCalls).toBeLessThan(60 * 8 + result.sweeps);
  });

  it('loses no wait when Batch throttles half the DescribeJobs calls', async () => {
    const result = await runFleet({
      machine: machine(),
      jobs: jobMix(40, 8),
      random: seededRandom(8),
      throttleProbability: 0.5,
    });
    expect(result.wrongEndings).toBe(0);
    expect(result.throttledCalls).toBeGreaterThan(0);
  });
});
