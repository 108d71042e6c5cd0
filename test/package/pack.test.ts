import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sourceEntry from '../../index';
import { type CfnTemplate, functionLogicalId, stateMachinesIn } from '../../lib/local/template';

/**
 * stepwait as a consumer gets it: `npm pack` (the prepare script builds dist/), the tarball installed into
 * a fresh CDK app next to aws-cdk-lib and constructs, the realistic stack of test/fixtures/consumer-app.ts
 * compiled against it, `cdk synth` there, offline and without AWS credentials, and the installed CLI run
 * on that app (`stepwait local --app`).
 */
const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'stepwait-pack-'));
const app = join(work, 'app');
const cdkOut = join(app, 'cdk.out');
const extracted = join(work, 'extracted');

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The versions this repo builds against, so the consumer gets the same ones (from the npm cache). */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Ran {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  if (result.error) throw new Error(`${command} ${args.join(' ')} could not run: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Runs a command to completion; returns its stdout and stderr together, throws with both on failure. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = exec(command, args, cwd, env);
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status}):\n${output}`);
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

/** The installed CLI, as `npx stepwait` runs it in the consumer's app. */
function stepwait(args: string[]): Ran {
  return exec(join(app, 'node_modules', '.bin', 'stepwait'), args, app, offlineEnv());
}

function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The package a module specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for a file or a builtin. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  return builtinModules.includes(name) ? undefined : name;
}

let tarball: string;
let packedFiles: string[];

beforeAll(() => {
  // `npm pack --json` lists exactly what `npm pack --dry-run --json` does (the same packlist), and leaves the
  // tarball to install; the prepare script's output goes to stderr.
  const pack = exec('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], root);
  expect(pack.status, pack.stderr).toBe(0);
  const packed = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0]?.filename as string);
  packedFiles = (packed[0]?.files ?? []).map((file) => file.path);
  mkdirSync(extracted);
  run('tar', ['-xzf', tarball, '-C', extracted], work);
}, 240_000);

