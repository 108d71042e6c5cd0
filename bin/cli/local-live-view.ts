import type { PollView, WakeUpView } from '../../lib/local/local-run';
import { formatDuration } from './usage-error';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether `err` is a terminal that can redraw a status line. */
  live: boolean;
}

/**
 * One line per stage reached and per ending, plus (on a terminal) a status line redrawn as polls come in.
 * A machine that runs several waits names the waiter on each line. In event mode, one line per park and
 * per state-change event the waker handled.
 */
export function liveView(
  output: Output,
  severalWaits = false,
): { poll: (poll: PollView) => void; wakeUp: (wakeUp: WakeUpView) => void } {
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
  const poll = (poll: PollView) => {
    const job = `job ${poll.jobStatus ?? 'not visible yet'}`;
    if (poll.state.startsWith('parked')) {
      line(
        poll,
        `${poll.stage.padEnd(12)} ${poll.state} (until an event, or ${formatDuration(poll.delaySeconds)} at most)`,
      );
      return;
    }
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
  const wakeUp = (wakeUp: WakeUpView) => {
    clearLine();
    const what =
      wakeUp.woken === 0
        ? 'woke nothing (a duplicate, a late event, or no park yet)'
        : `woke ${wakeUp.woken === 1 ? 'the wait' : `${wakeUp.woken} waits`}`;
    output.err(
      `  [${formatDuration(wakeUp.virtualSeconds).padStart(10)}] event: job ${wakeUp.status}, ${what}\n`,
    );
  };
  return { poll, wakeUp };
}
