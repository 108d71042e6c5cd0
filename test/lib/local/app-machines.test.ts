import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalAppError } from '../../../lib/local/app-error';
import { batchAccountOf } from '../../../lib/local/batch-account';
import { type AssemblyStack, readCloudAssembly } from '../../../lib/local/cloud-assembly';
import { defaultExecutionInput, requestFor } from '../../../lib/local/execution-input';
import { chooseStateMachine, runnableChoice } from '../../../lib/local/machine-choice';
import { runnableMachine } from '../../../lib/local/runnable-machine';
import { checkStubs, parseStub } from '../../../lib/local/stubs';
import { type CfnTemplate, stateMachineDefinition } from '../../../lib/local/template';

/** A Poll task as JobWaitFragment writes it (lib/wait-fragment.ts), for a poller in the same template. */
function pollTask(config: object, next: string) {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: '__POLLER__',
      Payload: { schemaVersion: 3, config: JSON.stringify(config), 'state.$': '$' },
    },
    OutputPath: '$.Payload',
    Next: next,
  };
}

const waitConfig = (name: string, extra: object = {}) => ({
  name,
  stages: ['JobExists'],
  maxTimeoutSeconds: 604_800,
  ...extra,
});

/** A fragment with `prefix` reading its request at `inputPath`. */
function fragment(prefix: string, inputPath: string, config: object, next: string) {
  return {
    [`${prefix}Start`]: {
      Type: 'Pass',
      Parameters: { 'request.$': inputPath },
      Next: `${prefix}JobExists Poll`,
    },
    [`${prefix}JobExists Poll`]: pollTask(config, next),
  };
}

/** A template with state machines of the given ASL; `__POLLER__` becomes the poller function's ARN. */
function template(machines: Record<string, object>): CfnTemplate {
  const resources: CfnTemplate['Resources'] = { Poller: { Type: 'AWS::Lambda::Function' } };
  for (const [logicalId, definition] of Object.entries(machines)) {
    // The ARN as an Fn::GetAtt of the poller resolves to: the placeholder naming its logical id.
    const text = JSON.stringify(definition).replaceAll(
      '__POLLER__',
      'arn:aws:lambda:us-east-1:123456789012:function:Poller',
    );
    resources[logicalId] = {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { DefinitionString: text },
    };
  }
  return { Resources: resources };
}

const stack = (id: string, tpl: CfnTemplate, paths: Record<string, string> = {}): AssemblyStack => ({
  id,
  displayName: id,
  template: tpl,
  paths,
});

describe('reading machines out of a template', () => {
  it('gives Batch queues and definitions ARNs of their own shape, and parameters their defaults', () => {
    const tpl: CfnTemplate = {
      Parameters: { QueueName: { Type: 'String', Default: 'from-parameter' }, NoDefault: { Type: 'String' } },
      Resources: {
        Queue: { Type: 'AWS::Batch::JobQueue', Properties: { JobQueueName: 'etl' } },
        Definition: { Type: 'AWS::Batch::JobDefinition' },
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: {
              'Fn::Join': [
                '',
                [
                  '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"q":"',
                  { Ref: 'Queue' },
                  '","d":"',
                  { Ref: 'Definition' },
                  '","p":"',
                  { Ref: 'QueueName' },
                  '"},"End":true}}}',
                ],
              ],
            },
          },
        },
        Unset: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: { DefinitionString: { 'Fn::Join': ['', ['{"x":"', { Ref: 'NoDefault' }, '"}']] } },
        },
        Imported: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: { 'Fn::Join': ['', ['{"x":"', { 'Fn::ImportValue': 'QueueArn' }, '"}']] },
          },
        },
      },
    };
    expect((stateMachineDefinition(tpl, 'Machine').States.A as { Parameters: unknown }).Parameters).toEqual({
      q: 'arn:aws:batch:us-east-1:123456789012:job-queue/etl',
      d: 'arn:aws:batch:us-east-1:123456789012:job-definition/Definition:1',
      p: 'from-parameter',
    });
    expect(() => stateMachineDefinition(tpl, 'Unset')).toThrowError(
      /Ref NoDefault: a template parameter without a Default/,
    );
    expect(() => stateMachineDefinition(tpl, 'Imported')).toThrowError(
      /Fn::ImportValue "QueueArn": a value exported by another deployed stack/,
    );
  });

  it('sorts Tasks into what stepwait runs and what needs a stub, following the machines a task starts', () => {
    const config = waitConfig('Waiter');
    const tpl = template({
      Child: { StartAt: 'Start', States: fragment('', '$$.Execution.Input', config, 'Done') },
      Host: {
        StartAt: 'Own',
        States: {
          Own: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Next: 'Nested' },
          Nested: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Child' },
            Next: 'Start',
          },
          ...fragment('', '$.load', config, 'Submit'),
          Submit: {
            Type: 'Task',
            Resource: 'arn:aws:states:::batch:submitJob',
            Parameters: { JobQueue: 'q', JobDefinition: 'd', 'JobName.$': '$.name' },
            End: true,
          },
        },
      },
    });
    const host = runnableMachine(tpl, 'Host');
    expect(host.pollers).toEqual(['Poller']);
    expect(Object.keys(host.children)).toEqual(['arn:aws:states:us-east-1:123456789012:stateMachine:Child']);
    expect(host.ownTasks).toEqual([{ name: 'Own', calls: 'arn:aws:states:::dynamodb:putItem' }]);
    expect([...host.standInTasks].sort()).toEqual(['JobExists Poll', 'Nested', 'Submit']);
    expect(host.waits.map((wait) => wait.inputPath)).toEqual(['$.load']);
    expect(host.allWaits).toHaveLength(2);
    expect(host.submitTargets).toEqual([{ jobQueue: 'q', jobDefinition: 'd' }]);
    expect(() => checkStubs(host, 'Host', {})).toThrowError(
      /Host has Task states of its own.*\n {2}"Own" \(arn:aws:states:::dynamodb:putItem\)/,
    );
    expect(() => checkStubs(host, 'Host', { Own: {} })).not.toThrow();
  });
});

