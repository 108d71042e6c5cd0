import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { VirtualTimers } from './virtual-timers';

/**
 * A local SQS queue with a Lambda consuming it, as an event source mapping does (Lambda Developer Guide,
 * "Using Lambda with Amazon SQS"): batches of up to `batchSize` visible messages; a message stays invisible
 * for the visibility timeout once received; with ReportBatchItemFailures only the messages named in
 * `batchItemFailures` come back (a thrown error returns the whole batch); after `maxReceiveCount` receives
 * a message goes to the dead-letter queue. Delivery is at least once, as in SQS.
 */
export interface LocalQueueOptions {
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  /** Seconds from a message becoming visible to the consumer's invocation (polling and cold start). */
  readonly receiveDelaySeconds?: () => number;
  readonly consumer: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
}

interface Message {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
}

export class LocalQueue {
  private readonly messages: Message[] = [];
  readonly deadLetters: { messageId: string; body: string }[] = [];
  /** Consumer invocations, and messages it failed (returned for a retry). */
  readonly stats = { sent: 0, invocations: 0, failedMessages: 0, deleted: 0 };
  private polling = false;

  constructor(
    private readonly timers: VirtualTimers,
    private readonly options: LocalQueueOptions,
  ) {}

  send(body: string): void {
    const now = this.timers.clock.now();
    this.stats.sent++;
    this.messages.push({ messageId: randomUUID(), body, sentAt: now, receiveCount: 0, visibleAt: now });
    this.pollAt(now);
  }

  /** Messages waiting (visible or in flight). */
  get depth(): number {
    return this.messages.length;
  }

  private pollAt(visibleAt: number): void {
    this.timers.at(visibleAt + (this.options.receiveDelaySeconds?.() ?? 0) * 1000, () => this.poll());
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (let batch = this.receive(); batch.length > 0; batch = this.receive()) await this.invoke(batch);
    } finally {
      this.polling = false;
    }
  }

  /** Visible messages, up to a batch; those received too often go to the dead-letter queue instead. */
  private receive(): Message[] {
    const now = this.timers.clock.now();
    const batch: Message[] = [];
    for (const message of [...this.messages]) {
      if (batch.length >= this.options.batchSize) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= this.options.maxReceiveCount) {
        this.remove(message);
        this.deadLetters.push({ messageId: message.messageId, body: message.body });
        continue;
      }
      message.receiveCount++;
      message.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      batch.push(message);
    }
    return batch;
  }

  private async invoke(batch: Message[]): Promise<void> {
    this.stats.invocations++;
    const event: SQSEvent = { Records: batch.map((message) => this.record(message)) };
    let failed: Set<string>;
    try {
      const response = await this.options.consumer(event);
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch {
      failed = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch) {
      if (failed.has(message.messageId)) {
        this.stats.failedMessages++;
        this.pollAt(message.visibleAt);
      } else {
        this.remove(message);
        this.stats.deleted++;
      }
    }
  }

  private remove(message: Message): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  private record(message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}:${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(this.timers.clock.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:stepwait-local-wake-ups',
      awsRegion: 'us-east-1',
    };
  }
}
