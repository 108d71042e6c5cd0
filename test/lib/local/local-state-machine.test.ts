import { describe, expect, it } from 'vitest';
import {
  ENGINE_TASK_TIMEOUT_SECONDS,
  engineStates,
  LocalStateMachine,
} from '../../../lib/local/local-state-machine';
import { VirtualClock } from '../../../lib/local/virtual-clock';

// Small hand-written machines test the harness itself; the product's ASL is only ever the synthesized one.
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:Worker';

function waitMachine(seconds: unknown) {
  return {
    StartAt: 'Set',
    States: {
      Set: { Type: 'Pass', Result: { delay: seconds }, Next: 'Pause' },
      Pause: { Type: 'Wait', SecondsPath: '$.delay', Next: 'Call' },
      Call: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: FN, 'Payload.$': '$' },
        ResultSelector: { 'seen.$': '$.Payload' },
        End: true,
      },
    },
  };
}

describe('LocalStateMachine', () => {
  it('advances the virtual clock by the real SecondsPath before the next state runs', async () => {
    const clock = new VirtualClock(0);
    const machine = new LocalStateMachine(waitMachine(7_200));
    const started = Date.now();
    const result = await machine.run(
      {},
      { clock, lambdas: { Worker: async (payload) => ({ payload, at: clock.now() }) } },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.status).toBe('SUCCEEDED');
    // The handler got the Payload of the lambda:invoke envelope and its result came back under Payload.
    expect(result.output).toEqual({ seen: { payload: { delay: 7_200 }, at: 7_200_000 } });
    expect(result.simulatedSeconds).toBe(7_200);
    expect(result.lambdaInvocations).toBe(1);
    // Pass 2 + Wait 2 + Task 5 + execution 2.
    expect(result.historyEvents).toBe(11);
    expect(result.stateTransitions).toBe(3);
  });

  it('refuses a SecondsPath that is not a whole number from 0 to 99999999, as AWS does', async () => {
    for (const bad of [1.5, -1, 100_000_000, '30']) {
      const machine = new LocalStateMachine(waitMachine(bad));
      const result = await machine.run(
        {},
        { clock: new VirtualClock(0), lambdas: { Worker: async () => ({}) } },
      );
      expect(result.status, String(bad)).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
      expect(result.cause).toMatch(/SecondsPath/);
    }
  });

  it('refuses to run a machine whose task has no local handler, so nothing can reach AWS', async () => {
    await expect(
      new LocalStateMachine(waitMachine(1)).run({}, { clock: new VirtualClock(0), lambdas: {} }),
    ).rejects.toThrowError(/invokes Lambda Worker, which has no local handler/);
    const submit = {
      StartAt: 'Submit',
      States: { Submit: { Type: 'Task', Resource: 'arn:aws:states:::batch:submitJob', End: true } },
    };
    await expect(
      new LocalStateMachine(submit).run({}, { clock: new VirtualClock(0), lambdas: {} }),
    ).rejects.toThrowError(/calls arn:aws:states:::batch:submitJob, which has no local handler/);
  });

  it('answers stubbed Tasks with their fixed result: a Lambda invoke in its envelope, anything else as it is', async () => {
    const machine = new LocalStateMachine({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, 'Payload.$': '$' },
          ResultSelector: { 'seen.$': '$.Payload' },
          ResultPath: '$.call',
          Next: 'Publish',
        },
        Publish: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sns:publish',
          Parameters: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'm' },
          ResultPath: '$.published',
          End: true,
        },
      },
    });
    const result = await machine.run(
      { input: 1 },
      {
        clock: new VirtualClock(0),
        lambdas: {},
        stubs: { Call: { rows: 5 }, Publish: { MessageId: 'local-1' } },
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    // The ResultSelector read the stub from the envelope's Payload, as it reads a real function's result.
    expect(result.output).toEqual({
      input: 1,
      call: { seen: { rows: 5 } },
      published: { MessageId: 'local-1' },
    });
    expect(result.lambdaInvocations).toBe(1);
  });

  it('reads a ResultPath of $ as AWS does: the result or the caught error replaces any input', async () => {
    const definition = {
      StartAt: 'Replace',
      States: {
        Replace: { Type: 'Pass', Result: { replaced: true }, ResultPath: '$', Next: 'Call' },
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, 'Payload.$': '$' },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', Parameters: { 'caught.$': '$' }, End: true },
      },
    };
    const failing = async () => {
      throw Object.assign(new Error('boom'), { name: 'Worker.Broken' });
    };
    for (const input of [{ kept: 1 }, null, 'text', [1]]) {
      const result = await new LocalStateMachine(definition).run(input, {
        clock: new VirtualClock(0),
        lambdas: { Worker: failing },
      });
      expect(result.status, JSON.stringify(input)).toBe('SUCCEEDED');
      // Not { $: ... } merged into the input, and no ResultPathMatchFailure for a non-object one.
      expect(result.output).toMatchObject({ caught: { Error: 'Worker.Broken' } });
      expect(Object.keys(result.output as object)).toEqual(['caught']);
    }
  });

  it('fails an execution past 25,000 history events, which the engine alone would let run', async () => {
    const loop = {
      StartAt: 'Tick',
      States: {
        Tick: { Type: 'Pass', Next: 'Again' },
        Again: {
          Type: 'Choice',
          Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'End' }],
          Default: 'Tick',
        },
        End: { Type: 'Succeed' },
      },
    };
    const result = await new LocalStateMachine(loop).run({}, { clock: new VirtualClock(0), lambdas: {} });
    expect(result.status).toBe('FAILED');
    expect(result.cause).toMatch(/maximum number of history events \(25000\)/);
    expect(result.historyEvents).toBe(25_002);
  });

  it('fails a state whose output exceeds 256 KiB', async () => {
    const machine = new LocalStateMachine(waitMachine(0));
    const result = await machine.run(
      {},
      { clock: new VirtualClock(0), lambdas: { Worker: async () => 'x'.repeat(300_000) } },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  it('retries a failing Lambda per the Retry field, counting retries and moving the clock by the backoff', async () => {
    const definition = {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, 'Payload.$': '$' },
          OutputPath: '$.Payload',
          Retry: [
            { ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3 },
          ],
          End: true,
        },
      },
    };
    let calls = 0;
    const clock = new VirtualClock(0);
    const machine = new LocalStateMachine(definition);
    const result = await machine.run(
      {},
      {
        clock,
        random: () => 0.5,
        lambdas: {
          Worker: async () => {
            calls++;
            if (calls <= 2) throw Object.assign(new Error('try again'), { name: 'Lambda.ServiceException' });
            return { calls };
          },
        },
      },
    );
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { calls: 3 },
      retries: 2,
      lambdaInvocations: 3,
    });
    // FULL jitter with random 0.5: 10 * 0.5 + 20 * 0.5.
    expect(result.simulatedSeconds).toBe(15);
    expect(result.stateTransitions).toBe(3);
  });

  it('reports a Fail state with its error and cause', async () => {
    const definition = {
      StartAt: 'Boom',
      States: { Boom: { Type: 'Fail', Error: 'StepWait.Timeout', Cause: '{"reason":"late"}' } },
    };
    const result = await new LocalStateMachine(definition).run(
      {},
      { clock: new VirtualClock(0), lambdas: {} },
    );
    expect(result).toMatchObject({
      status: 'TIMED_OUT',
      error: 'StepWait.Timeout',
      cause: '{"reason":"late"}',
    });
  });
});

describe('the definition the engine runs', () => {
  it("gives every Task a timeout it never reaches (the engine's own default is 60 real seconds)", () => {
    const definition: Record<string, unknown> = {
      Poll: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Limited' },
      Limited: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 5, Next: 'Pause' },
      Pause: { Type: 'Wait', Seconds: 90, End: true },
    };
    const states = engineStates(definition as Parameters<typeof engineStates>[0]);
    expect(states.Poll?.TimeoutSeconds).toBe(ENGINE_TASK_TIMEOUT_SECONDS);
    expect(states.Limited?.TimeoutSeconds).toBe(ENGINE_TASK_TIMEOUT_SECONDS);
    expect(states.Pause).not.toHaveProperty('TimeoutSeconds');
  });
});
