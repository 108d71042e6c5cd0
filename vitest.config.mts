import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `npm run test:slow` (STEPWAIT_SLOW=1) runs the suites too long for `npm test`: minutes each.
    // Fails any test that opens a connection beyond 127.0.0.1.
    setupFiles: ['test/setup/loopback-only.ts'],
    include: process.env.STEPWAIT_SLOW ? ['test/slow/**/*.slow.ts'] : ['test/**/*.test.ts'],
    // No test may reach AWS: no instance-metadata lookups, no CDK telemetry, dummy static credentials.
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALONLY',
      AWS_SECRET_ACCESS_KEY: 'local-only-secret',
      // The SDK warns that Node 20 support ends in 2027; the deployed poller runs on nodejs22.x.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // CI reads the JSON report for its closing "N passed, N failed" line.
    reporters: process.env.STEPWAIT_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.STEPWAIT_TEST_REPORT ? { json: process.env.STEPWAIT_TEST_REPORT } : undefined,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
