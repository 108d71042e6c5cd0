#!/usr/bin/env node
import '../lib/local/offline-env';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { registeredJobSystem } from '../lambdas/job-systems';
import {
  type BenchResult,
  benchStrategies,
  jobMix,
  runBenchmark,
  type StrategyResult,
} from '../lib/local/benchmark';
import { type FleetResult, runFleet } from '../lib/local/fleet';
import { frontierSvg } from '../lib/local/frontier-plot';
import { runLocalWait } from '../lib/local/local-run';
import { runnableWaiter, synthesizeWaiter } from '../lib/local/local-waiter';
import { seededRandom } from '../lib/local/seeded-random';
import { EXAMPLE_SYSTEMS, type ExampleSystem } from '../lib/stepwait-stack';
import { DEFAULT_DELAYS, MAX_MAX_TIMEOUT } from '../lib/wait-fragment';
import { UsageError } from './cli/usage-error';

/**
 * `npm run bench`: the same synthesized state machine waits for a fixed job mix with several delay
 * strategies, and prints what each costs against how late it notices a finished job.
 */
export const BENCH_USAGE = `Usage: npm run bench -- [options]

Waits for the same job mix with each delay strategy, on the synthesized state machine run here (a local
AWS Batch or DQOps, a virtual clock), and prints what each costs against how late it notices a finished job.

Options:
  --system <s>        batch | dqops | airbyte: the job system of the example waiter (default batch; its own
                      defaults are the stepwait-default row)
  --jobs <n>          jobs in the mix (default 200; fewer for a quicker run)
  --seed <n>          seed for the job mix and the jitter (default 42)
  --concurrency <n>   waits run at once (default 8)
  --plot <path>       also write the cost/latency frontier as SVG there, e.g. docs/bench-frontier.svg
                      (without it nothing is written)
  --fleet <n>         instead: n event-mode waits on one shared clock (one local Batch, park table, waker
                      and sweeper), without and with half the DescribeJobs calls throttled, and one
                      30-day event-mode wait
  --json              print the figures as one JSON object on stdout
  -h, --help          show this help

Exit codes: 0 done, 2 bad options.`;

export interface BenchOptions {
  system: ExampleSystem;
  jobs: number;
  seed: number;
  concurrency: number;
  /** Where to write the SVG plot; undefined: write nothing (the tracked plot changes only when asked). */
  plotPath?: string;
  /** Run a fleet of this many event-mode waits instead of the strategy table. */
  fleet?: number;
  json: boolean;
}

/** The command line of `npm run bench`, or 'help'. @throws UsageError naming the bad option */
export function parseBenchOptions(args: string[]): BenchOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        system: { type: 'string' },
        jobs: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        plot: { type: 'string' },
        fleet: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const integer = (name: string, fallback: number) => {
    const text = values[name] as string | undefined;
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < 1)
      throw new UsageError(`--${name}: expected a whole number >= 1, got "${text}"`);
    return Number(text);
  };
  const system = ((values.system as string | undefined) ?? 'batch') as ExampleSystem;
  if (!EXAMPLE_SYSTEMS.includes(system)) {
    throw new UsageError(`--system: expected ${EXAMPLE_SYSTEMS.join(', ')}, got "${system}"`);
  }
  const options: BenchOptions = {
    system,
    jobs: integer('jobs', 200),
    seed: integer('seed', 42),
    concurrency: integer('concurrency', 8),
    json: values.json === true,
  };
  if (values.fleet !== undefined) {
    options.fleet = integer('fleet', 1);
    if (system !== 'batch')
      throw new UsageError('--fleet: event mode waits for AWS Batch jobs only (no --system)');
  }
  const plot = values.plot as string | undefined;
  if (plot !== undefined) {
    if (plot.trim() === '') throw new UsageError('--plot: expected a file path');
    options.plotPath = plot;
  }
  return options;
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Waits a month the fixed costs of event mode are spread over. */
export const WAITS_PER_MONTH = [10, 1_000, 10_000] as const;

/** Cost per waited job-hour with a month's fixed cost spread over `waits` waits. */
export function costPerJobHourAt(strategy: StrategyResult, waits: number): number {
  const fixedPerWait = (strategy.fixedCostPerMonthUsd ?? 0) / waits;
  return (strategy.costPerWaitUsd + fixedPerWait) / strategy.hoursPerWait;
}

