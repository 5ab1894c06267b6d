import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';

/*
 * The subscription dashboards as a web page served by the service (issue 19, S7.2): `/dashboards/subscriptions`
 * is a static page whose script reads the two reports from the JSON API (`…/subscriptions/reports/overview`
 * and `/insights`, so it shows exactly what the CLI and the client get) and draws them with Chart.js, served
 * from the installed package — no CDN, the service may have no network. The page's query names the
 * integration, the CRM user whose billing scope applies and, optionally, the report day:
 * `/dashboards/subscriptions?crmOrgId=…&booksOrgId=…&environment=production&user=ada@example.com&asOf=2026-06-30`.
 */

export const DASHBOARD_PATH = '/dashboards/subscriptions';
const CHART_JS_PATH = '/dashboards/assets/chart.umd.js';
const PAGE_SCRIPT_PATH = '/dashboards/assets/subscriptions.js';

/** Chart.js's browser build, beside the package's main file. */
const chartJsFile = () => path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Subscriptions — dashboards</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1d2733; }
  header { padding: 14px 24px; background: #1d2733; color: #fff; }
  header h1 { font-size: 18px; margin: 0; }
  header p { margin: 4px 0 0; color: #b8c4d0; }
  section { margin: 18px 24px; padding: 16px; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
  section h2 { margin: 0 0 12px; font-size: 16px; }
  .tiles { display: flex; gap: 12px; margin-bottom: 14px; }
  .tile { flex: 1; padding: 10px 12px; border: 1px solid #dde3ea; border-radius: 6px; }
  .tile b { display: block; font-size: 20px; }
  .tile span { color: #5b6b7b; }
  .charts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; }
  .chart { height: 260px; position: relative; }
  #error { color: #b00020; margin: 18px 24px; }
</style>
</head>
<body>
<header><h1>Subscriptions</h1><p id="subtitle">loading…</p></header>
<div id="error"></div>
<section id="overview">
  <h2>Overview</h2>
  <div class="tiles">
    <div class="tile"><span>Active subscriptions</span><b id="active-total"></b></div>
    <div class="tile"><span>MRR</span><b id="mrr-total"></b></div>
    <div class="tile"><span>ARR</span><b id="arr-total"></b></div>
    <div class="tile"><span>Trials</span><b id="trials-total"></b></div>
  </div>
  <div class="charts">
    <div class="chart"><canvas id="mrr-chart"></canvas></div>
    <div class="chart"><canvas id="counts-chart"></canvas></div>
    <div class="chart"><canvas id="plans-chart"></canvas></div>
  </div>
</section>
<section id="insights">
  <h2>Insights</h2>
  <div class="tiles">
    <div class="tile"><span>Churn rate (12 months)</span><b id="churn-rate"></b></div>
    <div class="tile"><span>Trial conversion</span><b id="trial-conversion"></b></div>
    <div class="tile"><span>Net MRR movement</span><b id="net-movement"></b></div>
  </div>
  <div class="charts">
    <div class="chart"><canvas id="movement-chart"></canvas></div>
    <div class="chart"><canvas id="churn-chart"></canvas></div>
    <div class="chart"><canvas id="top-plans-chart"></canvas></div>
  </div>
</section>
<script src="${CHART_JS_PATH}"></script>
<script src="${PAGE_SCRIPT_PATH}"></script>
</body>
</html>
`;

/*
 * The page's script, plain browser JavaScript. Figures arrive as exact decimal text per currency; they become
 * numbers only to be drawn. Every chart is drawn without animation, so what a test or a screenshot reads is
 * final, and the page marks `body[data-ready]` once all are drawn (or `data-error` when a report is refused).
 */
const PAGE_SCRIPT = `'use strict';
(async function () {
  const q = new URLSearchParams(location.search);
  const base = ['integrations', q.get('crmOrgId'), q.get('booksOrgId'), q.get('environment') || 'production']
    .map(encodeURIComponent).join('/');
  const report = async (name) => {
    const params = new URLSearchParams({ user: q.get('user') || '' });
    if (q.get('asOf')) params.set('asOf', q.get('asOf'));
    const res = await fetch('/' + base + '/subscriptions/reports/' + name + '?' + params);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    return body;
  };
  const COLORS = ['#2f6fdf', '#e07b39', '#3a9d5d', '#c0392b', '#8e44ad', '#7f8c8d'];
  const perCurrency = (byCurrency) =>
    Object.entries(byCurrency).map(([c, v]) => c + ' ' + v).join(' · ') || '—';
  const currenciesOf = (rows, pick) => [...new Set(rows.flatMap((r) => Object.keys(pick(r))))].sort();
  const options = (title, extra) => Object.assign({
    animation: false, responsive: true, maintainAspectRatio: false,
    plugins: { title: { display: true, text: title } },
  }, extra || {});
  const draw = (id, type, data, title, extra) => new Chart(document.getElementById(id), { type, data, options: options(title, extra) });
  const text = (id, value) => { document.getElementById(id).textContent = value; };

  try {
    const [overview, insights] = await Promise.all([report('overview'), report('insights')]);
    text('subtitle', 'As of ' + overview.asOf + ' · the last 12 months');
    const months = overview.months.map((m) => m.month);

    text('active-total', String(overview.current.active));
    text('mrr-total', perCurrency(overview.current.mrr));
    text('arr-total', perCurrency(overview.current.arr));
    text('trials-total', String(overview.current.trials));
    draw('mrr-chart', 'line', {
      labels: months,
      datasets: currenciesOf(overview.months, (m) => m.mrr).map((c, i) => ({
        label: 'MRR ' + c, borderColor: COLORS[i], backgroundColor: COLORS[i],
        data: overview.months.map((m) => Number(m.mrr[c] || 0)),
      })),
    }, 'MRR by month');
    draw('counts-chart', 'bar', {
      labels: months,
      datasets: [
        { label: 'Active', backgroundColor: COLORS[0], data: overview.months.map((m) => m.active) },
        { label: 'New', backgroundColor: COLORS[2], data: overview.months.map((m) => m.new) },
        { label: 'Churned', backgroundColor: COLORS[3], data: overview.months.map((m) => m.churned) },
      ],
    }, 'Active, new and churned');
    draw('plans-chart', 'bar', {
      labels: overview.byPlan.map((p) => p.planName + ' (' + p.currency + ')'),
      datasets: [
        { label: 'MRR', backgroundColor: COLORS[0], data: overview.byPlan.map((p) => Number(p.mrr)) },
        { label: 'ARR', backgroundColor: COLORS[1], data: overview.byPlan.map((p) => Number(p.arr)) },
      ],
    }, 'MRR and ARR by plan', { indexAxis: 'y' });

    const percent = (p) => (p === null ? '—' : p + ' %');
    text('churn-rate', percent(insights.churnRate.percent));
    const t = insights.trialConversion;
    text('trial-conversion', percent(t.percent) + ' (' + t.converted + ' of ' + (t.converted + t.lapsed) + ')');
    text('net-movement', perCurrency(Object.fromEntries(Object.entries(insights.movement).map(([c, m]) => [c, m.net]))));
    const kinds = ['new', 'expansion', 'contraction', 'churn', 'net'];
    draw('movement-chart', 'bar', {
      labels: ['New', 'Expansion', 'Contraction', 'Churn', 'Net'],
      datasets: Object.keys(insights.movement).sort().map((c, i) => ({
        label: c, backgroundColor: COLORS[i],
        data: kinds.map((k) => (k === 'contraction' || k === 'churn' ? -1 : 1) * Number(insights.movement[c][k])),
      })),
    }, 'MRR movement (12 months)');
    draw('churn-chart', 'line', {
      labels: insights.monthlyChurn.map((m) => m.month),
      datasets: [{
        label: 'Churn %', borderColor: COLORS[3], backgroundColor: COLORS[3],
        data: insights.monthlyChurn.map((m) => (m.percent === null ? null : Number(m.percent))),
      }],
    }, 'Monthly churn rate');
    draw('top-plans-chart', 'bar', {
      labels: insights.topPlans.map((p) => p.planName + ' (' + p.currency + ')'),
      datasets: [{ label: 'MRR', backgroundColor: COLORS[2], data: insights.topPlans.map((p) => Number(p.mrr)) }],
    }, 'Top plans by MRR', { indexAxis: 'y' });
    document.body.dataset.ready = 'true';
  } catch (err) {
    text('error', String(err.message || err));
    document.body.dataset.error = 'true';
  }
})();
`;

function sendText(res: http.ServerResponse, type: string, body: string | Buffer) {
  res.writeHead(200, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/**
 * Serves the dashboards page and its two scripts; false for any other request (the JSON API answers it).
 * Reads Chart.js from disk on each request: a page load, not a hot path.
 */
export async function serveDashboardPage(
  method: string,
  urlPath: string,
  res: http.ServerResponse,
): Promise<boolean> {
  if (method !== 'GET') return false;
  if (urlPath === DASHBOARD_PATH) sendText(res, 'text/html', PAGE);
  else if (urlPath === PAGE_SCRIPT_PATH) sendText(res, 'text/javascript', PAGE_SCRIPT);
  else if (urlPath === CHART_JS_PATH) sendText(res, 'text/javascript', await readFile(chartJsFile()));
  else return false;
  return true;
}
