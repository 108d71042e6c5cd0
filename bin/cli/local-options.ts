import { parseArgs } from 'node:util';
import type { JobOutcome } from '../../lib/local/batch-emulator';
import { type DelayStrategy, DelayStrategyError, validateDelayStrategy } from '../../waiters';
import { parseDurationSeconds, UsageError } from './usage-error';

export const LOCAL_USAGE = `Usage: stepwait local [options]

Runs a real wait on this machine: synthesizes the CDK app, starts a local AWS Batch on 127.0.0.1,
submits a simulated job and waits for it with the synthesized state machine on a virtual clock.

Options:
  --job-duration <s>        how long the job runs (default 7200; also 90s, 30m, 2h, 1d)
  --queue-time <s>          how long it queues first (default 120)
  --outcome <o>             SUCCEEDED | FAILED (default SUCCEEDED)
  --timeout <s>             the wait's deadline, at most the waiter's maxTimeout (364 days) (default:
                            24h, or the job's length plus 1h if longer)
  --no-fail-on-timeout      end a passed deadline normally with timedOut: true (outcome TIMED_OUT,
                            exit code 0)
  --delay <strategy>        fixed:<s>[:<jitter>] | exponential:<min>:<max>, for every stage, in whole
                            seconds: fixed waits from max(1, s - jitter) to s + jitter, with s from 1
                            and jitter from 0 up to s; exponential needs 1 <= min <= max (default:
                            stepwait's DEFAULT_DELAYS, see README "Choosing delays")
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

const DELAY_FORMS =
  'fixed:<s>[:<jitter>] (s from 1, jitter from 0 up to s) or exponential:<min>:<max> (1 <= min <= max), in whole seconds';

/** `fixed:<s>[:<jitter>]` or `exponential:<min>:<max>`. @throws UsageError saying what is allowed */
export function parseDelayOption(value: string): DelayStrategy {
  const [kind, ...parts] = value.split(':');
  // A part that is no whole number stays text, so the refusal quotes it as given ("-5", not null).
  const values = parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  let strategy: unknown;
  if (kind === 'fixed' && (values.length === 1 || values.length === 2)) {
    strategy = { kind, delay: values[0], ...(values.length === 2 ? { jitter: values[1] } : {}) };
  } else if (kind === 'exponential' && values.length === 2) {
    strategy = { kind, minDelay: values[0], maxDelay: values[1] };
  } else {
    throw new UsageError(`--delay: expected ${DELAY_FORMS}, got "${value}"`);
  }
  try {
    validateDelayStrategy(strategy, '--delay');
  } catch (error) {
    if (error instanceof DelayStrategyError) {
      const part = error.field.replace(/^--delay\./, '');
      throw new UsageError(`--delay ${value}: ${part}: ${error.detail} (allowed: ${DELAY_FORMS})`);
    }
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
