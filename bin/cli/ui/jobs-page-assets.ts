/**
 * The jobs page (Tethys' Jobs Table for waits): one HTML page, its script and its style, served by
 * `stepwait ui` from 127.0.0.1 (jobs-page-server.ts). The script writes every value the registry returns
 * with textContent, never as HTML, and the server's Content-Security-Policy allows no inline script, so a
 * job or wait named like markup is shown as text.
 */

export const JOBS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stepwait: waits</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>Waits</h1>
  <p id="scope"></p>
  <p id="refreshed" aria-live="polite"></p>
  <p id="problem" role="alert" hidden></p>
</header>
<table id="waits">
  <thead><tr>
    <th>Name</th><th>Description</th><th>Status</th><th>System</th><th>Jobs</th><th>Created</th><th>Run time</th>
    <th class="owner">Owner</th><th>Actions</th>
  </tr></thead>
  <tbody></tbody>
</table>
<section id="detail" hidden>
  <h2 id="detail-name"></h2>
  <dl id="detail-facts"></dl>
  <h3>Stages</h3>
  <ol id="detail-stages"></ol>
  <h3>Jobs</h3>
  <table id="detail-jobs">
    <thead><tr><th>Job</th><th>Status</th><th>Reason</th><th>Exit code</th><th>Log stream</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
