#!/usr/bin/env node
import '../lib/local/offline-env';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BenchResult,
  benchStrategies,
  jobMix,
  runBenchmark,
  type StrategyResult,
} from '../lib/local/benchmark';
import { frontierSvg } from '../lib/local/frontier-plot';
import { synthesizeWaiter } from '../lib/local/local-waiter';
import { DEFAULT_DELAYS } from '../lib/wait-fragment';

/**
 * `npm run bench`: the same synthesized state machine waits for a fixed job mix with several delay
 * strategies, and prints what each costs against how late it notices a finished job.
 */
const USAGE = `Usage: npm run bench -- [--jobs 200] [--seed 42] [--concurrency 8] [--plot docs/bench-frontier.svg] [--json]`;

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
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
    ratio(s.costPerJobHourUsd, base.costPerJobHourUsd),
    ratio(s.p50DetectionSeconds, base.p50DetectionSeconds),
  ]);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] as string).length)),
  );
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        jobs: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        plot: { type: 'string' },
        json: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const integer = (name: string, fallback: number) => {
    const text = values[name] as string | undefined;
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < 1)
      throw new Error(`--${name}: expected a whole number >= 1, got "${text}"`);
    return Number(text);
  };
  let jobs: number;
  let seed: number;
  let concurrency: number;
  try {
    jobs = integer('jobs', 200);
    seed = integer('seed', 42);
    concurrency = integer('concurrency', 8);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const plotPath = (values.plot as string | undefined) ?? 'docs/bench-frontier.svg';

  const started = Date.now();
  const result = await runBenchmark({
    synthesized: synthesizeWaiter(),
    strategies: benchStrategies(DEFAULT_DELAYS),
    jobs: jobMix(jobs, seed),
    seed,
    concurrency,
    onProgress: (name, done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${name}: ${done}/${total} jobs`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');

  mkdirSync(dirname(plotPath), { recursive: true });
  writeFileSync(
    plotPath,
    frontierSvg(
      result.strategies,
      `Cost against detection latency: ${jobs} Batch jobs, 1 min to 24 h (seed ${seed})`,
    ),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      `${jobs} jobs (durations log-uniform 1 min to 24 h, queue 10 s to 10 min, seed ${seed}), all starting together; ` +
        `each waited for by the same synthesized state machine.\n\n${table(result)}\n\n` +
        `plot: ${plotPath}   real time: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
