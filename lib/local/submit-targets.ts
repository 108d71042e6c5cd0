import type { BatchEmulator } from './batch-emulator';
import type { AslDefinition } from './local-state-machine';
import type { SynthesizedWaiter } from './local-waiter';

/** The job queue and job definition a `batch:submitJob` task of a state machine submits to. */
export interface SubmitTarget {
  readonly jobQueue: string;
  readonly jobDefinition: string;
}

/** The Step Functions Batch integration the waiter's `Submit Job` task uses (request-response). */
const SUBMIT_JOB_RESOURCE = /^arn:[a-z-]+:states:::batch:submitJob(\.sync)?$/;

interface StateDefinition {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: { States: Record<string, StateDefinition> }[];
  ItemProcessor?: { States: Record<string, StateDefinition> };
  Iterator?: { States: Record<string, StateDefinition> };
}

function statesIn(states: Record<string, StateDefinition>): StateDefinition[] {
  return Object.values(states).flatMap((state) => [
    state,
    ...(state.Branches ?? []).flatMap((branch) => statesIn(branch.States)),
    ...statesIn(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
  ]);
}

/**
 * Every queue and definition a definition's submit tasks name as fixed Parameters (`JobQueue`,
 * `JobDefinition`); one chosen at run time (`JobQueue.$`) cannot be known before the run and is left out.
 */
export function submitTargetsOf(definition: AslDefinition): SubmitTarget[] {
  const targets: SubmitTarget[] = [];
  for (const state of statesIn(definition.States as Record<string, StateDefinition>)) {
    if (state.Type !== 'Task' || !SUBMIT_JOB_RESOURCE.test(state.Resource ?? '')) continue;
    const { JobQueue, JobDefinition } = state.Parameters ?? {};
    if (typeof JobQueue === 'string' && typeof JobDefinition === 'string') {
      targets.push({ jobQueue: JobQueue, jobDefinition: JobDefinition });
    }
  }
  return targets;
}

/**
 * Registers in the emulator the queues and definitions a synthesized waiter submits to, as deploying its
 * stack next to existing Batch resources would find them. A queue or definition the emulator already knows
 * is left as it is, even DISABLED or INACTIVE (so a test can make the waiter's submit fail). Returns what
 * the waiter submits to.
 */
export function registerSubmitTargets(
  emulator: BatchEmulator,
  synthesized: SynthesizedWaiter,
): SubmitTarget[] {
  // The segment machine is the same fragment, so it names the same targets again: each is listed once.
  const all = [synthesized.definition, synthesized.segment.definition].flatMap(submitTargetsOf);
  const targets = all.filter(
    (target, index) =>
      all.findIndex(
        (other) => other.jobQueue === target.jobQueue && other.jobDefinition === target.jobDefinition,
      ) === index,
  );
  registerTargets(emulator, targets);
  return targets;
}

/** Registers each queue and definition the emulator does not know yet; known ones are left as they are. */
export function registerTargets(emulator: BatchEmulator, targets: readonly SubmitTarget[]): void {
  for (const { jobQueue, jobDefinition } of targets) {
    if (emulator.jobQueue(jobQueue) === undefined) emulator.registerJobQueue(jobQueue);
    if (!emulator.hasJobDefinition(jobDefinition)) emulator.registerJobDefinition(jobDefinition);
  }
}