</body>
</html>
`;

export const JOBS_PAGE_CSS = `body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d2630; }
h1 { margin: 0 0 .25rem; font-size: 1.4rem; }
header p { margin: .2rem 0; color: #5a6570; }
#problem { color: #a4262c; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde2e7; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
tbody tr:hover { background: #f8fafb; cursor: pointer; }
body:not(.admin) .owner { display: none; }
.status { font-weight: 600; }
.status-Complete { color: #1e7b34; }
.status-Error, .status-Aborted { color: #a4262c; }
.status-Running, .status-Submitted { color: #0b5cad; }
button { margin-right: .3rem; }
#detail { margin-top: 2rem; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
#detail dt { color: #5a6570; }
`;

export const JOBS_PAGE_SCRIPT = `'use strict';
(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  // Out of the address bar and the history once read.
  history.replaceState(null, '', '/');
  const config = { refreshSeconds: 5, all: false };
  const MAX_WAITS = 500;
  let selected;

  const call = async (method, path) => {
    const response = await fetch('/api' + path, { method, headers: { 'x-stepwait-token': token } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.error || response.status) + ': ' + (body.message || body.Message || ''));
    return body;
  };
  const text = (tag, value, className) => {
    const element = document.createElement(tag);
    element.textContent = value === undefined || value === null ? '' : String(value);
    if (className) element.className = className;
    return element;
  };
  const when = (iso) => {
    const time = Date.parse(iso);
    return Number.isFinite(time) ? new Date(time).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '';
  };
  // An active wait has run until the registry's own now (asOf): the browser's clock may differ from it.
  const runTime = (wait, asOf) => {
    const start = Date.parse(wait.startedAt || wait.createdAt);
    const end = Date.parse(wait.completedAt || asOf || new Date().toISOString());
    if (!Number.isFinite(start)) return '';
    const seconds = Math.max(0, Math.round((end - start) / 1000));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + s + 's';
  };
  const problem = (message) => {
    const element = document.getElementById('problem');
    element.hidden = message === undefined;
    element.textContent = message || '';
  };

  const act = async (wait, action, button) => {
    button.disabled = true;
    try {
      if (action === 'delete') await call('DELETE', '/waits/' + wait.waitId);
      else await call('POST', '/waits/' + wait.waitId + '/' + action);
      problem(undefined);
    } catch (error) {
      problem(action + ' ' + wait.name + ': ' + error.message);
    }
    await refresh();
  };

  const row = (wait, asOf) => {
    const tr = document.createElement('tr');
    tr.dataset.waitId = wait.waitId;
    tr.append(
      text('td', wait.name, 'name'),
      text('td', wait.description, 'description'),
      text('td', wait.tethysStatus, 'status status-' + wait.tethysStatus),
      text('td', wait.system || 'batch', 'system'),
      text('td', (wait.jobIds || []).join(', '), 'jobs'),
      text('td', when(wait.createdAt), 'created'),
      text('td', runTime(wait, asOf), 'run-time'),
      text('td', wait.owner && wait.owner.display, 'owner'),
    );
    const actions = document.createElement('td');
    actions.className = 'actions';
    for (const action of wait.actions || []) {
      const button = text('button', action);
      button.type = 'button';
      button.dataset.action = action;
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        act(wait, action, button);
      });
      actions.append(button);
    }
    tr.append(actions);
    tr.addEventListener('click', () => {
      selected = wait.waitId;
      showDetail();
    });
    return tr;
  };

  // AWS Batch logs to CloudWatch Logs, in /aws/batch/job unless the job definition names another group
  // (AWS Batch User Guide, "Using the awslogs log driver"). The console's fragment escapes "%" as "$25".
  const consoleEscape = (value) => encodeURIComponent(value).replace(/%/g, '$25');
  const logCell = (wait, job) => {
    const cell = text('td', job.logStreamName);
    if (!job.logStreamName || !config.consoleRegion || (wait.system || 'batch') !== 'batch') return cell;
    const group = (job.detail && job.detail.logGroup) || '/aws/batch/job';
    const link = text('a', job.logStreamName, 'log-link');
    link.href = 'https://' + config.consoleRegion + '.console.aws.amazon.com/cloudwatch/home?region=' +
      encodeURIComponent(config.consoleRegion) + '#logsV2:log-groups/log-group/' + consoleEscape(group) +
      '/log-events/' + consoleEscape(job.logStreamName);
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    cell.replaceChildren(link);
    return cell;
  };

  const showDetail = async () => {
    if (!selected) return;
    let wait;
    try {
      wait = (await call('GET', '/waits/' + selected)).wait;
    } catch (error) {
      // Deleted (or no longer visible): close the detail rather than repeat the error at every refresh.
      selected = undefined;
      document.getElementById('detail').hidden = true;
      if (!error.message.startsWith('NoSuchWait')) problem('detail: ' + error.message);
      return;
    }
    const section = document.getElementById('detail');
    section.hidden = false;
    document.getElementById('detail-name').textContent = wait.name;
    const facts = document.getElementById('detail-facts');
    facts.replaceChildren();
    for (const [name, value] of [
      ['Status', wait.tethysStatus + ' (' + wait.status + ')'],
      ['Stage', wait.stage],
      ['Deadline', when(wait.deadline)],
      ['Why it ended', wait.endReason],
      ['Callback URL', wait.callbackUrl],
      ['Owner', wait.owner && wait.owner.hint ? wait.owner.display + ': ' + wait.owner.hint : undefined],
    ]) {
      if (value === undefined || value === null || value === '') continue;
      facts.append(text('dt', name), text('dd', value));
    }
    const stages = document.getElementById('detail-stages');
    stages.replaceChildren(
      ...(wait.stages || []).map((stage) =>
        text('li', stage.waiter + ': ' + stage.attempts + ' polls, started ' + when(stage.startedAt) + (stage.finishedAt ? ', finished ' + when(stage.finishedAt) : '')),
      ),
    );
    const jobs = document.querySelector('#detail-jobs tbody');
    jobs.replaceChildren(
      ...(wait.jobs || []).map((job) => {
        const tr = document.createElement('tr');
        tr.append(
          text('td', job.jobId),
          text('td', job.status || 'not seen yet'),
          text('td', job.statusReason),
          text('td', job.exitCode),
          logCell(wait, job),
        );
        return tr;
      }),
    );
  };

  const refresh = async () => {
    // Every page of the list, up to MAX_WAITS: a page may hold fewer than its limit (deleted waits are skipped).
    const waits = [];
    let asOf;
    try {
      let cursor;
      do {
        const page = await call('GET', '/waits?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
        waits.push(...page.waits);
        asOf = asOf || page.asOf;
        cursor = page.cursor;
      } while (cursor && waits.length < MAX_WAITS);
      if (document.getElementById('problem').textContent.startsWith('list:')) problem(undefined);
    } catch (error) {
      problem('list: ' + error.message);
      return;
    }
    document.querySelector('#waits tbody').replaceChildren(...waits.slice(0, MAX_WAITS).map((wait) => row(wait, asOf)));
    document.getElementById('refreshed').textContent =
      'Refreshed ' + new Date().toLocaleTimeString() + '; again every ' + config.refreshSeconds + ' s';
    if (selected) showDetail();
  };

  const start = async () => {
    Object.assign(config, await call('GET', '/config'));
    document.body.classList.toggle('admin', config.all);
    document.getElementById('scope').textContent = config.all ? "Everyone's waits (admin)" : 'Your waits';
    await refresh();
    setInterval(refresh, config.refreshSeconds * 1000);
  };
  start().catch((error) => problem('start: ' + error.message));
})();
`;
