import { parseArgs } from 'node:util';
import type { JobOutcome } from '../../lib/local/batch-emulator';
import { type LocalRunReport, type PollView, runLocalWait } from '../../lib/local/local-run';
import { runnableWaiter, synthesizeWaiter } from '../../lib/local/local-waiter';
import { seededRandom } from '../../lib/local/seeded-random';
import { MAX_MAX_TIMEOUT } from '../../lib/wait-fragment';
import { endedWaitExitCode } from '../../lib/wait-outcome';
import { BATCH_STAGES, type DelayStrategy, DelayStrategyError, validateDelayStrategy } from '../../waiters';
import { formatDuration, parseDurationSeconds, UsageError } from './usage-error';

export const LOCAL_USAGE = `Usage: stepwait local [options]

Runs a real wait on this machine: synthesizes the CDK app, starts a local AWS Batch on 127.0.0.1,
submits a simulated job and waits for it with the synthesized state machine on a virtual clock.

Options:
  --job-duration <s>        how long the job runs (default 7200; also 90s, 30m, 2h, 1d)
  --queue-time <s>          how long it queues first (default 120)
  --outcome <o>             SUCCEEDED | FAILED (default SUCCEEDED)
  --timeout <s>             the wait's deadline (default: 24h, or the job's length plus 1h if longer)
  --no-fail-on-timeout      end a passed deadline normally with timedOut: true (outcome TIMED_OUT,
                            exit code 0)
  --delay <strategy>        fixed:<s>[:<jitter>] | exponential:<min>:<max>, for every stage; fixed
                            waits from max(1, s - jitter) to s + jitter, with s >= 1 and jitter <= s
                            (default: stepwait's DEFAULT_DELAYS, see README "Choosing delays")
  --throttle <fraction>     share of Batch calls answered 429 TooManyRequests (0 to 1)
  --seed <n>                seed for jitter and faults (default 1)
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Exit codes: 0 the wait ended normally (with --no-fail-on-timeout also a passed deadline, reported as
outcome TIMED_OUT, as stepwait start --wait does), 1 it failed or timed out, 2 bad options.`;

export interface LocalCommandOptions {
  jobDurationSeconds: number;
  queueSeconds: number;
  outcome: JobOutcome;
  timeoutSeconds?: number;
  failOnTimeout?: boolean;
  delay?: DelayStrategy;
  throttle?: number;
  seed: number;
  json: boolean;
}

/** `fixed:<s>[:<jitter>]` or `exponential:<min>:<max>`. @throws UsageError */
export function parseDelayOption(value: string): DelayStrategy {
  const [kind, ...numbers] = value.split(':');
  const values = numbers.map((n) => (/^\d+$/.test(n) ? Number(n) : Number.NaN));
  let strategy: unknown;
  if (kind === 'fixed' && (values.length === 1 || values.length === 2)) {
    strategy = { kind, delay: values[0], ...(values.length === 2 ? { jitter: values[1] } : {}) };
  } else if (kind === 'exponential' && values.length === 2) {
    strategy = { kind, minDelay: values[0], maxDelay: values[1] };
  } else {
    throw new UsageError(`--delay: expected fixed:<s>[:<jitter>] or exponential:<min>:<max>, got "${value}"`);
  }
  try {
    validateDelayStrategy(strategy, '--delay');
  } catch (error) {
    if (error instanceof DelayStrategyError) throw new UsageError(`--delay ${value}: ${error.detail}`);
    throw error;
  }
  return strategy;
}

export function parseLocalOptions(args: string[]): LocalCommandOptions | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'job-duration': { type: 'string' },
        'queue-time': { type: 'string' },
        outcome: { type: 'string' },
        timeout: { type: 'string' },
        'no-fail-on-timeout': { type: 'boolean' },
        delay: { type: 'string' },
        throttle: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return 'help';
  const text = (name: string) => values[name] as string | undefined;

  const outcome = (text('outcome') ?? 'SUCCEEDED').toUpperCase();
  if (outcome !== 'SUCCEEDED' && outcome !== 'FAILED') {
    throw new UsageError(`--outcome: expected SUCCEEDED or FAILED, got "${text('outcome')}"`);
  }
  const options: LocalCommandOptions = {
    jobDurationSeconds: parseDurationSeconds(text('job-duration') ?? '7200', '--job-duration', 0),
    queueSeconds: parseDurationSeconds(text('queue-time') ?? '120', '--queue-time', 0),
    outcome,
    seed: 1,
    json: values.json === true,
  };
  if (text('timeout') !== undefined)
    options.timeoutSeconds = parseDurationSeconds(text('timeout') as string, '--timeout');
  if (values['no-fail-on-timeout']) options.failOnTimeout = false;
  if (text('delay') !== undefined) options.delay = parseDelayOption(text('delay') as string);
  const throttle = text('throttle');
  if (throttle !== undefined) {
    const fraction = Number(throttle);
    if (throttle.trim() === '' || !Number.isFinite(fraction) || fraction < 0 || fraction >= 1) {
      throw new UsageError(
        `--throttle: expected a fraction from 0 up to (not including) 1, got "${throttle}"`,
      );
    }
    options.throttle = fraction;
  }
  const seed = text('seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed)) throw new UsageError(`--seed: expected a whole number, got "${seed}"`);
    options.seed = Number(seed);
  }
  return options;
}

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether `err` is a terminal that can redraw a status line. */
  live: boolean;
}

