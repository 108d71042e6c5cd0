import { LocalAppError } from './app-error';
import type { AssemblyStack } from './cloud-assembly';
import { type RunnableMachine, runnableMachine } from './runnable-machine';
import { stateMachineIdsIn } from './template';

/** A state machine found in a synthesized app. */
export interface FoundMachine {
  readonly stack: AssemblyStack;
  readonly logicalId: string;
  /** Its construct path without the trailing `/Resource`, or undefined if the assembly has none. */
  readonly path: string | undefined;
  /** The machine ready to run, or why it cannot be read locally. */
  readonly machine: RunnableMachine | LocalAppError;
}

/** How the machine is named in messages: its construct path, else stack and logical id. */
export function labelOf(found: FoundMachine): string {
  return found.path ?? `${found.stack.displayName}/${found.logicalId}`;
}

/** Every state machine of every stack, read as far as it can be. */
export function stateMachinesOf(stacks: readonly AssemblyStack[]): FoundMachine[] {
  return stacks.flatMap((stack) =>
    stateMachineIdsIn(stack.template).map((logicalId) => {
      let machine: RunnableMachine | LocalAppError;
      try {
        machine = runnableMachine(stack.template, logicalId);
      } catch (error) {
        if (!(error instanceof LocalAppError)) throw error;
        machine = error;
      }
      const path = stack.paths[logicalId]?.replace(/\/Resource$/, '');
      return { stack, logicalId, path, machine };
    }),
  );
}

const isSegment = (found: FoundMachine) => !(found.machine instanceof Error) && found.machine.isSegment;
/** A machine a person would start: it runs stepwait waits of its own and is not a segment machine. */
const runsWaits = (found: FoundMachine) =>
  !(found.machine instanceof Error) && !found.machine.isSegment && found.machine.allWaits.length > 0;

/** The construct path, and the same within its stack (`NightlyWaiter/StateMachine` in `MyStack`). */
function pathsOf(found: FoundMachine): string[] {
  const { path } = found;
  if (path === undefined) return [];
  const prefix = `${found.stack.displayName}/`;
  return path.startsWith(prefix) ? [path, path.slice(prefix.length)] : [path];
}

function describeFound(found: FoundMachine): string {
  const notes = [
    `logical id ${found.logicalId}`,
    ...(found.machine instanceof Error
      ? [`not readable locally: ${found.machine.message}`]
      : found.machine.isSegment
        ? ['segment machine']
        : found.machine.allWaits.length === 0
          ? ['runs no stepwait wait']
          : []),
  ];
  return `  ${labelOf(found)} (${notes.join(', ')})`;
}

function listing(machines: readonly FoundMachine[]): string {
  return machines.length === 0 ? '  (none)' : machines.map(describeFound).join('\n');
}

/**
 * The machine `query` names: its logical id (alone or after its stack, `Stack/LogicalId`) or construct
 * path (with or without `/Resource`, from the app or from its stack), else the one machine under that
 * construct path, segment machines left out (a JobWaiter holds its main machine and its segment machine). Without a query, the app's one machine
 * that runs stepwait waits.
 * @throws LocalAppError if none or several match, listing the machines
 */
export function chooseStateMachine(stacks: readonly AssemblyStack[], query?: string): FoundMachine {
  const machines = stateMachinesOf(stacks);
  if (query === undefined) {
    const waiting = machines.filter(runsWaits);
    if (waiting.length === 1) return waiting[0] as FoundMachine;
    throw new LocalAppError(
      `${waiting.length === 0 ? 'no state machine in the app runs a stepwait wait' : 'the app has several machines that run stepwait waits'}; choose one with --state-machine <construct path or logical id>. State machines found:\n${listing(machines)}`,
    );
  }
  const wanted = query.replace(/^\/+|\/+$/g, '');
  const exact = machines.filter(
    (found) =>
      found.logicalId === wanted ||
      `${found.stack.displayName}/${found.logicalId}` === wanted ||
      `${found.stack.id}/${found.logicalId}` === wanted ||
      pathsOf(found).some((path) => path === wanted || `${path}/Resource` === wanted),
  );
  const matches =
    exact.length > 0
      ? exact
      : machines.filter(
          (found) => pathsOf(found).some((path) => path.startsWith(`${wanted}/`)) && !isSegment(found),
        );
  if (matches.length === 1) return matches[0] as FoundMachine;
  if (matches.length === 0) {
    throw new LocalAppError(
      `--state-machine ${JSON.stringify(query)} matches no state machine of the app. State machines found:\n${listing(machines)}`,
    );
  }
  throw new LocalAppError(
    `--state-machine ${JSON.stringify(query)} matches several state machines; give one's construct path or logical id:\n${listing(matches)}`,
  );
}

/**
 * The chosen machine, ready to run.
 * @throws LocalAppError if it cannot be read locally, is a segment machine, or runs no stepwait wait
 */
export function runnableChoice(found: FoundMachine): RunnableMachine {
  const { machine } = found;
  if (machine instanceof Error) throw machine;
  if (machine.isSegment) {
    throw new LocalAppError(
      `${labelOf(found)} is a segment machine: stepwait starts it when a long wait hands over; run the machine that starts it`,
    );
  }
  if (machine.allWaits.length === 0) {
    throw new LocalAppError(
      `${labelOf(found)} runs no stepwait wait (no Poll task of a JobWaitFragment, no JobWaiter it starts); stepwait local runs waits`,
    );
  }
  return machine;
}
