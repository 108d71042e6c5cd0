import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as sourceEntry from '../../index';
import { type CfnTemplate, functionLogicalId, stateMachinesIn } from '../../lib/local/template';

/**
 * stepwait as a consumer gets it: `npm pack` (prepack builds dist/), the tarball installed into a fresh CDK
 * app next to aws-cdk-lib and constructs, and `cdk synth` there, offline and without AWS credentials.
 */
const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'stepwait-pack-'));
const app = join(work, 'app');
const cdkOut = join(work, 'cdk.out');

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The versions this repo builds against, so the consumer gets the same ones (from the npm cache). */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** Runs a command to completion; returns its stdout and stderr together, throws with both on failure. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    const reason = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (${reason}):\n${output}`);
  }
  return output;
}

/**
 * Without AWS credentials (not even vitest's dummy ones) nothing can reach AWS; no notices, telemetry or
 * version check either.
 */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
    delete env[name];
  }
  return env;
}

const APP_TS = `import { App, Duration, Stack } from 'aws-cdk-lib';
import { type DelayStrategy, JobWaiter, type JobWaiterProps } from 'stepwait';

const complete: DelayStrategy = { kind: 'fixed', delay: 120, jitter: 10 };
const props: JobWaiterProps = { timeout: Duration.hours(12), delays: { JobComplete: complete } };

const app = new App();
const stack = new Stack(app, 'ConsumerStack');
new JobWaiter(stack, 'NightlyEtlWaiter', props);
app.synth();
`;

describe('the npm package in a fresh CDK app', () => {
  it('packs, installs, type-checks and synthesizes offline, bundling the poller from node_modules', () => {
    run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], root);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'stepwait-consumer', version: '1.0.0', private: true }),
    );
    writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    writeFileSync(join(app, 'app.ts'), APP_TS);

    run(
      'npm',
      [
        'install',
        join(work, tarball as string),
        `aws-cdk-lib@${installedVersion('aws-cdk-lib')}`,
        `constructs@${installedVersion('constructs')}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
      ],
      app,
    );
    const installed = join(app, 'node_modules', 'stepwait');
    // dist only: compiled JS, declarations and the waiter JSON; no TypeScript sources, no tests.
    for (const file of ['index.js', 'index.d.ts', 'waiters/batch/batch-waiters.json', 'lambdas/poll.js']) {
      expect(existsSync(join(installed, 'dist', file)), file).toBe(true);
    }
    expect(existsSync(join(installed, 'lambdas'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
    // aws-cdk-lib and constructs are peers: stepwait uses the app's copy, never one of its own.
    expect(existsSync(join(installed, 'node_modules', 'aws-cdk-lib'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules', 'constructs'))).toBe(false);
    // esbuild came with stepwait, so NodejsFunction bundles locally (there is no Docker to fall back to).
    expect(existsSync(join(app, 'node_modules', 'esbuild', 'package.json'))).toBe(true);

    // The package exports what the source entry does.
    const exported = JSON.parse(run('node', ['-p', "JSON.stringify(Object.keys(require('stepwait')))"], app));
    expect(exported.sort()).toEqual(Object.keys(sourceEntry).sort());

    // A TypeScript consumer compiles against the shipped declarations (the repo's tsc, the app's types).
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', '.'], app);

    const synth = run(
      join(root, 'node_modules', '.bin', 'cdk'),
      ['synth', '--no-notices', '--quiet', '-o', cdkOut],
      app,
      offlineEnv(),
    );
    expect(synth).toContain('Bundling asset ConsumerStack/NightlyEtlWaiter/Poller');
    expect(synth).not.toMatch(/docker/i);

    const template = JSON.parse(
      readFileSync(join(cdkOut, 'ConsumerStack.template.json'), 'utf8'),
    ) as CfnTemplate;
    const [machine] = stateMachinesIn(template);
    const states = Object.keys(machine?.definition.States as object);
    expect(states).toEqual(expect.arrayContaining(['JobExists Poll', 'JobRunning Poll', 'JobComplete Poll']));

    // The poller the Poll tasks invoke, and its asset: bundled by esbuild from node_modules/stepwait/dist.
    const poll = machine?.definition.States['JobExists Poll'] as { Parameters?: { FunctionName?: unknown } };
    const pollerId = functionLogicalId(poll.Parameters?.FunctionName);
    expect(pollerId).toBeDefined();
    const code = template.Resources[pollerId as string]?.Properties?.Code as { S3Key?: string } | undefined;
    expect(code?.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    const bundle = join(cdkOut, `asset.${code?.S3Key?.replace(/\.zip$/, '')}`, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    const bundled = readFileSync(bundle, 'utf8');
    expect(bundled).toContain('DescribeJobs');
    expect(bundled).toContain('missingJobIds');
  }, 240_000);
});
