import type { DelayStrategy } from '../../waiters';
import { LocalAppError } from './app-error';
import type { RunnableMachine, WaitSite } from './runnable-machine';

/** The simulated job's name: the business key a waiter that submits submits under. */
export const LOCAL_JOB_NAME = 'stepwait-local-job';

/** What every wait of a local run is asked for beyond its job (the request's optional fields). */
export interface RequestOptions {
  readonly timeoutSeconds?: number;
  readonly failOnTimeout?: boolean;
  /** Delay strategies by stage name; each wait gets those of its own stages as `overrides`. */
  readonly delays?: Readonly<Record<string, DelayStrategy>>;
}

/**
 * One wait's request (lambdas/wait-request.ts): a waiter that submits gets the business key, so it looks
 * the job up and submits it; any other waits for the simulated job by id.
 */
export function requestFor(wait: WaitSite, jobId: string | undefined, options: RequestOptions): object {
  const overrides = Object.fromEntries(
    wait.config.stages
      .filter((stage) => options.delays?.[stage] !== undefined)
      .map((stage) => [stage, { delay: options.delays?.[stage] }]),
  );
  const target =
    wait.config.submit !== undefined || jobId === undefined ? { jobName: LOCAL_JOB_NAME } : { jobId };
  return {
    ...target,
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    ...(options.failOnTimeout === undefined ? {} : { failOnTimeout: options.failOnTimeout }),
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
  };
}

/** The whole execution input (`$`, or the context object's copy of it), or the keys of a plain `$.a.b` path. */
function keysOf(inputPath: string): string[] | undefined {
  if (inputPath === '$' || inputPath === '$$.Execution.Input') return [];
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(inputPath)) return undefined;
  return inputPath.slice(2).split('.');
}

/**
 * The execution input that hands each of the machine's waits its request where its JobWaitFragment reads it
 * (`inputPath`), as if nothing before the fragment changed the state. A JobWaiter's input is the request
 * itself; a host that reads it at `$.load` gets `{ "load": <request> }`.
 * @throws LocalAppError if no single input does that (paths that overlap or are not plain), naming them
 */
export function defaultExecutionInput(
  machine: RunnableMachine,
  label: string,
  request: (wait: WaitSite) => object,
): unknown {
  const give = (why: string) =>
    new LocalAppError(
      `${label}: ${why}; give the execution input with --input '<JSON>' (the simulated job is named ${LOCAL_JOB_NAME}; --job-id sets its id)`,
    );
  if (machine.waits.length === 0)
    throw give('its waits run in machines it starts, and its own input is its own');
  let input: Record<string, unknown> | undefined;
  const placed = new Map<string, string>();
  for (const wait of machine.waits) {
    const keys = keysOf(wait.inputPath);
    if (keys === undefined)
      throw give(`a wait reads its request at ${wait.inputPath}, which is not a plain path`);
    const value = request(wait);
    const path = keys.join('.');
    const json = JSON.stringify(value);
    const earlier = placed.get(path);
    if (earlier !== undefined) {
      if (earlier !== json) throw give(`two waits read different requests at ${wait.inputPath}`);
      continue;
    }
    const overlapping = [...placed.keys()].find(
      (other) => other === '' || path === '' || other.startsWith(`${path}.`) || path.startsWith(`${other}.`),
    );
    if (overlapping !== undefined)
      throw give(`its waits read requests at overlapping paths (${wait.inputPath})`);
    placed.set(path, json);
    if (keys.length === 0) {
      input = { ...value };
      continue;
    }
    input ??= {};
    let node = input;
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = value;
  }
  return input;
}
