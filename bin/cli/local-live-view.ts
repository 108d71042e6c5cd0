import type { PollView } from '../../lib/local/local-run';
import { formatDuration } from './usage-error';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether `err` is a terminal that can redraw a status line. */
  live: boolean;
}

/**
 * One line per stage reached and per ending, plus (on a terminal) a status line redrawn as polls come in.
 * A machine that runs several waits names the waiter on each line.
 */
export function liveView(output: Output, severalWaits = false): (poll: PollView) => void {
  let stage = '';
  let lastDraw = 0;
  const clearLine = () => {
    if (output.live) output.err('\r\x1b[2K');
  };
  const line = (poll: PollView, text: string) => {
    clearLine();
    const waiter = severalWaits ? `${poll.waiter}: ` : '';
    output.err(`  [${formatDuration(poll.virtualSeconds).padStart(10)}] ${waiter}${text}\n`);
  };
  return (poll) => {
    const job = `job ${poll.jobStatus ?? 'not visible yet'}`;
    if (poll.state !== 'retry') {
      line(poll, `${poll.stage.padEnd(12)} ${poll.state} after ${poll.polls} polls, ${job}`);
      return;
    }
    const where = `${poll.waiter}/${poll.stage}`;
    if (where !== stage) {
      line(poll, `${poll.stage.padEnd(12)} waiting, ${job}`);
      stage = where;
    }
    const now = Date.now();
    if (output.live && now - lastDraw > 40) {
      lastDraw = now;
      clearLine();
      output.err(
        `  ${poll.stage}: attempt ${poll.attempt}, ${job}, virtual time ${formatDuration(poll.virtualSeconds)}, polls so far ${poll.polls}, next poll in ${poll.delaySeconds} s`,
      );
    }
  };
}
