import { parseArgs } from 'node:util';
import { JOB_ID_PATTERN } from '../../lambdas/wait-request';
import { LocalAppError } from '../../lib/local/app-error';
import type { JobOutcome } from '../../lib/local/batch-emulator';
import { parseStub } from '../../lib/local/stubs';
import { EXAMPLE_SYSTEMS, type ExampleSystem } from '../../lib/stepwait-stack';
import { type DelayStrategy, DelayStrategyError, validateDelayStrategy } from '../../waiters';
import { attachNegativeValues, parseDurationSeconds, parseWholeNumber, UsageError } from './usage-error';

export const LOCAL_USAGE = `Usage: stepwait local [options]

Runs a real wait on this machine: starts a local AWS Batch (or DQOps) on 127.0.0.1, puts a simulated job
there and waits for it with a synthesized state machine on a virtual clock. By default the machine is the
JobWaiter of stepwait's example app; with --app, one of yours.

The job:
  --system <s>              batch | dqops | airbyte: the job system of the example app's waiter (default batch;
                            with --app, your machine's waits say which)
  --job-duration <s>        how long the job runs (default 7200; also 90s, 30m, 2h, 1d)
  --queue-time <s>          how long it queues first (default 120)
  --outcome <o>             SUCCEEDED | FAILED (default SUCCEEDED)
  --job-id <id>             the job's id, for --input and --stub results to name (default: a new UUID)
  --wake-up <mode>          poll | events: how the example app's Batch waiter waits between polls
                            (default poll); events parks each stage until the job's state-change
                            event (or the park's own timeout) wakes it
  --registry                record the wait in the example app's registry of waits (its table in
                            dynalite, written by the poller as deployed) and show how it sees the wait

The jobs page, locally:
  --ui                      deploy the example app with a registry of waits on 127.0.0.1 and leave it
                            running: simulated users (alice, bob, and ops, its admin) start waits through
                            the registry API, signed with their local keys, and each gets a jobs page
                            (stepwait ui's); a new wait starts every 15 minutes of its clock. Ctrl-C stops
                            it. Takes --speed, --wake-up and --seed only
  --speed <n>               with --ui: virtual seconds per real second, 1 to 3600 (default 60)

The wait (each request stepwait builds; not with --input):
  --timeout <s>             the wait's deadline, at most the waiter's maxTimeout (default: the waiter's
                            timeout; for the example app 24h, or the job's length plus 1h if longer)
  --no-fail-on-timeout      end a passed deadline normally with timedOut: true (outcome TIMED_OUT,
                            exit code 0)
  --delay <strategy>        fixed:<s>[:<jitter>] | exponential:<min>:<max>, for every stage, in whole
                            seconds: fixed waits from max(1, s - jitter) to s + jitter, with s from 1
                            and jitter from 0 up to s; exponential needs 1 <= min <= max (default: the
                            waiter's delays, for the example app DEFAULT_DELAYS)

Your app:
  --app <cdk.out | command> a cloud assembly folder, or the command that runs your CDK app (as in
                            cdk.json, e.g. "npx ts-node bin/app.ts"), synthesized here offline
  --state-machine <id>      the machine to run: its construct path (e.g. MyStack/NightlyWaiter) or
                            logical id (default: the app's one machine that runs stepwait waits)
  --stub <name>=<json>      the result of a Task state of your own that nothing here can run
                            (repeatable; a Lambda task's stub is the function's result)
  --input <json>            the execution input (default: each wait's request where its fragment
                            reads it; the job is named stepwait-local-job)
  --job-queue <name|arn>    a queue the local Batch has besides those your machine submits to; the
                            job goes to the first (repeatable; default stepwait-local-queue)
  --job-definition <ref>    likewise for job definitions (default stepwait-local-job:1)

Runs:
  --throttle <fraction>     share of Batch calls answered 429 TooManyRequests (0 to 1)
  --seed <n>                seed for jitter and faults (default 1)
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Exit codes: 0 the wait ended normally (with --no-fail-on-timeout also a passed deadline, reported as
outcome TIMED_OUT, as stepwait start --wait does), 1 it failed or timed out, 2 bad options (or an app
machine that cannot run here as asked).`;

export interface LocalCommandOptions {
  /** The example app's job system (not with --app). */
  system: ExampleSystem;
  /** How the example app's waiter waits between polls (not with --app). */
  wakeUp: 'poll' | 'events';
  /** The example app's waiter has a registry of waits (`--registry`). */
  registry: boolean;
  /** `--ui`: the example app deployed locally with a registry, its jobs pages, left running. */
  ui: boolean;
  /** With --ui: virtual seconds per real second. */
  speed: number;
  jobDurationSeconds: number;
  queueSeconds: number;
  outcome: JobOutcome;
  jobId?: string;
  timeoutSeconds?: number;
  failOnTimeout?: boolean;
  delay?: DelayStrategy;
  app?: string;
  stateMachine?: string;
  stubs: Record<string, unknown>;
  input?: unknown;
  jobQueues: string[];
  jobDefinitions: string[];
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

function parseJson(value: string, option: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`${option}: expected JSON, e.g. '{"jobId":"..."}': ${(error as Error).message}`);
  }
}

