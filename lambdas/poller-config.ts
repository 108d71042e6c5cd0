import {
  type DelayRules,
  type DelayStrategy,
  DelayStrategyError,
  MAX_PARK_SECONDS,
  validateDelayStrategy,
  WaiterConfigError,
  WaiterModel,
  type WaiterModelConfig,
  type WaitPlan,
} from '../waiters';
import { checkBaseUrl } from './endpoints';
import { InvalidInputError } from './invalid-input';
import { DEFAULT_JOB_SYSTEM, type RegisteredJobSystem, registeredJobSystem } from './job-systems';
import type { WaitRequest } from './wait-request';

/**
 * How one waiter state machine waits, fixed when it is synthesized and passed to the poller in every
 * event (as a JSON string, so no key or value is ever read as a JSONPath). One poller function can thus
 * serve several machines, or two inline fragments of one machine, each with its own model and delays.
 */
export interface PollerConfig {
  /** Names the waiter in logs and metrics. */
  name: string;
  /** The job system waited on (lambdas/job-systems.ts). Absent in configs written before there were several: AWS Batch. */
  system?: string;
  /**
   * The base URL of a system reached over HTTP (DQOps): https, and one of the endpoints the poller's
   * environment allows (STEPWAIT_ENDPOINTS), which also say which secret goes with it.
   */
  endpoint?: string;
  /** Its waiters; every `operation` they name is a status call the system implements. */
  model: WaiterModelConfig;
  /** Waiter names of `model`, in order. */
  stages: string[];
  delays: Record<string, DelayStrategy>;
  /** Attempt limits set explicitly; other stages are bounded by the deadline alone. */
  maxAttempts: Record<string, number>;
  timeoutSeconds: number;
  maxTimeoutSeconds: number;
  failOnTimeout: boolean;
  /**
   * Polls per execution before the wait continues in a fresh execution of the segment machine (the
   * 25,000-event history limit). Absent: the wait never hands over.
   */
  pollBudget?: number;
  /**
   * The poller starts the job of a business key when none started since the wait began (Airbyte's
   * trigger-and-wait: the connection's sync).
   */
  trigger?: boolean;
  /** A segment machine: its first poll may continue a handed-over state (`{ handOver }`). */
  acceptsHandOver?: boolean;
  /** The machine terminates the jobs when the deadline passes (its TerminateJob step runs after the poll). */
  cancelJobOnTimeout?: boolean;
  /** Set when the machine submits the job itself: where business keys are looked up, and what to do. */
  submit?: SubmitConfig;
  /**
   * `events`: a stage that must wait parks in its `<Stage> Park` task until a job state-change event (or its
   * own timeout) wakes it (waiters/wake-up.ts). Absent: the stage waits its delay between polls.
   */
  wakeUp?: 'events';
  /** Event mode: the longest park before the stage polls on its own (default DEFAULT_PARK_BACKSTOP_SECONDS). */
  parkBackstopSeconds?: number;
  /**
   * A registry records this waiter's waits (JobWaiter's `registry`): the poller writes them to its table.
   * Other waits a shared poller runs (a fragment in a host machine) are not recorded: the registry can
   * neither start nor stop them.
   */
  recordedInRegistry?: boolean;
}

/** Submit-and-wait: the business key is the job name; an active or succeeded job is attached to. */
export interface SubmitConfig {
  jobQueue: string;
  /**
   * What the machine's `Submit Job` task submits (a name, `name:revision` or ARN). The poller does not use it;
   * it is here so that a segment machine submitting another definition is told apart at synth.
   */
  jobDefinition?: string;
  /** Submit again when the newest job with the name FAILED (else attach to it, and the wait fails). */
  resubmitFailed: boolean;
  /** SubmitJob parameters; an execution's `parameters` are merged over them. */
  parameters: Record<string, string>;
}

export interface ParsedPollerConfig {
  config: PollerConfig;
  model: WaiterModel;
  /** The system `config.system` names, with its status vocabulary and its I/O. */
  system: RegisteredJobSystem;
}

const parsedConfigs = new Map<string, ParsedPollerConfig>();

/** @param field within the config; '' for the config as a whole */
function fail(field: string, detail: string): never {
  throw new InvalidInputError(field === '' ? 'config' : `config.${field}`, detail);
}

/**
 * Checks a config object; the construct calls this at synth time (`current` rules), the poller on the
 * first event that carries it (`in-flight`: the config of a definition deployed earlier may hold delays
 * the rules of that time allowed).
 */
