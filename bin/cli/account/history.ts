import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * Events per GetExecutionHistory page (the API takes 1 to 1,000). With execution data every poll event
 * carries the wait's state (a few KB), so pages stay small; a poll loop is about 9 events.
 */
export const HISTORY_PAGE_SIZE = 100;

/**
 * Pages read at most per execution: the newest poll is in the first page unless Lambda retries piled up,
 * and a hand-over's own events are a handful, so this only bounds the calls on a huge history.
 */
export const MAX_HISTORY_PAGES = 3;

/**
 * An execution's history, newest event first (GetExecutionHistory with reverseOrder), read a page at a
 * time only when asked for an older event, and at most MAX_HISTORY_PAGES pages.
 */
export class HistoryNewestFirst {
  private readonly sfn: SFNClient;
  readonly executionArn: string;
  private buffered: HistoryEvent[] = [];
  private pagesRead = 0;
  private nextToken: string | undefined;
  private atStart = false;

  constructor(sfn: SFNClient, executionArn: string) {
    this.sfn = sfn;
    this.executionArn = executionArn;
  }

  /** The next older event; undefined at the start of the history or at the page bound. */
  async next(): Promise<HistoryEvent | undefined> {
    while (this.buffered.length === 0) {
      if (this.atStart || this.pagesRead >= MAX_HISTORY_PAGES) return undefined;
      const page = await this.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: this.executionArn,
          reverseOrder: true,
          maxResults: HISTORY_PAGE_SIZE,
          includeExecutionData: true,
          nextToken: this.nextToken,
        }),
      );
      this.pagesRead++;
      // Newest first within the page too, whatever order it came in: the event id orders a history.
      this.buffered = [...(page.events ?? [])].sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
      this.nextToken = page.nextToken;
      if (this.nextToken === undefined) this.atStart = true;
    }
    return this.buffered.shift();
  }

  /** Events read so far, in pages of HISTORY_PAGE_SIZE: for messages that say how far back was looked. */
  get eventsLookedAt(): number {
    return this.pagesRead * HISTORY_PAGE_SIZE;
  }
}