const LOCAL_OPTIONS = {
  system: { type: 'string' },
  'wake-up': { type: 'string' },
  registry: { type: 'boolean' },
  ui: { type: 'boolean' },
  speed: { type: 'string' },
  'job-duration': { type: 'string' },
  'queue-time': { type: 'string' },
  outcome: { type: 'string' },
  'job-id': { type: 'string' },
  timeout: { type: 'string' },
  'no-fail-on-timeout': { type: 'boolean' },
  delay: { type: 'string' },
  app: { type: 'string' },
  'state-machine': { type: 'string' },
  stub: { type: 'string', multiple: true },
  input: { type: 'string' },
  'job-queue': { type: 'string', multiple: true },
  'job-definition': { type: 'string', multiple: true },
  throttle: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options that take a value: a negative number after one is its value (`--timeout -1h`), refused by its own check. */
const TAKES_VALUE = new Set(
  Object.entries(LOCAL_OPTIONS)
    .filter(([, option]) => option.type === 'string')
    .map(([name]) => name),
);

export function parseLocalOptions(args: string[]): LocalCommandOptions | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: attachNegativeValues(args, TAKES_VALUE),
      strict: true,
      allowPositionals: false,
      options: LOCAL_OPTIONS,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help) return 'help';
  const text = (name: string) => values[name] as string | undefined;
  const list = (name: string) => (values[name] as string[] | undefined) ?? [];

  const outcome = (text('outcome') ?? 'SUCCEEDED').toUpperCase();
  if (outcome !== 'SUCCEEDED' && outcome !== 'FAILED') {
    throw new UsageError(`--outcome: expected SUCCEEDED or FAILED, got "${text('outcome')}"`);
  }
  const system = (text('system') ?? 'batch') as ExampleSystem;
  if (!EXAMPLE_SYSTEMS.includes(system)) {
    throw new UsageError(`--system: expected ${EXAMPLE_SYSTEMS.join(', ')}, got "${system}"`);
  }
  const wakeUp = text('wake-up') ?? 'poll';
  if (wakeUp !== 'poll' && wakeUp !== 'events') {
    throw new UsageError(`--wake-up: expected poll or events, got "${wakeUp}"`);
  }
  const options: LocalCommandOptions = {
    system,
    wakeUp,
    registry: values.registry === true,
    ui: values.ui === true,
    speed: 60,
    jobDurationSeconds: parseDurationSeconds(text('job-duration') ?? '7200', '--job-duration', 0),
    queueSeconds: parseDurationSeconds(text('queue-time') ?? '120', '--queue-time', 0),
    outcome,
    stubs: {},
    jobQueues: list('job-queue'),
    jobDefinitions: list('job-definition'),
    seed: 1,
    json: values.json === true,
  };
  const jobId = text('job-id');
  if (jobId !== undefined) {
    if (!JOB_ID_PATTERN.test(jobId)) {
      throw new UsageError(
        `--job-id: expected a Batch job id (1-128 letters, digits, ":", "#", "-", "_", the first a letter or digit), got "${jobId}"`,
      );
    }
    options.jobId = jobId;
  }
  if (text('timeout') !== undefined)
    options.timeoutSeconds = parseDurationSeconds(text('timeout') as string, '--timeout');
  if (values['no-fail-on-timeout']) options.failOnTimeout = false;
  if (text('delay') !== undefined) options.delay = parseDelayOption(text('delay') as string);

  if (text('app') !== undefined) options.app = text('app');
  if (text('system') !== undefined && options.app !== undefined) {
    throw new UsageError("--system: not with --app (your machine's waits say which system they poll)");
  }
  if (text('wake-up') !== undefined && options.app !== undefined) {
    throw new UsageError("--wake-up: not with --app (your machine's waits say how they wait)");
  }
  if (options.registry && options.app !== undefined) {
    throw new UsageError(
      "--registry: not with --app (your waiters' registry prop says whether they are recorded)",
    );
  }
  if (system !== 'batch') {
    const batchOnly = ['job-id', 'job-queue', 'job-definition', 'wake-up', 'registry'].filter(
      (name) => values[name] !== undefined,
    );
    if (batchOnly.length > 0) {
      throw new UsageError(
        `${batchOnly.map((name) => `--${name}`).join(', ')}: not with --system ${system} (it numbers its jobs itself and has no queues)`,
      );
    }
  }
  if (text('state-machine') !== undefined) {
    if (options.app === undefined) {
      throw new UsageError('--state-machine: give --app too (the cdk.out folder or the command of your app)');
    }
    options.stateMachine = text('state-machine');
  }
  for (const stub of list('stub')) {
    try {
      const [name, result] = parseStub(stub);
      if (name in options.stubs) throw new UsageError(`--stub ${JSON.stringify(name)}: given twice`);
      options.stubs[name] = result;
    } catch (error) {
      if (error instanceof LocalAppError) throw new UsageError(error.message);
      throw error;
    }
  }
  if (text('input') !== undefined) {
    const shaping = ['timeout', 'no-fail-on-timeout', 'delay'].filter((name) => values[name] !== undefined);
    if (shaping.length > 0) {
      throw new UsageError(
        `--input: the input is then yours, so put ${shaping.map((name) => `--${name}`).join(', ')} in it (timeoutSeconds, failOnTimeout, overrides)`,
      );
    }
    options.input = parseJson(text('input') as string, '--input');
  }

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
  const speed = text('speed');
  if (speed !== undefined) {
    if (!options.ui) throw new UsageError('--speed: only with --ui (a single run takes no real time at all)');
    options.speed = parseWholeNumber(speed, '--speed', 1, 3_600);
  }
  if (options.ui) {
    const others = Object.keys(values).filter(
      (name) => values[name] !== undefined && !['ui', 'speed', 'wake-up', 'seed'].includes(name),
    );
    if (others.length > 0) {
      throw new UsageError(
        `--ui: not with ${others.map((name) => `--${name}`).join(', ')} (it deploys the example app with a registry and runs its own waits; it takes --speed, --wake-up and --seed)`,
      );
    }
  }
  const seed = text('seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed)) throw new UsageError(`--seed: expected a whole number, got "${seed}"`);
    options.seed = Number(seed);
  }
  return options;
}
