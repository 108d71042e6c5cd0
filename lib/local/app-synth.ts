import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalAppError } from './app-error';
import { type AssemblyStack, readCloudAssembly } from './cloud-assembly';

/** A synth that takes longer has hung (the example app takes ~4 s, a large one a minute). */
const SYNTH_TIMEOUT_MS = 10 * 60_000;

/**
 * The context `cdk synth` gives an app (aws-cdk's CLI, prepareContext): cdk.json's `context` and
 * cdk.context.json (feature flags and cached lookups, so the template is the one `cdk synth` writes),
 * construct paths in the metadata, and no asset bundling: a local run executes the poller in process and
 * never uses a bundle, and skipping it also spares esbuild runs and the lock-file lookup.
 */
function synthContext(cwd: string): Record<string, unknown> {
  const read = (file: string): Record<string, unknown> => {
    const path = join(cwd, file);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  };
  return {
    ...((read('cdk.json').context as Record<string, unknown> | undefined) ?? {}),
    ...read('cdk.context.json'),
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:bundling-stacks': [],
  };
}

/**
 * Offline, as DESIGN.md found `cdk synth` needs it: no instance-metadata credential lookups and no CLI
 * telemetry; the app gets the cloud assembly folder in CDK_OUTDIR, as the CDK CLI passes it.
 */
function synthEnv(outdir: string, cwd: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify(synthContext(cwd)),
  };
}

/** Runs the app command in a shell, as `cdk synth --app <command>` does; rejects with its output on failure. */
function runApp(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = `${output}${chunk.toString('utf8')}`.slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), SYNTH_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(new LocalAppError(`--app ${JSON.stringify(command)}: could not run it: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return done();
      const how = signal ? `was stopped (${signal})` : `exited with code ${code}`;
      fail(new LocalAppError(`--app ${JSON.stringify(command)}: the app ${how}:\n${output.trimEnd()}`));
    });
  });
}

/**
 * The stacks of `app`: a cloud assembly folder (`cdk.out`) is read as it is; anything else is the command
 * that runs the CDK app (cdk.json's `app`, e.g. `npx ts-node bin/app.ts` or `node app.js`), run in `cwd` to
 * synthesize into a temporary folder, offline.
 * @throws LocalAppError
 */
export async function loadApp(app: string, cwd: string = process.cwd()): Promise<AssemblyStack[]> {
  const asPath = resolve(cwd, app);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) return readCloudAssembly(asPath);
  const outdir = mkdtempSync(join(tmpdir(), 'stepwait-app-'));
  try {
    await runApp(app, cwd, synthEnv(outdir, cwd));
    if (!existsSync(join(outdir, 'manifest.json'))) {
      throw new LocalAppError(
        `--app ${JSON.stringify(app)}: the command wrote no cloud assembly into CDK_OUTDIR; give the command that runs your CDK app (cdk.json's "app") or a cdk.out folder`,
      );
    }
    return readCloudAssembly(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