/** One line per stage reached and per ending, plus (on a terminal) a status line redrawn as polls come in. */
function liveView(output: Output): (poll: PollView) => void {
  let stage = '';
  let lastDraw = 0;
  const clearLine = () => {
    if (output.live) output.err('\r\x1b[2K');
  };
  const line = (poll: PollView, text: string) => {
    clearLine();
    output.err(`  [${formatDuration(poll.virtualSeconds).padStart(10)}] ${text}\n`);
  };
  return (poll) => {
    const job = `job ${poll.jobStatus ?? 'not visible yet'}`;
    if (poll.state !== 'retry') {
      line(poll, `${poll.stage.padEnd(12)} ${poll.state} after ${poll.polls} polls, ${job}`);
      return;
    }
    if (poll.stage !== stage) {
      line(poll, `${poll.stage.padEnd(12)} waiting, ${job}`);
      stage = poll.stage;
    }
    const now = Date.now();
    if (output.live && now - lastDraw > 40) {
      lastDraw = now;
      clearLine();
      output.err(
        `  ${poll.stage}: attempt ${poll.attempt}, ${job}, virtual time ${formatDuration(poll.virtualSeconds)}, polls so far ${poll.polls}, next poll in ${poll.delaySeconds} s`,
      );
    }
  };
}

function summaryTable(report: LocalRunReport, realSeconds: number): string {
  const polls = BATCH_STAGES.filter((stage) => stage in report.polls)
    .map((stage) => `${stage} ${report.polls[stage]}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'outcome',
      report.error
        ? `${report.status} (${report.error})`
        : report.status === report.executionStatus
          ? report.status
          : `${report.status} (Step Functions: ${report.executionStatus})`,
    ],
    ['polls per stage', polls],
    ['state transitions', String(report.stateTransitions)],
    ['Lambda invocations', String(report.lambdaInvocations)],
    ['history events', `${report.historyEvents} (limit 25,000 per execution)`],
    ['executions', String(report.executions)],
    ['virtual time waited', formatDuration(report.simulatedSeconds)],
    [
      'detection latency',
      report.detectionLatencySeconds === null
        ? '-'
        : `${formatDuration(report.detectionLatencySeconds)} after the job ended`,
    ],
    ['throttled Batch calls', String(report.throttledCalls)],
    ['estimated AWS cost', `$${report.estimatedCostUsd.toFixed(6)}`],
    ['real time', `${realSeconds.toFixed(2)} s`],
  ];
  return rows.map(([name, value]) => `  ${name.padEnd(22)} ${value}`).join('\n');
}

/** Runs `stepwait local`; returns the exit code. */
export async function localCommand(args: string[], output: Output): Promise<number> {
  const options = parseLocalOptions(args);
  if (options === 'help') {
    output.out(`${LOCAL_USAGE}\n`);
    return 0;
  }
  const started = Date.now();
  if (!options.json) {
    output.err(
      `stepwait local: a ${formatDuration(options.jobDurationSeconds)} job (queued ${formatDuration(options.queueSeconds)}, ending ${options.outcome}) on a local AWS Batch\n`,
    );
  }
  // Local runs allow deadlines up to the construct's limit, so a month-long job can be simulated.
  const synthesized = synthesizeWaiter({ waiter: { maxTimeout: MAX_MAX_TIMEOUT } });
  const report = await runLocalWait({
    machine: runnableWaiter(synthesized),
    jobDurationSeconds: options.jobDurationSeconds,
    queueSeconds: options.queueSeconds,
    outcome: options.outcome,
    // Without --timeout the deadline leaves room for the simulated job: at least 24 h, else its length plus an hour.
    timeoutSeconds:
      options.timeoutSeconds ?? Math.max(86_400, options.queueSeconds + options.jobDurationSeconds + 3_600),
    failOnTimeout: options.failOnTimeout,
    delays: options.delay
      ? Object.fromEntries(BATCH_STAGES.map((stage) => [stage, options.delay as DelayStrategy]))
      : undefined,
    faults: options.throttle
      ? { throttleProbability: options.throttle, operations: ['DescribeJobs', 'ListJobs'] }
      : undefined,
    random: seededRandom(options.seed),
    onPoll: options.json ? undefined : liveView(output),
  });
  const realSeconds = (Date.now() - started) / 1000;
  if (options.json) {
    const { describeJobsCallSeconds: _calls, ...json } = report;
    output.out(`${JSON.stringify(json)}\n`);
  } else {
    if (output.live) output.err('\r\x1b[2K');
    output.out(`\n${summaryTable(report, realSeconds)}\n`);
  }
  return endedWaitExitCode(report.executionStatus);
}
