import { LocalAppError } from './app-error';
import type { RunnableMachine } from './runnable-machine';

/**
 * What a Task state nothing here can run returns instead, by state name: a host machine's own work (its
 * Lambda functions, SNS, DynamoDB, ...) around a JobWaitFragment. A stub of a Lambda invoke is the
 * function's result, answered in the `lambda:invoke` envelope as AWS would; any other is the integration's
 * result. Either then goes through the state's ResultSelector, ResultPath and OutputPath.
 */
export type TaskStubs = Readonly<Record<string, unknown>>;

/**
 * `<State name>=<JSON result>`, split at the first `=` (a state name holding `=` cannot be stubbed).
 * @throws LocalAppError naming what is wrong
 */
export function parseStub(text: string): [string, unknown] {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw new LocalAppError(`--stub: expected "<State name>=<JSON result>", got ${JSON.stringify(text)}`);
  }
  const name = text.slice(0, at);
  try {
    return [name, JSON.parse(text.slice(at + 1))];
  } catch (error) {
    throw new LocalAppError(
      `--stub ${JSON.stringify(name)}: the result must be JSON (e.g. '{"ok":true}', '"text"', 'null'): ${(error as Error).message}`,
    );
  }
}

/**
 * Refuses, before anything runs, stubs for states that are no Task of the machine or that stepwait runs
 * itself, and Tasks left without a stub (the engine would call AWS for them), naming every one.
 * @throws LocalAppError
 */
export function checkStubs(machine: RunnableMachine, label: string, stubs: TaskStubs): void {
  const own = new Set(machine.ownTasks.map((task) => task.name));
  for (const name of Object.keys(stubs)) {
    if (own.has(name)) continue;
    if (machine.standInTasks.includes(name)) {
      throw new LocalAppError(
        `--stub ${JSON.stringify(name)}: stepwait runs that state itself (a poll, Batch or a nested execution); stub only the machine's own tasks`,
      );
    }
    const tasks = [...own].map((task) => JSON.stringify(task)).join(', ');
    throw new LocalAppError(
      `--stub ${JSON.stringify(name)}: ${label} has no Task state of that name${own.size > 0 ? ` (its own: ${tasks})` : ' (it has no tasks of its own to stub)'}`,
    );
  }
  const unstubbed = machine.ownTasks.filter((task) => !(task.name in stubs));
  if (unstubbed.length > 0) {
    const list = unstubbed.map((task) => `  ${JSON.stringify(task.name)} (${task.calls})`).join('\n');
    throw new LocalAppError(
      `${label} has Task states of its own that nothing here can run (they would call AWS):\n${list}\nGive each a result with --stub "<State name>=<JSON result>", e.g. --stub ${JSON.stringify(`${unstubbed[0]?.name}={}`)}`,
    );
  }
}
