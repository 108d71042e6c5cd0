import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README's CDK examples ("In your own CDK code", "DQOps jobs"), copy-paste true: taken out of README.md as it stands, its
 * `declare const` lines made parameters, its `'stepwait'` import the package entry; then type-checked with
 * the repo's compiler and run in a stack with real Batch, SNS and IAM resources, under cdk-nag.
 */
const root = join(__dirname, '..', '..');
const generated = join(__dirname, '.generated');

afterAll(() => rmSync(generated, { recursive: true, force: true }));

/** The first TypeScript block after the heading. */
function snippetAfter(heading: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, heading).toBeGreaterThan(0);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(match).not.toBeNull();
  return (match as RegExpExecArray)[1] as string;
}

/** The snippet as a module: imports kept, `declare const` lines as the parameters of `build(this: Stack)`. */
function asModule(snippet: string): { source: string; parameters: string[] } {
  const lines = snippet.split('\n');
  const imports = lines.filter((line) => line.startsWith('import '));
  const declared = lines
    .map((line) => /^declare const (\w+): ([^;]+);/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null);
  const body = lines.filter((line) => !line.startsWith('import ') && !line.startsWith('declare const '));
  const source = [
    "import type { Stack } from 'aws-cdk-lib';",
    ...imports.map((line) => line.replace("from 'stepwait'", "from '../../../index'")),
    `export function build(this: Stack, ${declared.map(([, name, type]) => `${name}: ${type}`).join(', ')}): void {`,
    ...body.map((line) => `  ${line}`),
    '}',
    '',
  ].join('\n');
  return { source, parameters: declared.map(([, name]) => name as string) };
}

/** The resources a snippet's `declare const` lines stand for, made in `stack`. */
type Resources = (stack: Stack) => Record<string, unknown>;

const batchResources: Resources = (stack) => {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
  const compute = new batch.FargateComputeEnvironment(stack, 'Compute', { vpc });
  return {
    etlDefinition: new batch.EcsJobDefinition(stack, 'Etl', {
      container: new batch.EcsFargateContainerDefinition(stack, 'Container', {
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
        cpu: 0.25,
        memory: Size.mebibytes(512),
      }),
      timeout: Duration.hours(6),
    }),
    etlQueue: new batch.JobQueue(stack, 'Queue', {
      computeEnvironments: [{ computeEnvironment: compute, order: 1 }],
    }),
    onCallTopic: new sns.Topic(stack, 'OnCall'),
    someRole: new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() }),
    operators: new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() }),
  };
};

const dqopsResources: Resources = (stack) => {
  // The test's own VPC, so the pack has findings that are not stepwait's to show it ran.
  new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
  return { dqopsApiKey: new secretsmanager.Secret(stack, 'DqopsApiKey') };
};

const airbyteResources: Resources = (stack) => {
  new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
  return { airbyteClient: new secretsmanager.Secret(stack, 'AirbyteClient') };
};

const eventModeResources: Resources = (stack) => {
  new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
  return {};
};

const examples: [heading: string, file: string, resources: Resources, waiterPath: string][] = [
  ['### In your own CDK code', 'in-your-own-cdk-code.ts', batchResources, 'Consumer/NightlyEtlWaiter'],
  ['### DQOps jobs', 'dqops-jobs.ts', dqopsResources, 'Consumer/DataQualityWaiter'],
  ['### Airbyte syncs', 'airbyte-syncs.ts', airbyteResources, 'Consumer/SyncWaiter'],
  ["### Event mode: `wakeUp: 'events'`", 'event-mode.ts', eventModeResources, 'Consumer/NightlyWaiter'],
];

for (const [heading, fileName, resourcesIn, waiterPath] of examples) {
  describe(`the README example under "${heading}"`, () => {
    const { source, parameters } = asModule(snippetAfter(heading));
    mkdirSync(generated, { recursive: true });
    const file = join(generated, fileName);
    writeFileSync(file, source);

    it('type-checks against the package entry', () => {
      const tsc = spawnSync(
        join(root, 'node_modules', '.bin', 'tsc'),
        [
          '--noEmit',
          '--ignoreConfig',
          '--strict',
          '--skipLibCheck',
          '--target',
          'ES2022',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--types',
          'node',
          '--resolveJsonModule',
          file,
        ],
        { cwd: root, encoding: 'utf8', timeout: 120_000 },
      );
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      expect(tsc.status).toBe(0);
    }, 120_000);

    it('synthesizes with real resources, and cdk-nag finds nothing of stepwait’s own', async () => {
      const { build } = (await import(file)) as { build: (this: Stack, ...args: unknown[]) => void };
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
      const resources = resourcesIn(stack);
      expect(
        parameters.every((name) => name in resources),
        parameters.join(', '),
      ).toBe(true);
      build.call(stack, ...parameters.map((name) => resources[name]));
      expect(stack.node.tryFindChild(waiterPath.split('/')[1] as string)).toBeDefined();
      const report = new AwsSolutionsChecks(app).validateScope(app);
      const paths = (violation: (typeof report.violations)[number]) =>
        violation.violatingResources.map((resource) => resource.constructPath ?? '');
      // The test's own VPC raises findings: the pack ran.
      expect(report.violations.flatMap(paths).some((path) => path.startsWith('Consumer/Vpc'))).toBe(true);
      const ours = report.violations.filter((violation) =>
        paths(violation).some((path) => path.startsWith(waiterPath)),
      );
      expect(ours.map((violation) => `${violation.ruleName}: ${paths(violation).join(', ')}`)).toEqual([]);
    }, 120_000);
  });
}
