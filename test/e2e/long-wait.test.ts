import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEmulator } from '../../lib/local/batch-emulator';
import { LocalWaiter, type SynthesizedWaiter, synthesizeWaiter } from '../../lib/local/local-waiter';
import { seededRandom } from '../../lib/local/seeded-random';
import { VirtualClock } from '../../lib/local/virtual-clock';

/**
 * Waits longer than one execution's history, in small: a poll budget of 20 makes the main machine hand over
 * to fresh executions of the segment machine every 20 polls, as the default budget of 1,800 does for
 * month-long waits (npm run test:slow runs the 30-day one).
 */

const BUDGET = 20;
let synthesized: SynthesizedWaiter;
let emulator: BatchEmulator;
let clock: VirtualClock;

beforeAll(async () => {
  synthesized = synthesizeWaiter({ waiter: { pollBudget: BUDGET } });
  clock = new VirtualClock();
  emulator = await BatchEmulator.start({ clock });
});

afterAll(async () => {
  await emulator.stop();
});

const waiter = () =>
  new LocalWaiter({ synthesized, batchEndpoint: emulator.endpoint, clock, random: seededRandom(11) });
const everyMinute = { JobComplete: { delay: { kind: 'fixed', delay: 60 } } };

interface WaitOutput {
  status: string;
  jobs: { jobId: string; status: string }[];
  stages: { waiter: string; attempts: number }[];
}

describe('a wait longer than one execution', () => {
  it('continues in fresh executions and ends as one wait with the final job summaries', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 30, running: 7_200 } });
    const result = await waiter().run({ jobId, overrides: everyMinute });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as WaitOutput;
    expect(output.status).toBe('SUCCEEDED');
    expect(output.jobs).toMatchObject([{ jobId, status: 'SUCCEEDED' }]);

    // ~120 polls at 20 per execution: the main execution and at least 5 segments.
    expect(result.segments.length).toBeGreaterThanOrEqual(5);
    const executions = [result, ...result.segments.map((segment) => segment.result)];
    const polls = executions.reduce((sum, execution) => sum + execution.lambdaInvocations, 0);
    for (const execution of executions) {
      expect(execution.lambdaInvocations).toBeLessThanOrEqual(BUDGET);
      // ~9 events a poll, plus (in the main execution) ~9 per hand-over.
      expect(execution.historyEvents).toBeLessThan(BUDGET * 9 + result.segments.length * 9 + 20);
    }
    // Attempts travel across executions: the stages count every poll once.
    expect(output.stages.reduce((sum, stage) => sum + stage.attempts, 0)).toBe(polls);
    // Each segment resumed at the stage the wait had reached.
    expect(result.segments.at(-1)?.result.entered['JobExists Poll']).toBeUndefined();
    expect(result.segments.at(-1)?.result.entered['JobComplete Poll']).toBeGreaterThan(0);
  });

  it('keeps the deadline across executions and raises a segment’s timeout as StepWait.Timeout', async () => {
    const jobId = emulator.addJob({ durations: { runnable: 10, running: 100_000 } });
    const started = clock.now();
    const result = await waiter().run({ jobId, timeoutSeconds: 3 * 3_600, overrides: everyMinute });
    expect(result.segments.length).toBeGreaterThanOrEqual(3);
    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'StepWait.Timeout' });
    expect((clock.now() - started) / 1000).toBeGreaterThanOrEqual(3 * 3_600);
    expect((clock.now() - started) / 1000).toBeLessThan(3 * 3_600 + 2);
    // Hand-over contract 2: the segment ends normally with the error in its output, which the main raises.
    expect(result.segments.at(-1)?.result).toMatchObject({
      status: 'SUCCEEDED',
      output: { error: 'StepWait.Timeout' },
    });
  });

  it('raises a segment’s job failure with its own error name and cause', async () => {
    const jobId = emulator.addJob({
      durations: { runnable: 10, running: 3_000 },
      outcome: 'FAILED',
      exitCode: 9,
    });
    const result = await waiter().run({ jobId, overrides: everyMinute });
    expect(result.segments.length).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect(JSON.parse(result.cause as string).jobs[jobId]).toMatchObject({ status: 'FAILED', exitCode: 9 });
  });
});