export function checkPollerConfig(
  config: PollerConfig,
  delayRules: DelayRules = 'current',
): ParsedPollerConfig {
  let model: WaiterModel;
  try {
    model = new WaiterModel(config.model);
  } catch (error) {
    if (error instanceof WaiterConfigError) fail(`model.${error.field}`, error.message);
    throw error;
  }
  if (config.system !== undefined && typeof config.system !== 'string') {
    fail('system', `expected a job system id, got ${JSON.stringify(config.system)}`);
  }
  const system = registeredJobSystem(config.system ?? DEFAULT_JOB_SYSTEM);
  if (system.endpoint === 'required') {
    if (checkBaseUrl(config.endpoint, 'config.endpoint') !== config.endpoint) {
      fail(
        'endpoint',
        `expected the base URL without a trailing slash, got ${JSON.stringify(config.endpoint)}`,
      );
    }
  } else if (config.endpoint !== undefined) {
    fail(
      'endpoint',
      `expected none: ${system.model.title} is not reached through a URL, got ${JSON.stringify(config.endpoint)}`,
    );
  }
  if (config.trigger !== undefined && (config.trigger !== true || !system.triggers)) {
    fail(
      'trigger',
      `expected none: ${system.model.title} jobs are not triggered by stepwait, got ${JSON.stringify(config.trigger)}`,
    );
  }
  if (!Array.isArray(config.stages) || config.stages.length === 0)
    fail('stages', 'expected at least one stage');
  for (const stage of config.stages) {
    if (!model.hasWaiter(stage))
      fail('stages', `unknown waiter ${JSON.stringify(stage)} (known: ${model.listWaiters().join(', ')})`);
    // The poller calls the operation a stage's waiter names: it must be one the system implements. A config
    // deployed before systems were pluggable (no `system`, in flight) never had it read, so it is not held to it.
    const { operation } = model.getWaiter(stage);
    const legacy = config.system === undefined && delayRules === 'in-flight';
    if (!legacy && !system.model.operations.includes(operation)) {
      fail(
        `model.waiters.${stage}.operation`,
        `a status operation ${system.model.title} implements (${system.model.operations.join(', ')}), got ${JSON.stringify(operation)}`,
      );
    }
    try {
      validateDelayStrategy(config.delays[stage], `delays.${stage}`, delayRules);
    } catch (error) {
      if (error instanceof DelayStrategyError) fail(error.field, error.detail);
      throw error;
    }
  }
  for (const [stage, max] of Object.entries(config.maxAttempts)) {
    if (!config.stages.includes(stage)) fail(`maxAttempts.${stage}`, 'not a stage of this waiter');
    if (!Number.isInteger(max) || max < 1)
      fail(`maxAttempts.${stage}`, `expected an integer >= 1, got ${max}`);
  }
  for (const key of ['timeoutSeconds', 'maxTimeoutSeconds'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1)
      fail(key, `expected whole seconds >= 1, got ${config[key]}`);
  }
  if (config.timeoutSeconds > config.maxTimeoutSeconds)
    fail('timeoutSeconds', 'must not exceed maxTimeoutSeconds');
  if (config.wakeUp !== undefined) {
    if (config.wakeUp !== 'events')
      fail('wakeUp', `expected "events" or none, got ${JSON.stringify(config.wakeUp)}`);
    if (system.model.stateChangeEvents === undefined) {
      fail(
        'wakeUp',
        `expected none: ${system.model.title} sends no job state-change events stepwait can wake on`,
      );
    }
  }
  if (
    config.parkBackstopSeconds !== undefined &&
    (config.wakeUp !== 'events' ||
      !Number.isInteger(config.parkBackstopSeconds) ||
      config.parkBackstopSeconds < 60 ||
      config.parkBackstopSeconds > MAX_PARK_SECONDS)
  ) {
    fail(
      'parkBackstopSeconds',
      `expected whole seconds from 60 to ${MAX_PARK_SECONDS}, with wakeUp "events", got ${config.parkBackstopSeconds}`,
    );
  }
  // Event mode: ~13 history events a poll and its park, ~24 when the park keeps failing (EVENT_MODE_POLL_BUDGET).
  if (config.wakeUp === 'events' && config.pollBudget !== undefined && config.pollBudget > 1_000) {
    fail(
      'pollBudget',
      `expected at most 1000 with wakeUp "events" (each park adds history), got ${config.pollBudget}`,
    );
  }
  // ~9 history events a poll: more than 2,500 polls would meet the 25,000-event limit before handing over.
  if (
    config.pollBudget !== undefined &&
    (!Number.isInteger(config.pollBudget) || config.pollBudget < 10 || config.pollBudget > 2_500)
  ) {
    fail('pollBudget', `expected an integer from 10 to 2500, got ${config.pollBudget}`);
  }
  return { config, model, system };
}

/** Parses and checks the JSON config an event carries; each distinct config is parsed once per container. */
export function parsePollerConfig(json: unknown): ParsedPollerConfig {
  if (typeof json !== 'string') fail('', 'expected the poller config as a JSON string');
  let parsed = parsedConfigs.get(json);
  if (parsed === undefined) {
    let config: PollerConfig;
    try {
      config = JSON.parse(json) as PollerConfig;
    } catch (error) {
      fail('', `not JSON: ${(error as Error).message}`);
    }
    parsed = checkPollerConfig(config, 'in-flight');
    parsedConfigs.set(json, parsed);
  }
  return parsed;
}

/** The plan of one execution: the config's stages and delays with the request's overrides applied. */
export function planFor(
  { config, model }: ParsedPollerConfig,
  overrides: WaitRequest['overrides'],
): WaitPlan {
  const delays: Record<string, DelayStrategy> = { ...config.delays };
  const maxAttempts: Record<string, number> = { ...config.maxAttempts };
  for (const [stage, override] of Object.entries(overrides)) {
    if (override.delay !== undefined) delays[stage] = override.delay;
    if (override.maxAttempts !== undefined) maxAttempts[stage] = override.maxAttempts;
  }
  return {
    model,
    stages: config.stages,
    delays,
    maxAttempts,
    ...(config.pollBudget === undefined ? {} : { pollBudget: config.pollBudget }),
  };
}
