// The live page: one section per query with uPlot charts fed by server-sent events from /events.
// window.spateCharts holds the charts (by query, then chart name) so that tests can read them.
(function () {
  'use strict';
  const PHASES = ['latestOffset', 'getBatch', 'queryPlanning', 'walCommit', 'addBatch', 'commitOffsets'];
  const COLOURS = ['#1971c2', '#e8590c', '#2f9e44', '#9c36b5', '#f08c00', '#c2255c', '#0c8599', '#5c940d'];
  const queries = new Map();
  window.spateCharts = {};

  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, attrs || {});
    for (const c of children) e.append(c);
    return e;
  };

  /** Each chart: a title, a unit, and how to read its series from the points. */
  const CHARTS = [
    { name: 'rates', title: 'Input vs processing rate', unit: 'rows/s',
      series: () => ['input', 'processed'], value: (p, s) => (s === 'input' ? p.inputRate : p.processedRate) },
    { name: 'phases', title: 'Batch duration by phase', unit: 'ms',
      series: () => PHASES, value: (p, s) => p.durations[s] ?? null },
    { name: 'eventTime', title: 'Watermark and event-time lag', unit: 's',
      series: () => ['watermark lag', 'event-time lag'], value: (p, s) => (s === 'watermark lag' ? p.watermarkLag : p.eventTimeLag) },
    { name: 'state', title: 'State rows', unit: 'rows',
      series: (points) => keysOf(points, (p) => p.stateRows), value: (p, s) => p.stateRows[s] ?? null },
    { name: 'lag', title: 'Lag per partition', unit: 'records',
      series: (points) => keysOf(points, (p) => p.partitionLag), value: (p, s) => p.partitionLag[s] ?? null },
  ];

  function keysOf(points, pick) {
    const keys = new Set();
    for (const p of points) for (const k of Object.keys(pick(p))) keys.add(k);
    return [...keys].sort();
  }

  function addQuery(view) {
    if (queries.has(view.key)) return;
    document.querySelector('.empty')?.remove();
    const status = el('span', { className: 'badge' });
    const guarantee = el('span', { className: `badge ${view.guarantee.level}`, textContent: view.guarantee.level, title: view.guarantee.reason });
    const progress = el('pre', { className: 'progress', textContent: 'no batch yet' });
    const charts = el('div', { className: 'charts' });
    const section = el('section', { className: 'query', id: `query-${view.key}` },
      el('h2', { textContent: view.name || view.key }),
      el('div', { className: 'meta' }, `id ${view.id} · `, guarantee, ' ', el('small', { textContent: view.guarantee.reason }), ' · ', status),
      charts,
      el('details', {}, el('summary', { textContent: 'Recent progress' }), progress),
      el('details', {}, el('summary', { textContent: 'Plan' }), el('pre', { textContent: view.plan })));
    document.getElementById('queries').append(section);
    const q = { view, points: [...view.points], status, progress, charts: {}, holders: {} };
    for (const c of CHARTS) {
      q.holders[c.name] = el('div', { className: `chart chart-${c.name}` });
      charts.append(q.holders[c.name]);
    }
    queries.set(view.key, q);
    window.spateCharts[view.key] = q.charts;
    setStatus(q, view.status, view.ready);
    if (view.progress) q.progress.textContent = JSON.stringify(view.progress, null, 2);
    draw(q);
  }

  function setStatus(q, status, ready) {
    q.status.textContent = `${ready ? 'ready' : 'not ready'}: ${status}`;
    q.status.className = `badge ${ready ? 'ready' : 'unready'}`;
  }

  function draw(q) {
    const width = Math.max(400, q.charts && q.holders.rates.clientWidth || 440);
    for (const c of CHARTS) {
      const names = c.series(q.points);
      const data = [q.points.map((p) => p.t), ...names.map((s) => q.points.map((p) => c.value(p, s)))];
      const chart = q.charts[c.name];
      if (chart && chart.spateSeries === names.join('\u0000')) {
        chart.setData(data);
        continue;
      }
      chart?.destroy();
      const made = new uPlot({
        title: `${c.title} (${c.unit})`, width, height: 220,
        scales: { x: { time: true } },
        axes: [{}, { size: 70 }],
        series: [{}, ...names.map((s, i) => ({ label: s, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true }))],
      }, data, q.holders[c.name]);
      made.spateSeries = names.join('\u0000');
      q.charts[c.name] = made;
    }
  }

  function connect() {
    const badge = document.getElementById('connection');
    const events = new EventSource('/events');
    events.onopen = () => { badge.textContent = 'live'; badge.className = 'badge open'; };
    events.onerror = () => { badge.textContent = 'disconnected'; badge.className = 'badge closed'; };
    events.addEventListener('snapshot', (e) => { for (const v of JSON.parse(e.data)) addQuery(v); });
    events.addEventListener('query', (e) => addQuery(JSON.parse(e.data)));
    events.addEventListener('point', (e) => {
      const { key, point, progress } = JSON.parse(e.data);
      const q = queries.get(key);
      if (!q) return;
      q.points.push(point);
      if (q.points.length > 600) q.points.shift();
      q.progress.textContent = JSON.stringify(progress, null, 2);
      draw(q);
    });
    events.addEventListener('status', (e) => {
      const { key, status, ready } = JSON.parse(e.data);
      const q = queries.get(key);
      if (q) setStatus(q, status, ready);
    });
  }

  connect();
})();
