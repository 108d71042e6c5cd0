import { describe, expect, it } from 'vitest';
import { benchStrategies, jobMix, runBenchmark, summarize } from '../../../lib/local/benchmark';
import {
  eventModeFixedCostPerMonthUsd,
  IDLE_QUEUE_REQUESTS_PER_MONTH,
  PRICE_PER_LAMBDA_GB_SECOND_USD,
  waitCostUsd,
} from '../../../lib/local/cost-model';
import { frontierSvg } from '../../../lib/local/frontier-plot';
import type { LocalRunReport } from '../../../lib/local/local-run';
import { synthesizeWaiter } from '../../../lib/local/local-waiter';
import { DEFAULT_DELAYS } from '../../../lib/wait-fragment';

function report(changes: Partial<LocalRunReport>): LocalRunReport {
  return {
    status: 'SUCCEEDED',
    executionStatus: 'SUCCEEDED',
    error: null,
    cause: null,
    output: null,
    polls: {},
    stateTransitions: 30,
    lambdaInvocations: 10,
    historyEvents: 95,
    executions: 1,
    simulatedSeconds: 3_600,
    detectionLatencySeconds: 10,
    throttledCalls: 0,
    estimatedCostUsd: 0.001,
    describeJobsCallSeconds: [],
    ...changes,
  };
}

describe('the benchmark job mix', () => {
  it('is the same for the same seed, log-uniform between 1 minute and 24 hours', () => {
    const mix = jobMix(500, 42);
    expect(jobMix(500, 42)).toEqual(mix);
    expect(jobMix(500, 43)).not.toEqual(mix);
    const durations = mix.map((job) => job.durationSeconds);
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...durations)).toBeLessThanOrEqual(86_400);
    // Log-uniform: about half the jobs are shorter than the geometric mean of the bounds (~38 minutes).
    const short = durations.filter((d) => d < Math.sqrt(60 * 86_400)).length;
    expect(short).toBeGreaterThan(200);
    expect(short).toBeLessThan(300);
  });
});

describe('summarize', () => {
  const strategy = { name: 's', description: 'd', delays: {} };

  it('computes per-job means, cost per waited job-hour and latency percentiles', () => {
    const reports = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((latency) =>
      report({ detectionLatencySeconds: latency, lambdaInvocations: latency * 2 }),
    );
    const result = summarize(strategy, reports);
    expect(result.pollsPerJob).toBe(11);
    expect(result.costPerJobHourUsd).toBeCloseTo(0.001);
    expect(result.p50DetectionSeconds).toBe(5);
    expect(result.p95DetectionSeconds).toBe(10);
    expect(result.failedRuns).toBe(0);
  });

  it('counts runs over the history limit as failing in AWS', () => {
    const result = summarize(strategy, [
      report({ historyEvents: 25_003, status: 'FAILED', detectionLatencySeconds: null }),
      report({}),
    ]);
    expect(result.failedRuns).toBe(1);
    expect(result.maxHistoryEvents).toBe(25_003);
  });

  it('finds the busiest second, leaving out each wait’s first call', () => {
    const result = summarize(strategy, [
      report({ describeJobsCallSeconds: [0, 30.2, 60.5] }),
      report({ describeJobsCallSeconds: [0, 30.9, 61.1] }),
      report({ describeJobsCallSeconds: [0, 45, 90] }),
    ]);
    expect(result.peakDescribeJobsPerSecond).toBe(2);
  });
});

describe('runBenchmark on the synthesized machine', () => {
  it('runs every job with every strategy and compares them with the baseline', async () => {
    const strategies = benchStrategies(DEFAULT_DELAYS).filter((s) =>
      ['aws-sample-30s', 'stepwait-default'].includes(s.name),
    );
    const jobs = [
      { durationSeconds: 600, queueSeconds: 30 },
      { durationSeconds: 3_600, queueSeconds: 60 },
    ];
    const result = await runBenchmark({ synthesized: synthesizeWaiter(), strategies, jobs, seed: 1 });
    expect(result.baseline.name).toBe('aws-sample-30s');
    expect(result.strategies.map((s) => s.name)).toEqual(['aws-sample-30s', 'stepwait-default']);
    const [baseline, chosen] = result.strategies;
    // Fixed 30 s polls over ~70 minutes of waiting: ~140 polls for the two jobs.
    expect(baseline?.pollsPerJob).toBeGreaterThan(60);
    expect(baseline?.p95DetectionSeconds).toBeLessThanOrEqual(30);
    expect(chosen?.pollsPerJob).toBeLessThan(baseline?.pollsPerJob as number);
    expect(chosen?.costPerJobHourUsd).toBeLessThan(baseline?.costPerJobHourUsd as number);
    expect(result.strategies.every((s) => s.failedRuns === 0)).toBe(true);

    const svg = frontierSvg(result.strategies, 'test');
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('stepwait-default');
  });
});

