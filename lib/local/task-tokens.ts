import { randomBytes } from 'node:crypto';
import type { VirtualTimers } from './virtual-timers';

/**
 * Task tokens for local runs, which aws-local-stepfunctions does not have (`$$.Task.Token` is no value
 * there): one token minted per `.waitForTaskToken` task, held until SendTaskSuccess, SendTaskFailure or
 * the task's timeout on the virtual clock, answered as Step Functions answers (API Reference,
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, "Errors").
 */

/** An error as the Step Functions API names it; the loopback endpoint sends it as `__type`. */
export class TaskTokenError extends Error {
  constructor(
    readonly code: 'InvalidToken' | 'TaskTimedOut' | 'TaskDoesNotExist' | 'InvalidOutput',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** How a parked task ended: the output sent, or the error it fails with (States.Timeout on its timeout). */
export type TaskEnding = { output: unknown } | { error: string; cause?: string };

/** SendTaskSuccess's output is at most 256 KiB of JSON (Step Functions quotas; API Reference, `output`). */
export const MAX_TASK_OUTPUT_BYTES = 262_144;
/** A token is 1 to 2,048 characters (API Reference, `taskToken`). */
export const MAX_TASK_TOKEN_LENGTH = 2_048;

interface Task {
  stateName: string;
  ending?: TaskEnding;
  settle: (ending: TaskEnding) => void;
}

export class LocalTaskTokens {
  private readonly tasks = new Map<string, Task>();
  /** What every token's task was doing, in order: for tests and the live view. */
  readonly log: { token: string; stateName: string; ending?: TaskEnding; at: number }[] = [];

  constructor(private readonly timers: VirtualTimers) {}

  /**
   * A new task waiting for its token: `ended` settles on SendTaskSuccess/Failure, or with States.Timeout
   * after `timeoutSeconds` on the virtual clock.
   */
  mint(stateName: string, timeoutSeconds: number | undefined): { token: string; ended: Promise<TaskEnding> } {
    // Opaque and long, like AWS's; nothing may parse it.
    const token = `AQB${randomBytes(96).toString('base64url')}`;
    const entry = { token, stateName, at: this.timers.clock.now() } as (typeof this.log)[number];
    this.log.push(entry);
    const ended = new Promise<TaskEnding>((resolve) => {
      const task: Task = {
        stateName,
        settle: (ending) => {
          if (task.ending !== undefined) return;
          task.ending = ending;
          entry.ending = ending;
          timeout?.cancel();
          resolve(ending);
        },
      };
      this.tasks.set(token, task);
      const timeout =
        timeoutSeconds === undefined
          ? undefined
          : this.timers.after(timeoutSeconds, () =>
              task.settle({
                error: 'States.Timeout',
                cause: `The task timed out after ${timeoutSeconds} seconds.`,
              }),
            );
    });
    return { token, ended };
  }

  /** The task that holds `token`, open. @throws TaskTokenError as AWS would answer */
  private open(token: unknown): Task {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TASK_TOKEN_LENGTH) {
      throw new TaskTokenError('InvalidToken', 'Invalid token');
    }
    const task = this.tasks.get(token);
    if (task === undefined) throw new TaskTokenError('InvalidToken', 'Invalid token');
    if (task.ending !== undefined) throw new TaskTokenError('TaskTimedOut', 'Task Timed Out');
    return task;
  }

  sendTaskSuccess(token: unknown, output: unknown): void {
    const task = this.open(token);
    if (typeof output !== 'string' || Buffer.byteLength(output) > MAX_TASK_OUTPUT_BYTES) {
      throw new TaskTokenError(
        'InvalidOutput',
        `output: expected JSON of at most ${MAX_TASK_OUTPUT_BYTES} bytes`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new TaskTokenError('InvalidOutput', 'output: not valid JSON');
    }
    task.settle({ output: parsed });
  }

  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    const task = this.open(token);
    task.settle({
      error: typeof error === 'string' && error.length > 0 ? error : 'States.TaskFailed',
      ...(typeof cause === 'string' ? { cause } : {}),
    });
  }

  sendTaskHeartbeat(token: unknown): void {
    this.open(token);
  }

  /**
   * Ends a task that is over for another reason (its function failed, its execution stopped): a later
   * SendTaskSuccess with its token gets TaskTimedOut, as for any closed task.
   */
  close(token: string, why: string): void {
    this.tasks.get(token)?.settle({ error: 'States.Runtime', cause: why });
  }

  /** Tasks still waiting for their token. */
  get openTasks(): number {
    return [...this.tasks.values()].filter((task) => task.ending === undefined).length;
  }
}
