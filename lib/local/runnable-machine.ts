import type { PollerConfig } from '../../lambdas/poller-config';
import { firstPollStateName, pollEventOf, pollStateName } from '../../waiters';
import { LocalAppError } from './app-error';
import type { AslDefinition } from './local-state-machine';
import { DESCRIBE_EXECUTION, START_EXECUTION_SYNC_2 } from './nested-executions';
import { type SubmitTarget, submitTargetsOf } from './submit-targets';
import {
  type CfnTemplate,
  functionLogicalId,
  functionVariables,
  placeholderArn,
  resolveValue,
  stateMachineDefinition,
  stateMachineLogicalId,
} from './template';
import { type WakeUpRoutes, wakeUpRoutesIn } from './wake-up-routes';

/** Where a JobWaitFragment in a machine reads its request, and how it waits (its poll events' config). */
export interface WaitSite {
  /** The fragment's `statePrefix` ('' for none). */
  readonly statePrefix: string;
  /** Where its first poll (or its `Start` Pass) reads the request (`$`, `$.load`, `$$.Execution.Input`, ...). */
  readonly inputPath: string;
  readonly config: PollerConfig;
}

/** A Task state stepwait has no stand-in for: the host machine's own work, which needs a stub to run here. */
export interface OwnTask {
  readonly name: string;
  /** What it calls (its Resource, and for a Lambda invoke the function). */
  readonly calls: string;
}

/**
 * A state machine of a synthesized template with everything its Tasks reach, as a local run needs it: the
 * poller functions to run in process, the machines it starts (its segment machine, a JobWaiter it runs
 * nested), the Batch queues and definitions it submits to, and the Tasks nothing here can run.
 */
export interface RunnableMachine {
  /** The logical id, as placeholder ARNs name it. */
  readonly logicalId: string;
  readonly definition: AslDefinition;
  readonly stateMachineArn: string;
  /** Keys (function logical ids) of the Lambda functions its Poll tasks invoke: stepwait's poller. */
  readonly pollers: readonly string[];
  /** The machines its tasks (and theirs) start with startExecution.sync:2, by placeholder ARN. */
  readonly children: Readonly<Record<string, AslDefinition>>;
  /** The JobWaitFragments in the machine itself (not in the machines it starts). */
  readonly waits: readonly WaitSite[];
  /** Whether the machine is a segment machine (its waits take handed-over states): it is started by another. */
  readonly isSegment: boolean;
  /** Every wait it runs, its children's included. */
  readonly allWaits: readonly WaitSite[];
  /** Task states, its children's included, that need a stub: by state name. */
  readonly ownTasks: readonly OwnTask[];
  /** The Poll tasks of every wait it runs (children's included), by state name. */
  readonly pollTasks: readonly string[];
  /** Task states stepwait answers itself (polls, Batch and nested-execution integrations), by name. */
  readonly standInTasks: readonly string[];
  /** Queues and definitions its submit tasks (and its children's) name. */
  readonly submitTargets: readonly SubmitTarget[];
  /**
   * Each poller's stepwait environment (STEPWAIT_*) as the template sets it, resolved with placeholder ARNs:
   * the endpoints and secrets a poller of an HTTP job system may use, checked locally as when deployed.
   */
  readonly pollerEnvironments: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Where its waits' wake-ups come from, when any of them parks (`wakeUp: 'events'`). */
  readonly wakeUps?: WakeUpRoutes;
}

/** The STEPWAIT_* variables of a Lambda function in the template. */
function pollerEnvironment(template: CfnTemplate, logicalId: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(functionVariables(template, logicalId))
      .filter(([name]) => name.startsWith('STEPWAIT_'))
      .map(([name, value]) => [name, resolveValue(template, value)]),
  );
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** A Park task (event mode): the poller, invoked with a task token. */
const LAMBDA_INVOKE_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** The Step Functions integrations the local Batch answers (lib/local/local-waiter.ts batchIntegrations). */
const BATCH_INTEGRATIONS = [
  'arn:aws:states:::batch:submitJob',
  'arn:aws:states:::aws-sdk:batch:terminateJob',
];

interface StateDefinition {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: { States: Record<string, StateDefinition> }[];
  ItemProcessor?: { States: Record<string, StateDefinition> };
  Iterator?: { States: Record<string, StateDefinition> };
}

function allStates(states: Record<string, StateDefinition>): [string, StateDefinition][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, StateDefinition],
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch.States)),
    ...allStates(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
  ]);
}

/** A stepwait Poll (or Park) task: its poller config, and for a wait's first poll where it reads the request. */
interface PollTask {
  readonly config: PollerConfig;
  /** A `<Stage> First Poll`'s request path (its event's `state: { request.$ }`). */
  readonly requestPath?: string;
}

/** A stepwait Poll (or Park) task, recognised by its event (pollEventOf), or undefined for any other Task. */
function pollTaskOf(state: StateDefinition): PollTask | undefined {
  if (state.Resource !== LAMBDA_INVOKE && state.Resource !== LAMBDA_INVOKE_WAIT_FOR_TOKEN) return undefined;
  const event = pollEventOf(state.Parameters);
  if (event === undefined) return undefined;
  try {
    const config = JSON.parse(event.config) as PollerConfig;
    if (!Array.isArray(config.stages)) return undefined;
    return event.requestPath === undefined ? { config } : { config, requestPath: event.requestPath };
  } catch {
    return undefined;
  }
}

