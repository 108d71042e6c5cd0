import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { runLocalWait } from '../../lib/local/local-run';
import { runnableWaiter, synthesizeWaiter } from '../../lib/local/local-waiter';
import type { RunnableMachine } from '../../lib/local/runnable-machine';
import { seededRandom } from '../../lib/local/seeded-random';

/**
 * Event mode end to end: the synthesized machine with `wakeUp: 'events'`, the shipped poller and waker,
 * the park table in dynalite, task tokens through the loopback Step Functions endpoint, and the local
 * Batch's state-change events routed by the template's own rule, all on one virtual clock.
 */
const events = () => runnableWaiter(synthesizeWaiter({ examples: false, waiter: { wakeUp: 'events' } }));
const polling = () => runnableWaiter(synthesizeWaiter({ examples: false }));

describe("wakeUp: 'events', run locally", () => {
  it('parks, is woken by the state-change events, and notices the end within seconds', async () => {
    const report = await runLocalWait({
      machine: events(),
      // Off the sweeper's 5-minute beat, so the events (not a sweep at the same instant) wake the wait.
      jobDurationSeconds: 2 * 3600 + 13,
      queueSeconds: 170,
      outcome: 'SUCCEEDED',
      random: seededRandom(1),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.detectionLatencySeconds).toBeLessThan(30);
    expect(report.wakeUps?.parks).toBeGreaterThanOrEqual(2);
    expect(report.wakeUps?.wokenByEvent).toBeGreaterThanOrEqual(2);
    expect(report.wakeUps?.timedOut).toBe(0);
    // A handful of polls for a two-hour job, where the poll loop makes dozens.
    const polls = Object.values(report.polls).reduce((sum, count) => sum + count, 0);
    expect(polls).toBeLessThan(10);
    const polled = await runLocalWait({
      machine: polling(),
      // Off the sweeper's 5-minute beat, so the events (not a sweep at the same instant) wake the wait.
      jobDurationSeconds: 2 * 3600 + 13,
      queueSeconds: 170,
      outcome: 'SUCCEEDED',
      random: seededRandom(1),
    });
    expect(Object.values(polled.polls).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(3 * polls);
  });

  it('still ends correctly when every event is lost: the sweeper wakes the wait within its interval', async () => {
    const report = await runLocalWait({
      machine: events(),
      jobDurationSeconds: 3600,
      queueSeconds: 60,
      outcome: 'FAILED',
      random: seededRandom(2),
      eventDelivery: { delaySeconds: () => 1, lossProbability: 1 },
    });
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('StepWait.JobFailed');
    expect(report.wakeUps).toMatchObject({ wokenByEvent: 0, timedOut: 0 });
    expect(report.wakeUps?.wokenBySweeper).toBeGreaterThanOrEqual(1);
    // Noticed at the next sweep (every 5 minutes), not at the six-hour backstop.
    expect(report.detectionLatencySeconds).toBeLessThanOrEqual(300 + 5);
  });

  it('falls back to its own timeout when events and sweeps are both gone', async () => {
    const report = await runLocalWait({
      machine: runnableWaiter(
        synthesizeWaiter({
          examples: false,
          waiter: { wakeUp: 'events', parkBackstop: Duration.minutes(10) },
        }),
      ),
      sweeperDown: true,
      jobDurationSeconds: 3600,
      queueSeconds: 60,
      outcome: 'SUCCEEDED',
      random: seededRandom(3),
      eventDelivery: { delaySeconds: () => 1, lossProbability: 1 },
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.wakeUps?.timedOut).toBeGreaterThan(0);
    expect(report.detectionLatencySeconds).toBeLessThanOrEqual(600);
  });
});

describe('switching a waiter back to polling, with waits parked before the deploy', () => {
  const waiter = { wakeUp: 'events' as const };
  // The same JobWaiter deployed again with wakeUp 'poll': keeping its WakeUps (draining), or not.
  const draining = () =>
    synthesizeWaiter({ examples: false, waiter: { wakeUp: 'poll' }, drainWakeUps: true });

  it('keeps the table, queue, waker, sweeper and rule while draining, and its new waits poll', () => {
    const template = draining().template;
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toContain('AWS::DynamoDB::Table');
    expect(types.filter((type) => type === 'AWS::Events::Rule')).toHaveLength(2);
    expect(
      Object.keys(runnableWaiter(draining()).definition.States).some((name) => name.endsWith(' Park')),
    ).toBe(false);
  });

  it('wakes a wait parked before a draining deploy by its events', async () => {
    const before = runnableWaiter(synthesizeWaiter({ examples: false, waiter }));
    const after = runnableWaiter(draining());
    // The parked execution runs the definition it started with; the functions and routes are the new ones.
    const report = await runLocalWait({
      machine: {
        ...before,
        pollerEnvironments: after.pollerEnvironments,
        ...(after.wakeUps ? { wakeUps: after.wakeUps } : {}),
      },
      jobDurationSeconds: 3_607,
      queueSeconds: 71,
      outcome: 'SUCCEEDED',
      random: seededRandom(5),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.wakeUps?.wokenByEvent).toBeGreaterThanOrEqual(1);
    expect(report.detectionLatencySeconds).toBeLessThan(30);
  });

  it('ends a wait that hands over to a segment machine redeployed in poll mode (its output has no callback URL)', async () => {
    const budget = { pollBudget: 10, parkBackstop: Duration.minutes(1) };
    const before = runnableWaiter(
      synthesizeWaiter({ examples: false, waiter: { ...budget, wakeUp: 'events' }, callbacks: true }),
    );
    const after = runnableWaiter(
      synthesizeWaiter({ examples: false, waiter: { pollBudget: 10, wakeUp: 'poll' }, drainWakeUps: true }),
    );
    const report = await runLocalWait({
      // The main execution runs its old definition; the segment machine it starts is the new one.
      machine: { ...before, children: after.children },
      jobDurationSeconds: 3_600,
      queueSeconds: 60,
      outcome: 'SUCCEEDED',
      random: seededRandom(7),
      // Every event lost and no sweeper: the parks end at their 1-minute backstop, so the budget runs out.
      eventDelivery: { delaySeconds: () => 1, lossProbability: 1 },
      sweeperDown: true,
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.executions).toBeGreaterThan(1);
    expect(report.output).not.toHaveProperty('callbackUrl');
  });

  it('still ends a wait started before a deploy that drops the wake-ups: the new poller parks it no more', async () => {
    const before = runnableWaiter(synthesizeWaiter({ examples: false, waiter }));
    const after = runnableWaiter(synthesizeWaiter({ examples: false }));
    const report = await runLocalWait({
      // The new poller has no park table, so it never asks the old definition to park: the wait polls on. (A
      // park already registered then ends at its backstop, with nothing left to wake it.)
      machine: { ...before, pollerEnvironments: after.pollerEnvironments },
      jobDurationSeconds: 3_607,
      queueSeconds: 71,
      outcome: 'FAILED',
      random: seededRandom(6),
    });
    expect(report.error).toBe('StepWait.JobFailed');
    expect(report.wakeUps?.parks).toBe(0);
    expect(report.detectionLatencySeconds).toBeLessThan(180);
  });
});

describe('callback URLs, run locally', () => {
  const withCallbacks = () =>
    runnableWaiter(synthesizeWaiter({ examples: false, waiter: { wakeUp: 'events' }, callbacks: true }));
  /** A job of 1.5 h that calls back 2 s after it ends, every event lost and the sweeper down. */
  const callingBack = (machine: RunnableMachine, unsigned = false) =>
    runLocalWait({
      machine,
      jobDurationSeconds: 5_413,
      queueSeconds: 83,
      outcome: 'SUCCEEDED',
      random: seededRandom(8),
      eventDelivery: { delaySeconds: () => 1, lossProbability: 1 },
      sweeperDown: true,
      jobCallsBack: { delaySeconds: 2, unsigned },
    });

  it('puts a signed URL in the output, and the job calling it wakes the wait when every event is lost', async () => {
    const report = await callingBack(withCallbacks());
    expect(report.status).toBe('SUCCEEDED');
    const url = new URL((report.output as { callbackUrl: string }).callbackUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toMatch(/^\/wake\/[0-9a-f-]{36}$/);
    expect([...url.searchParams.keys()]).toEqual(['expires', 'keyId', 'signature']);
    expect(report.wakeUps).toMatchObject({ wokenByCallback: 1, wokenByEvent: 0, wokenBySweeper: 0 });
    // The job called 2 s after it ended; the wait noticed at once, hours before its park's backstop.
    expect(report.detectionLatencySeconds).toBeLessThan(10);
  });

  it("with AuthType AWS_IAM, takes the job's signed call and refuses an unsigned one before the function runs", async () => {
    const iamCallbacks = runnableWaiter(
      synthesizeWaiter({
        examples: false,
        waiter: { wakeUp: 'events' },
        callbacks: { authType: lambda.FunctionUrlAuthType.AWS_IAM },
      }),
    );
    const signed = await callingBack(iamCallbacks);
    expect(signed.status).toBe('SUCCEEDED');
    expect(signed.wakeUps).toMatchObject({ wokenByCallback: 1, callbackAnswers: [202] });
    // Unsigned: Lambda's 403, the function never ran, and the wait learns of the end only at its park's backstop.
    const unsigned = await callingBack(iamCallbacks, true);
    expect(unsigned.wakeUps).toMatchObject({ wokenByCallback: 0, callbackAnswers: [403] });
    expect(unsigned.detectionLatencySeconds ?? Number.POSITIVE_INFINITY).toBeGreaterThan(3_600);
  });

  it('has a null callbackUrl in the output of an event-mode waiter without callbacks', async () => {
    const report = await runLocalWait({
      machine: events(),
      jobDurationSeconds: 600,
      queueSeconds: 30,
      outcome: 'SUCCEEDED',
      random: seededRandom(9),
    });
    expect(report.output).toMatchObject({ status: 'SUCCEEDED', callbackUrl: null });
  });
});