describe('choosing the machine', () => {
  const config = waitConfig('W');
  const segment = waitConfig('W', { acceptsHandOver: true });
  const tpl = template({
    Main: { StartAt: 'Start', States: fragment('', '$', config, 'Done') },
    Segment: { StartAt: 'Start', States: fragment('', '$$.Execution.Input', segment, 'Done') },
    Plain: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
  });
  const paths = {
    Main: 'A/Waiter/StateMachine/Resource',
    Segment: 'A/Waiter/SegmentStateMachine/Resource',
    Plain: 'A/Plain/Resource',
  };
  const stacks = [stack('A', tpl, paths), stack('B', tpl)];

  it('by construct path, from the app or its stack, skipping segment machines under a path', () => {
    expect(chooseStateMachine(stacks, 'A/Waiter').logicalId).toBe('Main');
    expect(chooseStateMachine(stacks, 'Waiter').logicalId).toBe('Main');
    expect(chooseStateMachine(stacks, '/A/Waiter/StateMachine/Resource').logicalId).toBe('Main');
    expect(chooseStateMachine(stacks, 'B/Main').stack.id).toBe('B');
  });

  it('refuses a logical id two stacks share, a machine that runs no wait, and a segment machine', () => {
    expect(() => chooseStateMachine(stacks, 'Main')).toThrowError(/matches several state machines/);
    expect(() => runnableChoice(chooseStateMachine(stacks, 'A/Plain'))).toThrowError(
      /A\/Plain runs no stepwait wait/,
    );
    expect(() => runnableChoice(chooseStateMachine(stacks, 'A/Waiter/SegmentStateMachine'))).toThrowError(
      /A\/Waiter\/SegmentStateMachine is a segment machine/,
    );
  });

  it('without --state-machine takes the one machine that runs waits, or lists them all', () => {
    expect(chooseStateMachine([stacks[0] as AssemblyStack]).logicalId).toBe('Main');
    expect(() => chooseStateMachine(stacks)).toThrowError(LocalAppError);
    expect(() => chooseStateMachine(stacks)).toThrowError(
      /several machines that run stepwait waits[\s\S]*A\/Plain \(logical id Plain, runs no stepwait wait\)/,
    );
  });
});