describe('the registry in the benchmark', () => {
  it('counts registry writes per wait: a few, whatever the number of polls, and none without a registry', async () => {
    const strategies = benchStrategies(DEFAULT_DELAYS).filter((s) =>
      ['aws-sample-30s', 'stepwait-default'].includes(s.name),
    );
    const jobs = [
      { durationSeconds: 3_600, queueSeconds: 60 },
      { durationSeconds: 7_200, queueSeconds: 90 },
    ];
    const recorded = await runBenchmark({
      synthesized: synthesizeWaiter({ registry: true }),
      strategies,
      jobs,
      seed: 2,
    });
    for (const strategy of recorded.strategies) {
      expect(strategy.registryWritesPerJob).toBeGreaterThanOrEqual(3);
      expect(strategy.registryWritesPerJob).toBeLessThan(strategy.pollsPerJob / 10);
    }
    // The 30 s loop polls about four times as often as the default, and writes no more.
    const [loop, chosen] = recorded.strategies;
    expect(loop?.pollsPerJob).toBeGreaterThan(3 * (chosen?.pollsPerJob as number));
    expect(loop?.registryWritesPerJob).toBeLessThanOrEqual((chosen?.registryWritesPerJob as number) + 1);
    expect(summarize(strategies[0] as never, [report({})]).registryWritesPerJob).toBeUndefined();
  });
});

describe('event mode in the benchmark', () => {
  it('runs the event rows on the event-mode waiter: fewer transitions, seconds to notice, every loss still ending right', async () => {
    const strategies = benchStrategies(DEFAULT_DELAYS).filter((s) =>
      ['aws-sample-30s', 'events', 'events-100%-lost'].includes(s.name),
    );
    const jobs = [
      { durationSeconds: 1_813, queueSeconds: 47 },
      { durationSeconds: 7_211, queueSeconds: 130 },
    ];
    const result = await runBenchmark({
      synthesized: synthesizeWaiter(),
      eventsSynthesized: synthesizeWaiter({ waiter: { wakeUp: 'events' } }),
      strategies,
      jobs,
      seed: 3,
    });
    const [loop, events, lost] = result.strategies;
    expect(events?.transitionsPerJob).toBeLessThan((loop?.transitionsPerJob as number) / 10);
    expect(events?.p95DetectionSeconds).toBeLessThan(5);
    expect(events?.fixedCostPerMonthUsd).toBeCloseTo(eventModeFixedCostPerMonthUsd(300), 10);
    expect(loop?.fixedCostPerMonthUsd).toBeUndefined();
    // Every event lost: the sweeper (every 5 minutes) still wakes each wait, and each ends SUCCEEDED.
    expect(lost?.wrongEndings).toBe(0);
    expect(lost?.p95DetectionSeconds).toBeLessThanOrEqual(300 + 60);
    expect(lost?.p95DetectionSeconds).toBeGreaterThan(events?.p95DetectionSeconds as number);
  });

  it('prices Lambda at the arm64 rate and counts the queue’s idle polling and the sweeper as fixed costs', () => {
    expect(PRICE_PER_LAMBDA_GB_SECOND_USD).toBe(0.0000133334);
    expect(IDLE_QUEUE_REQUESTS_PER_MONTH).toBe(648_000);
    const fiveMinutes = eventModeFixedCostPerMonthUsd(300);
    // 648,000 SQS requests ($0.2592) plus 8,640 sweeps (a request, 300 ms at 256 MB, half a read unit each).
    expect(fiveMinutes).toBeCloseTo(0.2592 + 8_640 * (0.2e-6 + 0.075 * 0.0000133334 + 0.5 * 0.125e-6), 8);
    expect(eventModeFixedCostPerMonthUsd(60)).toBeGreaterThan(fiveMinutes);
    // With callback URLs, the signing keys' secret: $0.40 a month.
    expect(eventModeFixedCostPerMonthUsd(300, true) - fiveMinutes).toBeCloseTo(0.4, 10);
    // 100 transitions, 10 invocations, 4 writes, 2 reads, 6 SQS requests.
    expect(
      waitCostUsd({
        stateTransitions: 100,
        lambdaInvocations: 10,
        dynamoDbWrites: 4,
        dynamoDbReads: 2,
        sqsRequests: 6,
      }),
    ).toBeCloseTo(
      0.0025 + 10 * 0.2e-6 + 10 * 0.025 * 0.0000133334 + 4 * 0.625e-6 + 2 * 0.125e-6 + 6 * 0.4e-6,
      12,
    );
  });
});
