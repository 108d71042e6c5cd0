import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { StepWaitStack, type StepWaitStackProps } from '../stepwait-stack';
import { engineFor, LocalMachine, type LocalMachineOptions, type LocalWaitResult } from './local-machine';
import type { AslDefinition, LocalRuntime, LocalStateMachine } from './local-state-machine';
import type { ChildMachine } from './nested-executions';
import { type RunnableMachine, runnableMachine } from './runnable-machine';
import { type CfnTemplate, placeholderArn, stateMachineLogicalId, stateMachinesIn } from './template';

export { batchIntegrations, localBatchClient } from './batch-integrations';
export type { LocalWaitResult } from './local-machine';

/** The waiter's state machine as `cdk synth` makes it, read back from the template. */
export interface SynthesizedWaiter {
  template: CfnTemplate;
  definition: AslDefinition;
  /** Logical id of the poller function the Poll tasks invoke. */
  pollerLogicalId: string;
  /** The placeholder ARN a parent uses to start the waiter's machine. */
  stateMachineArn: string;
  /** The segment machine a long wait continues in, started by the main machine's `Hand Over` task. */
  segment: { definition: AslDefinition; stateMachineArn: string };
  /** The example pipeline (nested and inline waits), when the stack deploys the examples. */
  pipeline?: AslDefinition;
}

/**
 * Synthesizes the app's stack (bin/app.ts builds the same StepWaitStack) in process. Bundling is skipped:
 * locally the poller runs from source, so the Lambda asset is never used.
 */
export function synthesizeWaiter(props: StepWaitStackProps = {}): SynthesizedWaiter {
  // Synthesis takes seconds; the same props give the same template, so synthesize each once per process.
  const key = JSON.stringify(props);
  let synthesized = synthesizedByProps.get(key);
  if (synthesized === undefined) {
    synthesized = synthesize(props);
    synthesizedByProps.set(key, synthesized);
  }
  return synthesized;
}

const synthesizedByProps = new Map<string, SynthesizedWaiter>();

function synthesize(props: StepWaitStackProps): SynthesizedWaiter {
  const outdir = mkdtempSync(join(tmpdir(), 'stepwait-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new StepWaitStack(app, 'StepWaitStack', props);
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const machineId = Stack.of(stack).getLogicalId(
      stack.waiter.stateMachine.node.defaultChild as CfnStateMachine,
    );
    const pollerLogicalId = Stack.of(stack).getLogicalId(
      stack.waiter.pollerFunction.node.defaultChild as CfnFunction,
    );
    const machines = stateMachinesIn(template);
    const machine = machines.find((candidate) => candidate.logicalId === machineId);
    if (machine === undefined) throw new Error(`state machine ${machineId} not found in the template`);
    const pipelineId =
      stack.pipeline &&
      Stack.of(stack).getLogicalId(stack.pipeline.stateMachine.node.defaultChild as CfnStateMachine);
    const pipeline = machines.find((candidate) => candidate.logicalId === pipelineId)?.definition;
    const segmentId = Stack.of(stack).getLogicalId(
      stack.waiter.segmentStateMachine.node.defaultChild as CfnStateMachine,
    );
    const segment = machines.find((candidate) => candidate.logicalId === segmentId);
    if (segment === undefined)
      throw new Error(`segment state machine ${segmentId} not found in the template`);
    return {
      template,
      definition: machine.definition,
      pollerLogicalId,
      stateMachineArn: placeholderArn(template, machineId),
      segment: { definition: segment.definition, stateMachineArn: placeholderArn(template, segmentId) },
      ...(pipeline ? { pipeline } : {}),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface LocalWaiterOptions extends Omit<LocalMachineOptions, 'machine' | 'stubs'> {
  synthesized: SynthesizedWaiter;
}

const runnableWaiters = new WeakMap<SynthesizedWaiter, RunnableMachine>();

/** The waiter's main machine, as a local run takes any machine of a template: with its segment machine. */
export function runnableWaiter(synthesized: SynthesizedWaiter): RunnableMachine {
  let machine = runnableWaiters.get(synthesized);
  if (machine === undefined) {
    const logicalId = stateMachineLogicalId(synthesized.stateMachineArn) as string;
    machine = runnableMachine(synthesized.template, logicalId);
    runnableWaiters.set(synthesized, machine);
  }
  return machine;
}

/** The engine for a synthesized waiter, built (and validated) once however many waits run on it. */
export function localMachineFor(synthesized: SynthesizedWaiter): LocalStateMachine {
  return engineFor(runnableWaiter(synthesized).definition);
}

/**
 * The JobWaiter state machine running here: real ASL, the shipped poller code, a virtual clock. Its
 * `Hand Over` task runs the segment machine's own ASL as a nested execution.
 */
export class LocalWaiter {
  readonly machine: LocalStateMachine;
  /** What its runs talk to: the clock, the poller in process, the Batch and nested-execution integrations. */
  readonly runtime: LocalRuntime;
  /** The segment machine hand-overs start; replace its `machine` to model a redeploy mid-wait. */
  readonly segment: ChildMachine;
  private readonly local: LocalMachine;

  constructor({ synthesized, ...options }: LocalWaiterOptions) {
    this.local = new LocalMachine({ ...options, machine: runnableWaiter(synthesized) });
    this.machine = this.local.engine;
    this.runtime = this.local.runtime;
    this.segment = this.local.children[synthesized.segment.stateMachineArn] as ChildMachine;
  }

  run(input: unknown): Promise<LocalWaitResult> {
    return this.local.run(input);
  }
}