describe('the npm package', () => {
  it('ships compiled dist only: no tests, no TypeScript sources, no benchmark or fault-suite modules', () => {
    for (const file of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/bin/stepwait.js',
      'dist/bin/cli/local-command.js',
      'dist/lambdas/poll.js',
      'dist/lib/local/local-run.js',
      'dist/waiters/batch/batch-waiters.json',
    ]) {
      expect(packedFiles, file).toContain(file);
    }
    const outside = packedFiles.filter(
      (file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(file),
    );
    expect(outside).toEqual([]);
    expect(packedFiles.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(packedFiles.filter((file) => /(^|\/)test\/|\.test\.|\.slow\./.test(file))).toEqual([]);
    // `npm run bench` and `npm run faults` are the repo's tools: their modules need dev packages (fast-check).
    for (const module of [
      'fault-scenarios',
      'event-faults',
      'callback-faults',
      'fleet',
      'benchmark',
      'frontier-plot',
      'in-pool',
      'registry-faults',
    ]) {
      expect(packedFiles).not.toContain(`dist/lib/local/${module}.js`);
    }
    expect(packedFiles).not.toContain('dist/bin/bench.js');
    expect(packedFiles).not.toContain('dist/bin/faults.js');
  });

  it('requires at run time only its dependencies and peer dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(extracted, 'package', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared: string[] = [];
    const required = new Set<string>();
    for (const file of filesUnder(join(extracted, 'package', 'dist')).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(file, 'utf8');
      for (const match of code.matchAll(
        /\b(?:require|import)\(\s*["']([^"']+)["']\s*\)|\bfrom\s+["']([^"']+)["']/g,
      )) {
        const name = packageOf((match[1] ?? match[2]) as string);
        if (name === undefined) continue;
        required.add(name);
        if (!declared.has(name)) undeclared.push(`${relative(extracted, file)}: ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
    // The scan sees the local runtime's packages, so it would see a dev-only one.
    expect(required).toContain('aws-local-stepfunctions');
    for (const devOnly of ['vitest', 'fast-check', 'aws-sdk', 'aws-sdk-client-mock', 'cdk-nag', 'tsx']) {
      expect(declared).not.toContain(devOnly);
    }
  });
});

describe('the npm package in a fresh CDK app', () => {
  let synthOutput: string;

  beforeAll(() => {
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
    // The realistic stack, importing the installed package instead of the sources.
    const source = readFileSync(join(root, 'test', 'fixtures', 'consumer-app.ts'), 'utf8');
    expect(source).toContain("from '../../index';");
    writeFileSync(join(app, 'app.ts'), source.replace("from '../../index';", "from 'stepwait';"));

    run(
      'npm',
      [
        'install',
        tarball,
        `aws-cdk-lib@${installedVersion('aws-cdk-lib')}`,
        `constructs@${installedVersion('constructs')}`,
        // For the cdk-nag check of the app, as a user of cdk-nag would run it.
        `cdk-nag@${installedVersion('cdk-nag')}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
      ],
      app,
    );
    // A TypeScript consumer compiles against the shipped declarations (the repo's tsc, the app's types).
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', '.'], app);
    synthOutput = run(
      join(root, 'node_modules', '.bin', 'cdk'),
      ['synth', '--no-notices', '--quiet', '-o', cdkOut],
      app,
      offlineEnv(),
    );
  }, 400_000);

  it('installs, type-checks and synthesizes offline, bundling the poller from node_modules', () => {
    const installed = join(app, 'node_modules', 'stepwait');
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
    // The development-only packages did not come along.
    for (const devOnly of ['fast-check', 'vitest', 'aws-sdk']) {
      expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
    }

    // The package exports what the source entry does.
    const exported = JSON.parse(run('node', ['-p', "JSON.stringify(Object.keys(require('stepwait')))"], app));
    expect(exported.sort()).toEqual(Object.keys(sourceEntry).sort());

    expect(synthOutput).toContain('Bundling asset ConsumerStack/NightlyEtlWaiter/Poller');
    expect(synthOutput).not.toMatch(/docker/i);

    const template = JSON.parse(
      readFileSync(join(cdkOut, 'ConsumerStack.template.json'), 'utf8'),
    ) as CfnTemplate;
    const machines = stateMachinesIn(template);
    // Two JobWaiters (main and segment machine each) and the user's own machine.
    expect(machines).toHaveLength(5);
    const [machine] = machines;
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

    // The registry, with one prop: its API and recorder of ends bundled from the package too, the API at an
    // IAM-authorized function URL.
    expect(synthOutput).toContain('Bundling asset ConsumerStack/StepWaitRegistry/Api');
    expect(synthOutput).toContain('Bundling asset ConsumerStack/StepWaitRegistry/EndRecorder');
    const urls = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Url');
    expect(urls.map((url) => url.Properties?.AuthType)).toEqual(['AWS_IAM']);
  });

  it("leaves no cdk-nag finding of stepwait's own in the app, env-agnostic or env-specific", () => {
    // The app as its author builds it, its synth caught, then the AwsSolutions pack over the construct tree.
    writeFileSync(
      join(app, 'nag.js'),
      [
        "const cdk = require('aws-cdk-lib');",
        "const { AwsSolutionsChecks } = require('cdk-nag');",
        'let built;',
        'cdk.App.prototype.synth = function () { built = this; };',
        "require('./app.js');",
        'const report = new AwsSolutionsChecks(built).validateScope(built);',
        "console.log('NAG ' + JSON.stringify(report.violations.map((v) => ({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath) }))));",
      ].join('\n'),
    );
    for (const consumerEnv of ['agnostic', 'specific']) {
      const output = run('node', ['nag.js'], app, {
        ...offlineEnv(),
        CDK_CONTEXT_JSON: JSON.stringify({ 'consumer-env': consumerEnv }),
      });
      // Bundling logs share the output; the report is the one line marked NAG.
      const line = output.split('\n').find((each) => each.startsWith('NAG ')) ?? 'NAG missing';
      const violations = JSON.parse(line.slice('NAG '.length)) as {
        rule: string;
        paths: string[];
      }[];
      const stepwaits = [
        'ConsumerStack/NightlyEtlWaiter',
        'ConsumerStack/SubmittingWaiter',
        'ConsumerStack/LoadWait',
      ];
      const ours = violations.filter(
        ({ rule, paths }) =>
          paths.some((path) => stepwaits.some((prefix) => path.startsWith(prefix))) ||
          // On the host's role: what grantTo and the fragment's tasks granted (poller, Batch, executions).
          (paths.some((path) => path.startsWith('ConsumerStack/LoadPipeline')) &&
            /NightlyEtlWaiterPoller|job-definition|:job\/|execution:/.test(rule)),
      );
      expect(ours, consumerEnv).toEqual([]);
      // The user's own findings are still reported: the pack really ran, over the host too.
      expect(
        violations.some(({ rule }) => rule.includes('PrepareFunction')),
        consumerEnv,
      ).toBe(true);
    }
  }, 120_000);

  it('runs `stepwait local --help` and a short local wait from the installed CLI, on Node 20 too', () => {
    const help = stepwait(['local', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: stepwait local \[options\]/);
    expect(help.stdout).toContain('--app <cdk.out | command>');
    const wait = stepwait(['local', '--job-duration', '10m', '--json']);
    expect(wait.status, wait.stderr).toBe(0);
    expect(onlyJson(wait.stdout)).toMatchObject({ status: 'SUCCEEDED', error: null });
  }, 180_000);

  it('names a runtime package missing from a broken install, and still shows local --help', () => {
    const engine = join(app, 'node_modules', 'aws-local-stepfunctions');
    const aside = join(app, 'node_modules', '.aws-local-stepfunctions-aside');
    renameSync(engine, aside);
    try {
      expect(stepwait(['local', '--help']).status).toBe(0);
      const wait = stepwait(['local', '--job-duration', '10m']);
      expect(wait.status).toBe(2);
      expect(wait.stderr).toMatch(
        /stepwait local runs state machines with aws-local-stepfunctions, a dependency of stepwait that is missing here\. Install it next to stepwait: npm install aws-local-stepfunctions@"\^3\.0\.0"/,
      );
    } finally {
      renameSync(aside, engine);
    }
  }, 180_000);

  it("runs the app's own machines from its cdk.out and from its app command with `stepwait local --app`", () => {
    // `--app cdk.out`, as a user types it in the app's folder: the cloud assembly `cdk synth` wrote there.
    const fromCdkOut = (args: string[]) => stepwait(['local', '--app', 'cdk.out', '--json', ...args]);

    const waiter = fromCdkOut([
      '--state-machine',
      'ConsumerStack/NightlyEtlWaiter',
      '--job-duration',
      '1h',
      '--queue-time',
      '0',
    ]);
    expect(waiter.status, waiter.stderr).toBe(0);
    const report = onlyJson(waiter.stdout);
    expect(report.status).toBe('SUCCEEDED');
    // The app's JobComplete delay, 120 +/- 10 s, for an hour.
    expect((report.polls as Record<string, number>).JobComplete).toBeLessThanOrEqual(34);

    const submitting = fromCdkOut(['--state-machine', 'SubmittingWaiter', '--job-duration', '30m']);
    expect(submitting.status, submitting.stderr).toBe(0);
    expect(onlyJson(submitting.stdout).output).toMatchObject({
      status: 'SUCCEEDED',
      jobs: [{ jobName: 'stepwait-local-job', logStreamName: expect.stringMatching(/^etl-job\/default\//) }],
    });

    const unstubbed = stepwait(['local', '--app', 'cdk.out', '--state-machine', 'LoadPipeline']);
    expect(unstubbed.status).toBe(2);
    expect(unstubbed.stderr).toMatch(/Task states of its own that nothing here can run/);
    expect(unstubbed.stderr).toMatch(/"Prepare" \(/);
    expect(unstubbed.stderr).toMatch(/"Notify" \(/);

    const host = fromCdkOut([
      '--state-machine',
      'LoadPipeline',
      '--stub',
      'Prepare={"rows":5}',
      '--stub',
      'Notify={"MessageId":"local-1"}',
      '--job-duration',
      '20m',
    ]);
    expect(host.status, host.stderr).toBe(0);
    const hosted = onlyJson(host.stdout);
    expect(hosted.status).toBe('SUCCEEDED');
    expect(Object.keys(hosted.polls as object)).toEqual([
      'Load: JobExists',
      'Load: JobRunning',
      'Load: JobComplete',
    ]);

    // The app command of cdk.json, synthesized by stepwait itself (offline, into a temporary folder).
    const command = stepwait([
      'local',
      '--app',
      'node app.js',
      '--state-machine',
      'NightlyEtlWaiter',
      '--job-duration',
      '10m',
    ]);
    expect(command.status, command.stderr).toBe(0);
    expect(command.stderr).toMatch(/ConsumerStack\/NightlyEtlWaiter\/StateMachine: a 10m 0s job/);
    expect(command.stdout).toMatch(/^ +outcome +SUCCEEDED$/m);
  }, 300_000);
});