interface MachineParts {
  pollers: Set<string>;
  children: Map<string, AslDefinition>;
  ownTasks: OwnTask[];
  pollTasks: string[];
  standInTasks: string[];
  waits: WaitSite[];
  submitTargets: SubmitTarget[];
}

/** Sorts one machine's Task states into what stepwait answers and what needs a stub; follows started machines. */
function collect(
  template: CfnTemplate,
  logicalId: string,
  definition: AslDefinition,
  parts: MachineParts,
  visited: Set<string>,
): WaitSite[] {
  visited.add(logicalId);
  const states = allStates(definition.States as Record<string, StateDefinition>);
  const byName = new Map(states);
  const waits: WaitSite[] = [];
  for (const [name, state] of states) {
    if (state.Type !== 'Task') continue;
    const resource = state.Resource ?? '';
    const pollTask = pollTaskOf(state);
    if (pollTask !== undefined) {
      const { config } = pollTask;
      const pollerKey = functionLogicalId(state.Parameters?.FunctionName);
      if (pollerKey !== undefined && resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
        // A Park task: the poller again, waiting for its task token (lib/local/local-wake-ups.ts).
        parts.pollers.add(pollerKey);
        parts.standInTasks.push(name);
        continue;
      }
      if (pollerKey !== undefined) {
        parts.pollers.add(pollerKey);
        parts.pollTasks.push(name);
        parts.standInTasks.push(name);
        const firstStage = config.stages[0] as string;
        if (pollTask.requestPath !== undefined) {
          // A wait that starts with its own first poll.
          const statePrefix = name.slice(0, -firstPollStateName(firstStage).length);
          waits.push({ statePrefix, inputPath: pollTask.requestPath, config });
        } else if (name.endsWith(pollStateName(firstStage))) {
          // A segment machine, or one deployed before first polls had their own task: `Start` reads the request.
          const statePrefix = name.slice(0, -pollStateName(firstStage).length);
          const start = byName.get(`${statePrefix}Start`);
          const inputPath = start?.Parameters?.['request.$'];
          if (start !== undefined) {
            waits.push({ statePrefix, inputPath: typeof inputPath === 'string' ? inputPath : '$', config });
          }
        }
        continue;
      }
    }
    if (BATCH_INTEGRATIONS.includes(resource) || resource === DESCRIBE_EXECUTION) {
      parts.standInTasks.push(name);
      continue;
    }
    const childId =
      resource === START_EXECUTION_SYNC_2
        ? stateMachineLogicalId(state.Parameters?.StateMachineArn)
        : undefined;
    if (childId !== undefined && template.Resources[childId] !== undefined) {
      parts.standInTasks.push(name);
      if (!visited.has(childId)) {
        const child = stateMachineDefinition(template, childId);
        parts.children.set(placeholderArn(template, childId), child);
        collect(template, childId, child, parts, visited);
      }
      continue;
    }
    const functionName = state.Parameters?.FunctionName;
    const calls =
      resource === LAMBDA_INVOKE && functionName !== undefined
        ? `${resource} ${functionLogicalId(functionName) ?? String(functionName)}`
        : resource;
    parts.ownTasks.push({ name, calls });
  }
  parts.waits.push(...waits);
  parts.submitTargets.push(...submitTargetsOf(definition));
  return waits;
}

/** Each target once, in the order first named. */
function distinct(targets: SubmitTarget[]): SubmitTarget[] {
  return targets.filter(
    (target, index) =>
      targets.findIndex(
        (other) => other.jobQueue === target.jobQueue && other.jobDefinition === target.jobDefinition,
      ) === index,
  );
}

/**
 * The state machine `logicalId` of a synthesized template, ready to run here.
 * @throws LocalAppError if its definition (or a started machine's) cannot be read locally
 */
export function runnableMachine(template: CfnTemplate, logicalId: string): RunnableMachine {
  const parts: MachineParts = {
    pollers: new Set(),
    children: new Map(),
    ownTasks: [],
    pollTasks: [],
    standInTasks: [],
    waits: [],
    submitTargets: [],
  };
  let definition: AslDefinition;
  let waits: WaitSite[];
  try {
    definition = stateMachineDefinition(template, logicalId);
    waits = collect(template, logicalId, definition, parts, new Set());
  } catch (error) {
    if (error instanceof LocalAppError) throw error;
    throw new LocalAppError(`state machine ${logicalId}: ${(error as Error).message}`);
  }
  return {
    logicalId,
    definition,
    stateMachineArn: placeholderArn(template, logicalId),
    pollers: [...parts.pollers],
    children: Object.fromEntries(parts.children),
    waits,
    isSegment: waits.some((wait) => wait.config.acceptsHandOver === true),
    allWaits: parts.waits,
    ownTasks: parts.ownTasks,
    pollTasks: [...new Set(parts.pollTasks)],
    standInTasks: [...new Set(parts.standInTasks)],
    submitTargets: distinct(parts.submitTargets),
    pollerEnvironments: Object.fromEntries(
      [...parts.pollers].map((id) => [id, pollerEnvironment(template, id)]),
    ),
    ...(parts.waits.some((wait) => wait.config.wakeUp === 'events')
      ? { wakeUps: wakeUpRoutesIn(template) }
      : {}),
  };
}