/** Event mode against the 30 s loop per waited job-hour, its fixed costs spread over 10 to 10,000 waits. */
function fixedCostTable(result: BenchResult): string {
  const base = result.baseline;
  const rows = result.strategies
    .filter((strategy) => strategy.fixedCostPerMonthUsd !== undefined || strategy === base)
    .map((strategy) => [
      strategy.name,
      strategy.fixedCostPerMonthUsd === undefined ? '-' : `$${strategy.fixedCostPerMonthUsd.toFixed(3)}`,
      ...WAITS_PER_MONTH.map((waits) => {
        const cost = costPerJobHourAt(strategy, waits);
        const times = costPerJobHourAt(base, waits) / cost;
        const factor = (value: number) => (value >= 10 ? value.toFixed(0) : value.toFixed(1));
        return `$${cost.toFixed(6)} (${times >= 1 ? `${factor(times)}x cheaper` : `${factor(1 / times)}x dearer`})`;
      }),
    ]);
  return markdownTable(
    [
      'strategy',
      'fixed a month',
      ...WAITS_PER_MONTH.map((waits) => `per job-hour, ${waits.toLocaleString('en-US')} waits/month`),
    ],
    rows,
  );
}

/** Registry writes per wait beside the polls, and what recording adds to the cost, strategy by strategy. */
function registryTable(plain: BenchResult, recorded: BenchResult): string {
  const rows = recorded.strategies.map((strategy) => {
    const without = plain.strategies.find((candidate) => candidate.name === strategy.name) as StrategyResult;
    return [
      strategy.name,
      strategy.pollsPerJob.toFixed(1),
      (strategy.registryWritesPerJob ?? 0).toFixed(1),
      `$${without.costPerJobHourUsd.toFixed(6)}`,
      `$${strategy.costPerJobHourUsd.toFixed(6)}`,
    ];
  });
  return markdownTable(
    ['strategy', 'polls/job', 'registry writes/job', 'cost per job-hour', 'with the registry'],
    rows,
  );
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] as string).length)),
  );
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function table(result: BenchResult): string {
  const base = result.baseline;
  const ratio = (value: number, baseValue: number) =>
    baseValue > 0 ? `${(value / baseValue).toFixed(2)}x` : '-';
  const header = [
    'strategy',
    'polls/job',
    'transitions/job',
    'cost per job-hour',
    'p50 detect',
    'p95 detect',
    'peak calls/s',
    'max history',
    'fail in AWS',
    'wrong end',
    'cost vs base',
    'p50 vs base',
  ];
  const rows = result.strategies.map((s: StrategyResult) => [
    s.name,
    fmt(s.pollsPerJob),
    fmt(s.transitionsPerJob),
    `$${s.costPerJobHourUsd.toFixed(6)}`,
    `${fmt(s.p50DetectionSeconds)} s`,
    `${fmt(s.p95DetectionSeconds)} s`,
    String(s.peakDescribeJobsPerSecond),
    String(s.maxHistoryEvents),
    String(s.failedRuns),
    String(s.wrongEndings),
    ratio(s.costPerJobHourUsd, base.costPerJobHourUsd),
    ratio(s.p50DetectionSeconds, base.p50DetectionSeconds),
  ]);
  return markdownTable(header, rows);
}

