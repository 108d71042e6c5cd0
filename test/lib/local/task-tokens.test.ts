import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStateMachine } from '../../../lib/local/local-state-machine';
import { LocalStepFunctionsEndpoint } from '../../../lib/local/step-functions-endpoint';
import { LocalTaskTokens } from '../../../lib/local/task-tokens';
import { VirtualClock } from '../../../lib/local/virtual-clock';
import { VirtualTimers } from '../../../lib/local/virtual-timers';

// Small hand-written machines test the harness itself; the product's ASL is only ever the synthesized one.
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:Parker';

/** Park (a token task with TimeoutSecondsPath), catching its timeout, then report how it ended. */
function parkMachine(timeoutSeconds: unknown) {
  return {
    StartAt: 'Set',
    States: {
      Set: { Type: 'Pass', Result: { parkSeconds: timeoutSeconds }, Next: 'Park' },
      Park: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', 'state.$': '$' } },
        TimeoutSecondsPath: '$.parkSeconds',
        ResultPath: '$.woken',
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Done' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.failed', Next: 'Done' },
        ],
        Next: 'Done',
      },
      Done: { Type: 'Pass', End: true },
    },
  };
}

let endpoint: LocalStepFunctionsEndpoint | undefined;
afterEach(async () => {
  await endpoint?.stop();
  endpoint = undefined;
});

function runtime() {
  const clock = new VirtualClock(0);
  const timers = new VirtualTimers(clock);
  const taskTokens = new LocalTaskTokens(timers);
  const tokens: string[] = [];
  return { clock, timers, taskTokens, tokens };
}

describe('task tokens in local runs', () => {
  it('ends a 7-day park by its timeout on the virtual clock, in well under a second of real time', async () => {
    const { clock, timers, taskTokens, tokens } = runtime();
    const started = Date.now();
    const result = await new LocalStateMachine(parkMachine(7 * 86_400)).run(
      {},
      {
        clock,
        timers,
        taskTokens,
        lambdas: { Parker: async (payload) => void tokens.push((payload as { token: string }).token) },
      },
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ timedOut: { Error: 'States.Timeout' } });
    expect(result.simulatedSeconds).toBe(7 * 86_400);
    // The function got a token minted for this task, never the engine's placeholder.
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatch(/^AQB[\w-]{100,}$/);
    // Entered, scheduled, started, submitted, timed out, exited (plus Pass 2 + Pass 2 + execution 2).
    expect(result.historyEvents).toBe(6 + 2 + 2 + 2);
  });

  it('ends a park when SendTaskSuccess comes through the Step Functions JSON protocol, and refuses a second', async () => {
    const { clock, timers, taskTokens } = runtime();
    endpoint = await LocalStepFunctionsEndpoint.start({ tokens: taskTokens });
    const sfn = endpoint.client();
    let token = '';
    // Something on the clock wakes the park an hour in: the clock moves to it, not to the timeout.
    const result = await new LocalStateMachine(parkMachine(86_400)).run(
      {},
      {
        clock,
        timers,
        taskTokens,
        lambdas: {
          Parker: async (payload) => {
            token = (payload as { token: string }).token;
            timers.after(3_600, async () => {
              await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
              await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"wokenBy":"event"}' }));
            });
          },
        },
      },
    );
    expect(result.output).toMatchObject({ woken: { wokenBy: 'event' } });
    expect(result.simulatedSeconds).toBe(3_600);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'AQBnot-a-token', output: '{}' })),
    ).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    sfn.destroy();
  });

  it('fails the task with SendTaskFailure’s error, and refuses output that is not JSON', async () => {
    const { clock, timers, taskTokens } = runtime();
    endpoint = await LocalStepFunctionsEndpoint.start({ tokens: taskTokens });
    const sfn = endpoint.client();
    const result = await new LocalStateMachine(parkMachine(600)).run(
      {},
      {
        clock,
        timers,
        taskTokens,
        lambdas: {
          Parker: async (payload) => {
            const { token } = payload as { token: string };
            await expect(
              sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' })),
            ).rejects.toMatchObject({
              name: 'InvalidOutput',
            });
            await sfn.send(
              new SendTaskFailureCommand({ taskToken: token, error: 'Job.Broken', cause: 'why' }),
            );
          },
        },
      },
    );
    expect(result.output).toMatchObject({ failed: { Error: 'Job.Broken', Cause: 'why' } });
    sfn.destroy();
  });

  it('fails the execution with States.Runtime for a TimeoutSecondsPath that is not a positive whole number', async () => {
    for (const bad of [0, 1.5, '60', 100_000_000]) {
      const { clock, timers, taskTokens } = runtime();
      const result = await new LocalStateMachine(parkMachine(bad)).run(
        {},
        { clock, timers, taskTokens, lambdas: { Parker: async () => undefined } },
      );
      expect(result.status, String(bad)).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
      expect(result.cause).toMatch(/TimeoutSecondsPath/);
    }
  });

  it('refuses a machine with a token task when the run has no task tokens', async () => {
    await expect(
      new LocalStateMachine(parkMachine(60)).run(
        {},
        { clock: new VirtualClock(0), lambdas: { Parker: async () => undefined } },
      ),
    ).rejects.toThrow(/waits for a task token/);
  });
});
