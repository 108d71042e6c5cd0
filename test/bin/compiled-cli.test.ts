import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
const INSTALLED_VERSION = '0.0.0-installed';

/**
 * The command line as an installed package runs it: compiled JavaScript in dist/ beside the package's
 * package.json (its dependencies reached through a link to this repo's node_modules), not the TypeScript
 * sources under tsx. Compiled into a temporary folder, so the repo's own dist/ is left alone.
 */
describe('stepwait compiled, in the layout of an installed package', () => {
  const installed = mkdtempSync(join(tmpdir(), 'stepwait-compiled-'));
  const stepwait = (...args: string[]) =>
    run(process.execPath, [join(installed, 'dist', 'bin', 'stepwait.js'), ...args], {
      cwd: tmpdir(),
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 60_000,
    });

  beforeAll(async () => {
    await run(
      process.execPath,
      [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(installed, 'dist'),
      ],
      { cwd: root, timeout: 170_000 },
    );
    // A version of its own, so the test sees which package.json was read.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    writeFileSync(
      join(installed, 'package.json'),
      JSON.stringify({ ...manifest, version: INSTALLED_VERSION }),
    );
    symlinkSync(join(root, 'node_modules'), join(installed, 'node_modules'), 'dir');
  }, 180_000);

  afterAll(() => {
    rmSync(installed, { recursive: true, force: true });
  });

  it("--version prints the version in the installed package's package.json", async () => {
    const { stdout } = await stepwait('--version');
    expect(stdout).toBe(`${INSTALLED_VERSION}\n`);
  });

  it("help <command> prints the command's usage", async () => {
    const { stdout } = await stepwait('help', 'list');
    expect(stdout).toMatch(/^Usage: stepwait list/);
  });
});