/** `--fleet n`: the load a fleet of event-mode waits puts on DescribeJobs, and a 30-day wait's history. */
async function fleetMain(waits: number, seed: number, json: boolean): Promise<number> {
  const started = Date.now();
  const machine = runnableWaiter(synthesizeWaiter({ waiter: { wakeUp: 'events' } }));
  const progress = (label: string) => (done: number, total: number) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${label}: ${done}/${total} waits`);
  };
  const rows: { label: string; result: FleetResult }[] = [];
  for (const [label, throttleProbability] of [
    ['no throttling', 0],
    ['DescribeJobs 50% throttled', 0.5],
  ] as const) {
    rows.push({
      label,
      result: await runFleet({
        machine,
        jobs: jobMix(waits, seed),
        random: seededRandom(seed),
        throttleProbability,
        onProgress: progress(label),
      }),
    });
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  // One wait of 30 days, parked between its backstops and sweeps: its one execution's history.
  const month = await runLocalWait({
    // The example waiter allows deadlines up to the construct's limit, as `stepwait local` does.
    machine: runnableWaiter(synthesizeWaiter({ waiter: { wakeUp: 'events', maxTimeout: MAX_MAX_TIMEOUT } })),
    jobDurationSeconds: 30 * 86_400,
    queueSeconds: 300,
    outcome: 'SUCCEEDED',
    timeoutSeconds: 31 * 86_400,
    random: seededRandom(seed),
  });
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ waits, seed, rows, thirtyDayWait: { status: month.status, executions: month.executions, historyEvents: month.historyEvents } })}\n`,
    );
    return 0;
  }
  const table = markdownTable(
    [
      'fleet',
      'waits',
      'wrong end',
      'DescribeJobs calls',
      'calls/s (mean)',
      'calls/s (busiest minute)',
      'throttled',
      'sweeps',
      'max history',
      'p50 detect',
      'p95 detect',
      'virtual time',
      'real time',
    ],
    rows.map(({ label, result }) => [
      label,
      String(result.waits),
      String(result.wrongEndings),
      String(result.describeJobsCalls),
      fmt(result.describeJobsPerSecond, 3),
      fmt(result.busiestMinutePerSecond, 2),
      String(result.throttledCalls),
      String(result.sweeps),
      String(result.maxHistoryEvents),
      `${fmt(result.p50DetectionSeconds)} s`,
      `${fmt(result.p95DetectionSeconds)} s`,
      `${fmt(result.virtualSeconds / 3600)} h`,
      `${fmt(result.realSeconds)} s`,
    ]),
  );
  process.stdout.write(
    `${waits} event-mode Batch waits starting together (durations log-uniform 1 min to 24 h, seed ${seed}) on one shared ` +
      `virtual clock: one local Batch, one park table, one waker, one sweeper every 5 minutes.\n\n${table}\n\n` +
      `A 30-day event-mode wait: ${month.status}${month.error ? ` (${month.error})` : ''} in ${month.executions} execution(s), ${month.historyEvents} history events ` +
      `(limit 25,000).   real time: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return rows.every(({ result }) => result.wrongEndings === 0) ? 0 : 1;
}

async function main(args: string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const { jobs, seed, concurrency, plotPath, system } = options;
  if (options.fleet !== undefined) return fleetMain(options.fleet, seed, options.json);

  const started = Date.now();
  const defaults = system === 'batch' ? DEFAULT_DELAYS : registeredJobSystem(system).model.defaultDelays;
  // Only Batch sends state-change events: the other systems' runs compare delay strategies alone.
  const strategies = benchStrategies(defaults).filter(
    (strategy) => system === 'batch' || strategy.events === undefined,
  );
  const common = {
    synthesized: synthesizeWaiter(system === 'batch' ? {} : { system }),
    ...(system === 'batch' ? { eventsSynthesized: synthesizeWaiter({ waiter: { wakeUp: 'events' } }) } : {}),
    seed,
    concurrency,
    onProgress: (name: string, done: number, total: number) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${name}: ${done}/${total} jobs`);
    },
  };
  const result = await runBenchmark({ ...common, strategies, jobs: jobMix(jobs, seed) });
  // Two-minute jobs alone: where event mode's fixed costs and parks weigh most against short polling.
  const short =
    system === 'batch'
      ? await runBenchmark({
          ...common,
          strategies: strategies.filter((strategy) =>
            ['aws-sample-30s', 'stepwait-default', 'events'].includes(strategy.name),
          ),
          jobs: jobMix(Math.min(jobs, 50), seed).map((job) => ({ ...job, durationSeconds: 120 })),
        })
      : undefined;
  // The same jobs waited for by the same waiters with a registry of waits: what recording them adds.
  const recorded =
    system === 'batch'
      ? await runBenchmark({
          ...common,
          synthesized: synthesizeWaiter({ registry: true }),
          eventsSynthesized: synthesizeWaiter({ registry: true, waiter: { wakeUp: 'events' } }),
          strategies: strategies.filter((strategy) => ['stepwait-default', 'events'].includes(strategy.name)),
          jobs: jobMix(jobs, seed),
        })
      : undefined;
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');

  if (plotPath !== undefined) {
    mkdirSync(dirname(plotPath), { recursive: true });
    writeFileSync(
      plotPath,
      frontierSvg(
        result.strategies,
        `Cost against detection latency: ${jobs} Batch jobs, 1 min to 24 h (seed ${seed})`,
      ),
    );
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(short === undefined ? result : { ...result, twoMinuteJobs: short, withRegistry: recorded })}\n`,
    );
  } else {
    const eventSections =
      short === undefined
        ? ''
        : `Event mode's fixed costs a month (the queue's idle polling, the sweeper every 5 minutes) spread over a month's waits, ` +
          `against the 30 s loop, per waited job-hour:\n\n${fixedCostTable(result)}\n\n` +
          `${short.jobs} two-minute jobs alone (the same queue times):\n\n${table(short)}\n\n${fixedCostTable(short)}\n\n` +
          (recorded === undefined
            ? ''
            : `The same ${jobs} jobs with a registry of waits (\`registry\`): it is written when a wait's status changes, not per poll:\n\n${registryTable(result, recorded)}\n\n`);
    process.stdout.write(
      `${jobs} jobs (durations log-uniform 1 min to 24 h, queue 10 s to 10 min, seed ${seed}), all starting together; ` +
        `each waited for by the same synthesized state machine (event rows: the same waiter with wakeUp 'events'), ` +
        `with stated Lambda, wake-up and event-delivery latencies.\n\n${table(result)}\n\n${eventSections}` +
        `${plotPath === undefined ? '' : `plot: ${plotPath}   `}real time: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  return 0;
}

// Run only as a program: tests import parseBenchOptions without starting a benchmark.
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
