import { describe, expect, it } from 'vitest';
import { BatchEmulator } from '../../../lib/local/batch-emulator';
import {
  type BatchStateChangeEvent,
  BatchStateChangeEvents,
} from '../../../lib/local/batch-emulator/state-change-events';
import { VirtualClock } from '../../../lib/local/virtual-clock';
import { VirtualTimers } from '../../../lib/local/virtual-timers';

describe("the local Batch's state-change events", () => {
  it('publishes each status change at its instant, in EventBridge’s shape, and none for SUBMITTED', async () => {
    const clock = new VirtualClock(0);
    const timers = new VirtualTimers(clock);
    const emulator = await BatchEmulator.start({ clock });
    try {
      const published: { event: BatchStateChangeEvent; at: number }[] = [];
      new BatchStateChangeEvents(emulator, timers, (event, at) => published.push({ event, at }), {
        region: 'us-east-1',
        account: '123456789012',
      });
      const jobId = emulator.addJob({
        durations: { submitted: 1, pending: 2, runnable: 30, starting: 5, running: 600 },
        outcome: 'SUCCEEDED',
      });
      await timers.runUntil(() => published.some(({ event }) => event.detail.status === 'SUCCEEDED'));
      expect(published.map(({ event, at }) => [event.detail.status, at / 1000])).toEqual([
        ['PENDING', 1],
        ['RUNNABLE', 3],
        ['STARTING', 33],
        ['RUNNING', 38],
        ['SUCCEEDED', 638],
      ]);
      const [first] = published;
      expect(first?.event).toMatchObject({
        version: '0',
        source: 'aws.batch',
        'detail-type': 'Batch Job State Change',
        account: '123456789012',
        region: 'us-east-1',
        time: '1970-01-01T00:00:01Z',
        resources: [expect.stringMatching(/^arn:aws:batch:us-east-1:\d{12}:job\//)],
        detail: { jobId, status: 'PENDING' },
      });
    } finally {
      await emulator.stop();
    }
  });

  it('publishes the FAILED of a job stopped mid-run, at the instant TerminateJob took effect', async () => {
    const clock = new VirtualClock(0);
    const timers = new VirtualTimers(clock);
    const emulator = await BatchEmulator.start({ clock });
    try {
      const statuses: string[] = [];
      new BatchStateChangeEvents(emulator, timers, (event) => statuses.push(event.detail.status), {
        region: 'us-east-1',
        account: '123456789012',
      });
      const jobId = emulator.addJob({
        durations: { submitted: 1, pending: 1, runnable: 1, starting: 1, running: 3600 },
        outcome: 'SUCCEEDED',
      });
      await timers.runUntil(() => statuses.includes('RUNNING'));
      clock.advanceSeconds(60);
      const { BatchClient, TerminateJobCommand } = await import('@aws-sdk/client-batch');
      const batch = new BatchClient({
        region: 'us-east-1',
        endpoint: emulator.endpoint,
        credentials: { accessKeyId: 'AKIDLOCALONLY', secretAccessKey: 'local-only-secret' },
        maxAttempts: 1,
      });
      await batch.send(new TerminateJobCommand({ jobId, reason: 'stopped by a person' }));
      batch.destroy();
      await timers.runUntil(() => statuses.includes('FAILED'));
      expect(statuses).toEqual(['PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'FAILED']);
    } finally {
      await emulator.stop();
    }
  });
});
