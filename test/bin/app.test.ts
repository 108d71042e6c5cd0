import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stateMachinesIn } from '../../lib/local/template';

const root = join(__dirname, '..', '..');
const outdir = mkdtempSync(join(tmpdir(), 'stepwait-cdk-out-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bin/app.ts through the CDK CLI', () => {
  it('synthesizes offline with no credentials, bundling the poller with esbuild', () => {
    execFileSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
      cwd: root,
      stdio: 'pipe',
      timeout: 120_000,
      env: {
        ...process.env,
        AWS_EC2_METADATA_DISABLED: 'true',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
      },
    });
    const template = JSON.parse(readFileSync(join(outdir, 'StepWaitStack.template.json'), 'utf8'));
    const [machine] = stateMachinesIn(template);
    expect(Object.keys(machine?.definition.States as object)).toContain('JobComplete Poll');

    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const bundle = assets.map((name) => join(outdir, name, 'index.js')).find((file) => existsSync(file));
    expect(bundle).toBeDefined();
    const code = readFileSync(bundle as string, 'utf8');
    // The shipped bundle carries the waiter model's JMESPath and the Batch client, minified.
    expect(code).toContain('DescribeJobs');
    expect(code).toContain('missingJobIds');
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(2_000);
    expect(statSync(bundle as string).size).toBeGreaterThan(10_000);
  }, 120_000);
});
