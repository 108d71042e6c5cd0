import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bin/bench';
import { UsageError } from '../../bin/cli/usage-error';

const root = join(__dirname, '..', '..');

describe('npm run bench: its command line (parsed, nothing run)', () => {
  it('writes no plot unless asked: docs/bench-frontier.svg is tracked and changes only with --plot', () => {
    expect(parseBenchOptions([])).toEqual({
      system: 'batch',
      jobs: 200,
      seed: 42,
      concurrency: 8,
      json: false,
    });
    expect(
      parseBenchOptions(['--plot', 'docs/bench-frontier.svg', '--jobs', '20', '--json', '--system', 'dqops']),
    ).toEqual({
      system: 'dqops',
      jobs: 20,
      seed: 42,
      concurrency: 8,
      plotPath: 'docs/bench-frontier.svg',
      json: true,
    });
  });

  it('takes --fleet n for the fleet run', () => {
    expect(parseBenchOptions(['--fleet', '10000'])).toMatchObject({ fleet: 10_000, system: 'batch' });
  });

  it('answers --help and -h with the usage', () => {
    expect(parseBenchOptions(['--help'])).toBe('help');
    expect(parseBenchOptions(['-h', '--jobs', '5'])).toBe('help');
  });

  it.each([
    [['--jobs', '0'], /--jobs: expected a whole number >= 1, got "0"/],
    [['--seed', 'x'], /--seed: expected a whole number/],
    [['--plot', ' '], /--plot: expected a file path/],
    [['--plot'], /--plot/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--system', 'tethys'], /--system: expected batch, dqops, airbyte, got "tethys"/],
    [['--fleet', '0'], /--fleet: expected a whole number >= 1, got "0"/],
    [['--fleet', '10', '--system', 'dqops'], /--fleet: event mode waits for AWS Batch jobs only/],
    [['extra'], /extra/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseBenchOptions(args)).toThrowError(UsageError);
    expect(() => parseBenchOptions(args)).toThrowError(message);
  });

  it('prints the usage for --help and exits 0 from the real command line, without running anything', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/bench.ts', '--help'], {
      cwd: root,
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^Usage: npm run bench -- \[options\]/);
    expect(stdout).toContain('--plot <path>');
  }, 60_000);

  it('exits 2 with the message and the usage on a bad option', async () => {
    const error = await promisify(execFile)('npx', ['tsx', 'bin/bench.ts', '--jobs', 'many'], {
      cwd: root,
      timeout: 60_000,
    }).catch((caught: { code: number; stderr: string }) => caught);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toMatch(/--jobs: expected a whole number/);
    expect((error as { stderr: string }).stderr).toMatch(/Usage: npm run bench/);
  }, 60_000);
});
