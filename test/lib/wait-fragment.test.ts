import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { JobWaiter } from '../../lib/job-waiter';
import { stateMachinesIn } from '../../lib/local/template';
import { PollerFunction } from '../../lib/poller-function';
import { JobWaitFragment, MAX_STATE_NAME_LENGTH } from '../../lib/wait-fragment';

/** Bundling is skipped: these tests read the template, not the Lambda asset. */
function newStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Host');
}

function hostOf(stack: Stack, fragment: JobWaitFragment): sfn.StateMachine {
  const machine = new sfn.StateMachine(stack, 'HostMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(fragment),
  });
  fragment.grantTo(machine);
  return machine;
}

describe('continueIn: the segment machine must run the wait with the fragment’s own options', () => {
  it('refuses a machine stepwait did not build as a segment machine, by path and prop', () => {
    const stack = newStack();
    const poller = new PollerFunction(stack, 'Poller');
    const unrelated = new sfn.StateMachine(stack, 'Unrelated', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
    });
    expect(() => new JobWaitFragment(stack, 'Load', { poller, continueIn: unrelated })).toThrowError(
      "Host/Load: continueIn: expected a segment machine built by stepwait (JobWaiter's segmentStateMachine, or a JobWaitFragment's with ownSegmentMachine), got Host/Unrelated",
    );
  });

  it('refuses a JobWaiter’s segment machine when the options differ, naming each difference', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter');
    expect(
      () =>
        new JobWaitFragment(stack, 'Load', {
          poller: waiter.pollerFunction,
          waiterName: 'load',
          delays: { JobComplete: { kind: 'fixed', delay: 300 } },
          continueIn: waiter.segmentStateMachine,
        }),
    ).toThrowError(/^Host\/Load: continueIn: .* runs waits with other options \(name, delays\)/);
  });

  it('accepts a JobWaiter’s segment machine for a fragment with the very same options', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter', { waiterName: 'nightly', timeout: Duration.hours(6) });
    const fragment = new JobWaitFragment(stack, 'Inline', {
      poller: waiter.pollerFunction,
      waiterName: 'nightly',
      timeout: Duration.hours(6),
      continueIn: waiter.segmentStateMachine,
    });
    expect(fragment.pollerConfig).toEqual({
      ...waiter.segmentFragment.pollerConfig,
      acceptsHandOver: undefined,
    });
  });

  it('refuses a segment machine that would submit another job definition', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter', {
      waiterName: 'etl',
      submit: { jobDefinition: 'etl-job', jobQueue: 'etl-queue' },
    });
    expect(
      () =>
        new JobWaitFragment(stack, 'Inline', {
          poller: waiter.pollerFunction,
          waiterName: 'etl',
          submit: { jobDefinition: 'other-job', jobQueue: 'etl-queue' },
          continueIn: waiter.segmentStateMachine,
        }),
    ).toThrowError(/runs waits with other options \(submit\)/);
  });

  it('refuses continueIn together with ownSegmentMachine', () => {
    const stack = newStack();
    const waiter = new JobWaiter(stack, 'Waiter');
    expect(
      () =>
        new JobWaitFragment(stack, 'Load', {
          poller: waiter.pollerFunction,
          continueIn: waiter.segmentStateMachine,
          ownSegmentMachine: true,
        }),
    ).toThrowError('Host/Load: continueIn: give continueIn or ownSegmentMachine, not both');
  });
});

describe('ownSegmentMachine', () => {
  it('builds a segment machine with the fragment’s options and hands long waits over to it', () => {
    const stack = newStack();
    const poller = new PollerFunction(stack, 'Poller');
    const fragment = new JobWaitFragment(stack, 'Load', {
      poller,
      statePrefix: 'Load: ',
      waiterName: 'load',
      delays: { JobComplete: { kind: 'fixed', delay: 300, jitter: 10 } },
      ownSegmentMachine: true,
    });
    hostOf(stack, fragment);
    const segment = fragment.segmentStateMachine as sfn.StateMachine;
    expect(segment).toBeDefined();
    const template = Template.fromStack(stack);
    const machines = stateMachinesIn(template.toJSON() as never);
    const segmentId = stack.getLogicalId(segment.node.defaultChild as sfn.CfnStateMachine);
    const segmentDefinition = machines.find((machine) => machine.logicalId === segmentId)?.definition;
    const poll = (segmentDefinition?.States['JobComplete Poll'] ?? {}) as {
      Parameters?: { Payload?: { config?: string } };
    };
    const config = JSON.parse(poll.Parameters?.Payload?.config as string);
    expect(config).toEqual({ ...fragment.pollerConfig, acceptsHandOver: true });
    const host = machines.find((machine) => machine.logicalId.startsWith('HostMachine'))?.definition;
    expect(JSON.stringify(host?.States['Load: Hand Over'])).toContain(segmentId);
    // The segment's executions are logged like JobWaiter's: ERROR, without execution data.
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
    });
  });
});

describe('statePrefix', () => {
  it('refuses a prefix that would make a state name longer than 80 characters, saying how long it may be', () => {
    const stack = newStack();
    const poller = new PollerFunction(stack, 'Poller');
    // The longest state name without a prefix is "Report Failure As Output?" in segments; here "JobComplete Decide".
    const prefix = 'P'.repeat(MAX_STATE_NAME_LENGTH);
    let message = '';
    try {
      new JobWaitFragment(stack, 'Long', { poller, statePrefix: prefix });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Host\/Long: statePrefix: at most (\d+) characters here/);
    const allowed = Number(/at most (\d+)/.exec(message)?.[1]);
    expect(
      () => new JobWaitFragment(stack, 'Fits', { poller, statePrefix: 'P'.repeat(allowed) }),
    ).not.toThrow();
    expect(
      () => new JobWaitFragment(stack, 'OneTooMany', { poller, statePrefix: 'P'.repeat(allowed + 1) }),
    ).toThrowError(/statePrefix/);
  });
});
