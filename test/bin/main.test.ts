import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main, USAGE } from '../../bin/cli/main';

const root = join(__dirname, '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/** Runs the command line in process, capturing what it writes. */
async function stepwait(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    live: false,
  });
  return { code, stdout, stderr };
}

describe('stepwait: a mistyped command', () => {
  it.each([
    ['stauts', '"status"'],
    ['strat', '"start"'],
    ['lcoal', '"local"'],
    ['cancle', '"cancel"'],
    ['stat', '"start" or "status"'],
    ['version', '"--version"'],
    ['--verison', '"--version"'],
  ])('%j: exit 2, did you mean %s?', async (typo, meant) => {
    const { code, stdout, stderr } = await stepwait(typo, '--json');
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^stepwait: unknown command "${typo}"; did you mean ${meant}\\?\\n`));
    expect(stderr).toContain('Usage: stepwait <command>');
    expect(stdout).toBe('');
  });

  it('suggests nothing for a word far from every command', async () => {
    const { code, stderr } = await stepwait('deploy');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^stepwait: unknown command "deploy"\n/);
  });
});

describe('stepwait --version', () => {
  it.each(['--version', '-v'])("%s prints package.json's version alone on stdout, exit 0", async (flag) => {
    expect(await stepwait(flag)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('stepwait help', () => {
  it('alone prints the general usage, exit 0, which names help and --version', async () => {
    const { code, stdout, stderr } = await stepwait('help');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(`${USAGE}\n`);
    expect(stdout).toMatch(/^ {2}help +\S/m);
    expect(stdout).toMatch(/-v, --version/);
    expect((await stepwait('--help')).stdout).toBe(stdout);
  });

  it.each(COMMANDS.filter((command) => command !== 'help').map((command) => [command, command]))(
    'help %s prints what "%s --help" prints, exit 0',
    async (command) => {
      const viaHelp = await stepwait('help', command);
      const viaFlag = await stepwait(command, '--help');
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: stepwait ${command}`));
      expect(viaHelp).toEqual(viaFlag);
    },
  );

  it('help with an unknown command: exit 2, with a suggestion', async () => {
    const { code, stdout, stderr } = await stepwait('help', 'stauts');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^stepwait: help: unknown command "stauts"; did you mean "status"\?\n/);
  });

  it('help with more than a command: exit 2', async () => {
    const { code, stderr } = await stepwait('help', 'start', 'now');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^stepwait: help takes one command, got "start now"/);
  });
});

describe('stepwait, an account command with a mistyped option', () => {
  it.each([
    [['start', '--job-idd', 'x'], `Unknown option '--job-idd'; did you mean "--job-id" or "--job-ids"?`],
    [['list', '--stauts', 'FAILED'], `Unknown option '--stauts'; did you mean "--status"?`],
    [['status', 'x', '--jsn'], `Unknown option '--jsn'; did you mean "--json"?`],
    [
      ['cancel', 'x', '--terminate-jobs'],
      `Unknown option '--terminate-jobs'; did you mean "--terminate-job"?`,
    ],
  ])('%j: exit 2 with the options it may have meant', async (argv, message) => {
    const { code, stderr } = await stepwait(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^stepwait ${argv[0]}: `));
    expect(stderr.split('\n')[0]).toBe(`stepwait ${argv[0]}: ${message}`);
  });
});

describe('stepwait, the real command line (tsx)', () => {
  it('--version and a typo, through bin/stepwait.ts', async () => {
    const run = (args: string[]) =>
      promisify(execFile)('npx', ['tsx', 'bin/stepwait.ts', ...args], {
        cwd: root,
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
        timeout: 60_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const [versionRun, typoRun] = await Promise.all([run(['--version']), run(['stauts'])]);
    expect(versionRun).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(typoRun.code).toBe(2);
    expect(typoRun.stderr).toMatch(/^stepwait: unknown command "stauts"; did you mean "status"\?/);
  }, 120_000);
});
