import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, executionsWildcard } from '../acknowledgements';
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
 *   is the child's DescribeExecution JSON, with the child's `Error` (a `StepWait.*` name) and `Cause` in it.
 *   That JSON holds the child's input too and is cut at 32,768 characters, and other errors (a refused
 *   StartExecution) have plain-text causes, so "Extract Error?" never parses it: it matches the child's error
 *   name in the text and raises its own error with the whole Cause.
 * - Inline: "Load: ..." is a JobWaitFragment chained into this machine under a state-name prefix, run in a
 *   Parallel so its output lands under `$.loadWait` next to the rest of the state. Long load waits go on in
 *   a segment machine built with the fragment's own options (`ownSegmentMachine`).
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

    const extractTimedOut = new sfn.Fail(this, 'Extract Timed Out', {
      error: 'Pipeline.ExtractTimedOut',
      causePath: '$.extractError.Cause',
    });
    const extractFailed = new sfn.Fail(this, 'Extract Failed', {
      error: 'Pipeline.ExtractFailed',
      causePath: '$.extractError.Cause',
    });
    const hasCause = sfn.Condition.isPresent('$.extractError.Cause');
    waitForExtract.addCatch(
      new sfn.Choice(this, 'Extract Error?')
        .when(
          sfn.Condition.and(
            hasCause,
            sfn.Condition.stringMatches('$.extractError.Cause', '*"Error":"StepWait.Timeout"*'),
          ),
          extractTimedOut,
        )
        .when(hasCause, extractFailed)
        .otherwise(new sfn.Fail(this, 'Extract Not Started', { error: 'Pipeline.ExtractFailed' })),
      { errors: ['States.ALL'], resultPath: '$.extractError' },
    );

    const loadWait = new JobWaitFragment(this, 'LoadWait', {
      poller: props.waiter.pollerFunction,
      statePrefix: 'Load: ',
      inputPath: '$.load',
      waiterName: 'etl-pipeline-load',
      // A long load wait goes on in a segment machine of its own, clear of this execution's history limit.
      ownSegmentMachine: true,
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
      "startExecution.sync follows the executions it starts: DescribeExecution and StopExecution on the waiter's executions only.",
      executionsWildcard(props.waiter.stateMachine),
    );
  }
}