describe('the default execution input', () => {
  const machine = (paths: string[]) =>
    runnableMachine(
      template({
        M: {
          StartAt: 'a: Start',
          States: Object.assign(
            {},
            ...paths.map((path, index) =>
              fragment(
                `${'abc'[index]}: `,
                path,
                waitConfig(`w${index}`),
                index + 1 < paths.length ? `${'abc'[index + 1]}: Start` : 'Done',
              ),
            ),
            { Done: { Type: 'Succeed' } },
          ),
        },
      }),
      'M',
    );
  const request = (wait: { config: { name: string } }) => ({ jobId: wait.config.name });

  it('puts each request where its fragment reads it', () => {
    expect(defaultExecutionInput(machine(['$']), 'M', request)).toEqual({ jobId: 'w0' });
    expect(defaultExecutionInput(machine(['$.load.first', '$.other']), 'M', request)).toEqual({
      load: { first: { jobId: 'w0' } },
      other: { jobId: 'w1' },
    });
  });

  it('asks for --input when no single input can do that', () => {
    expect(() => defaultExecutionInput(machine(['$', '$.load']), 'M', request)).toThrowError(
      /overlapping paths/,
    );
    expect(() => defaultExecutionInput(machine(['$.jobs[0]']), 'M', request)).toThrowError(
      /not a plain path; give the execution input with --input/,
    );
  });

  it('asks a waiter that submits for the business key, any other for the job id, with the options', () => {
    const wait = {
      statePrefix: '',
      inputPath: '$',
      config: { ...waitConfig('w'), stages: ['JobExists', 'JobComplete'] } as never,
    };
    const delay = { kind: 'fixed', delay: 60 } as const;
    expect(
      requestFor(wait, 'job-1', { timeoutSeconds: 60, delays: { JobComplete: delay, Other: delay } }),
    ).toEqual({
      jobId: 'job-1',
      timeoutSeconds: 60,
      overrides: { JobComplete: { delay } },
    });
    const submits = { ...wait, config: { ...waitConfig('w'), submit: { jobQueue: 'q' } } as never };
    expect(requestFor(submits, 'job-1', { failOnTimeout: false })).toEqual({
      jobName: 'stepwait-local-job',
      failOnTimeout: false,
    });
  });
});

describe('app inputs', () => {
  const work = mkdtempSync(join(tmpdir(), 'stepwait-assembly-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("reads a cloud assembly's stacks, stages' nested assemblies too, with paths from its metadata", () => {
    const tpl = template({ Main: { StartAt: 'Start', States: fragment('', '$', waitConfig('w'), 'Done') } });
    mkdirSync(join(work, 'assembly-Prod'));
    writeFileSync(join(work, 'Top.template.json'), JSON.stringify(tpl));
    writeFileSync(join(work, 'assembly-Prod', 'ProdApi.template.json'), JSON.stringify(tpl));
    writeFileSync(
      join(work, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          Top: {
            type: 'aws:cloudformation:stack',
            properties: { templateFile: 'Top.template.json' },
            metadata: { '/Top/Waiter/StateMachine/Resource': [{ type: 'aws:cdk:logicalId', data: 'Main' }] },
          },
          'assembly-Prod': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Prod' } },
        },
      }),
    );
    writeFileSync(
      join(work, 'assembly-Prod', 'manifest.json'),
      JSON.stringify({
        artifacts: {
          ProdApi: {
            type: 'aws:cloudformation:stack',
            displayName: 'Prod/Api',
            properties: { templateFile: 'ProdApi.template.json' },
            additionalMetadataFile: 'ProdApi.metadata.json',
          },
        },
      }),
    );
    writeFileSync(
      join(work, 'assembly-Prod', 'ProdApi.metadata.json'),
      JSON.stringify({
        '/Prod/Api/Waiter/StateMachine/Resource': [{ type: 'aws:cdk:logicalId', data: 'Main' }],
      }),
    );
    const stacks = readCloudAssembly(work);
    expect(stacks.map((s) => [s.id, s.displayName, s.paths.Main])).toEqual([
      ['Top', 'Top', 'Top/Waiter/StateMachine/Resource'],
      ['ProdApi', 'Prod/Api', 'Prod/Api/Waiter/StateMachine/Resource'],
    ]);
    expect(chooseStateMachine(stacks, 'Prod/Api/Waiter').stack.id).toBe('ProdApi');
    expect(() => readCloudAssembly(join(work, 'assembly-Nope'))).toThrowError(/no manifest.json there/);
  });

  it('runs the local Batch in the one region and account the app names by ARN', () => {
    expect(batchAccountOf(['etl', 'arn:aws:batch:eu-west-1:111122223333:job-queue/etl'])).toEqual({
      region: 'eu-west-1',
      accountId: '111122223333',
    });
    expect(batchAccountOf(['etl'])).toEqual({ region: 'us-east-1', accountId: '123456789012' });
    expect(() =>
      batchAccountOf([
        'arn:aws:batch:eu-west-1:111122223333:job-queue/a',
        'arn:aws:batch:us-east-1:111122223333:job-definition/b:1',
      ]),
    ).toThrowError(/several regions or accounts \(eu-west-1\/111122223333, us-east-1\/111122223333\)/);
  });

  it('parses stubs as "<State name>=<JSON>"', () => {
    expect(parseStub('Notify={"MessageId":"m=1"}')).toEqual(['Notify', { MessageId: 'm=1' }]);
    expect(parseStub('Count=3')).toEqual(['Count', 3]);
    expect(() => parseStub('=3')).toThrowError(/expected "<State name>=<JSON result>"/);
    expect(() => parseStub('Notify=ok')).toThrowError(/--stub "Notify": the result must be JSON/);
  });
});
