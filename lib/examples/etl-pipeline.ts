import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, executionsWildcard, functionVersionsWildcard } from '../acknowledgements';
import type { JobWaiter } from '../job-waiter';
import { JobWaitFragment } from '../wait-fragment';

export interface EtlPipelineProps {
  /** The waiter to start nested (its state machine) and whose poller the inline wait shares. */
  readonly waiter: JobWaiter;
}

/**
 * An example host machine using stepwait both ways. Input: `{ extractJobId, load: { jobId } }`.
 * - Nested: "Wait For Extract" starts the JobWaiter's machine with `startExecution.sync:2` (associated with
 *   this execution) and gets its output parsed. A child failure arrives as `States.TaskFailed` whose Cause
 *   is the child's DescribeExecution JSON, with the child's `Error` (a `StepWait.*` name) and `Cause` in it;
 *   "Why Extract Failed" parses it and branches on the child's error.
 * - Inline: "Load: ..." is a JobWaitFragment chained into this machine under a state-name prefix, run in a
 *   Parallel so its output lands under `$.loadWait` next to the rest of the state.
 */
export class EtlPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: EtlPipelineProps) {
    super(scope, id);
    const waitForExtract = new tasks.StepFunctionsStartExecution(this, 'Wait For Extract', {
      stateMachine: props.waiter.stateMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      associateWithParent: true,
      input: sfn.TaskInput.fromObject({ jobId: sfn.JsonPath.stringAt('$.extractJobId') }),
      resultSelector: { 'status.$': '$.Output.status', 'jobs.$': '$.Output.jobs' },
      resultPath: '$.extract',
    });

    const readChildError = new sfn.Pass(this, 'Why Extract Failed', {
      parameters: { 'child.$': 'States.StringToJson($.extractError.Cause)' },
      resultPath: '$.extractFailure',
    });
    const extractTimedOut = new sfn.Fail(this, 'Extract Timed Out', {
      error: 'Pipeline.ExtractTimedOut',
      causePath: '$.extractFailure.child.Cause',
    });
    const extractFailed = new sfn.Fail(this, 'Extract Failed', {
      error: 'Pipeline.ExtractFailed',
      causePath: '$.extractFailure.child.Cause',
    });
    waitForExtract.addCatch(readChildError, { errors: ['States.TaskFailed'], resultPath: '$.extractError' });
    readChildError.next(
      new sfn.Choice(this, 'Extract Error?')
        .when(sfn.Condition.stringEquals('$.extractFailure.child.Error', 'StepWait.Timeout'), extractTimedOut)
        .otherwise(extractFailed),
    );

    const loadWait = new JobWaitFragment(this, 'LoadWait', {
      poller: props.waiter.pollerFunction,
      statePrefix: 'Load: ',
      inputPath: '$.load',
      waiterName: 'etl-pipeline-load',
      // A long load wait goes on in the waiter's segment machine, clear of this execution's history limit.
      continueIn: props.waiter.segmentStateMachine,
    });
    const waitForLoad = new sfn.Parallel(this, 'Wait For Load', {
      resultSelector: { 'result.$': '$[0]' },
      resultPath: '$.loadWait',
    }).branch(loadWait);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        waitForExtract.next(waitForLoad).next(new sfn.Succeed(this, 'Pipeline Done')),
      ),
    });
    loadWait.grantTo(this.stateMachine);
    acknowledge(
      this.stateMachine,
      'AwsSolutions-SF1',
      'An example machine: logging is left to the pipeline it stands for.',
    );
    acknowledge(
      this.stateMachine,
      'AwsSolutions-SF2',
      'An example machine: tracing is left to the pipeline it stands for.',
    );
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      'lambda:InvokeFunction on the shared poller and its versions (<arn>:*), as CDK grants it: no other function.',
      functionVersionsWildcard(props.waiter.pollerFunction),
    );
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      "startExecution.sync follows the executions it starts: DescribeExecution and StopExecution on the waiter's executions only.",
      executionsWildcard(props.waiter.stateMachine),
    );
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      "The inline wait hands long waits over: DescribeExecution and StopExecution on the segment machine's executions only.",
      executionsWildcard(props.waiter.segmentStateMachine),
    );
  }
}
