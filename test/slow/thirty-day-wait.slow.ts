import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The month-long wait of the reliability brief, end to end through the real command line: a 30-day job at
 * fixed 60 s polls (~43,000 polls) must end SUCCEEDED, in 3 or more executions, none over 20,000 history
 * events. Minutes of real time, so it runs in `npm run test:slow`, not `npm test`
 * (test/e2e/long-wait.test.ts runs the same hand-over in small).
 */
describe('a 30-day wait', () => {
  it(
    'ends SUCCEEDED in several executions, each under 20,000 history events',
    async () => {
      const { stdout } = await promisify(execFile)(
        'npx',
        ['tsx', 'bin/stepwait.ts', 'local', '--json', '--job-duration', '30d', '--delay', 'fixed:60'],
        { cwd: join(__dirname, '..', '..'), timeout: 30 * 60_000, maxBuffer: 10_000_000 },
      );
      const report = JSON.parse(stdout);
      expect(report.status).toBe('SUCCEEDED');
      expect(report.output.status).toBe('SUCCEEDED');
      expect(report.lambdaInvocations).toBeGreaterThan(43_000);
      expect(report.executions).toBeGreaterThanOrEqual(3);
      expect(report.historyEvents).toBeLessThan(20_000);
      expect(report.detectionLatencySeconds).toBeLessThanOrEqual(60);
    },
    30 * 60_000,
  );
});
