// The live page: one section per query with uPlot charts fed by server-sent events from /events,
// and one per cluster worker with the units it owns (source partitions with their lag, key groups
// with their rows) and the query's epochs. window.spateCharts holds the charts (by query, then
// chart name) so that tests can read them.
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

  const workers = new Map();

  function cells(tag, values) {
    return el('tr', {}, ...values.map((v) => el(tag, { textContent: String(v) })));
  }

  function table(className, head, rows) {
    return el('table', { className }, el('thead', {}, cells('th', head)), el('tbody', {}, ...rows.map((r) => cells('td', r))));
  }

  /** Draws (again) a cluster worker's section from its view. */
  function showWorker(view) {
    document.querySelector('.empty')?.remove();
    let section = workers.get(view.key);
    if (!section) {
      section = el('section', { className: 'worker' });
      section.dataset.worker = view.key;
      document.getElementById('queries').append(section);
      workers.set(view.key, section);
    }
    const s = view.status;
    const badge = el('span', { className: `badge ${view.ready ? 'ready' : 'unready'}`,
      textContent: `${view.stopped ? 'stopped' : view.ready ? 'ready' : 'not ready'}: ${view.message}` });
    const meta = el('div', { className: 'meta' }, `cluster query ${view.query} · `, badge);
    if (!s) {
      section.replaceChildren(el('h2', { textContent: `worker ${view.workerId}` }), meta);
      return;
    }
    meta.append(s.coordinator ? ' · coordinator' : '',
      ` · epochs planned ${s.plannedEpoch}, committed ${s.committedEpoch} · generation ${s.generation}, ${s.rebalances} rebalances` +
      ` (last ${s.lastRebalanceMs} ms) · refused: ${s.refusedCommits} state commits, ${s.refusedSinkRecords} sink records` +
      (s.failingSteps ? ` · ${s.failingSteps} failing steps, last: ${s.lastFailure}` : ''));
    const owned = s.sourcePartitions.filter((p) => p.owned);
    const groups = el('p', { className: 'groups', textContent: s.keyGroups.length
      ? `key groups ${s.keyGroups.map((g) => g.group).join(', ')}: rows in ${s.keyGroups.reduce((n, g) => n + g.rowsIn, 0)}, out ${s.keyGroups.reduce((n, g) => n + g.rowsOut, 0)}`
      : 'no key group owned' });
    section.replaceChildren(el('h2', { textContent: `worker ${view.workerId}` }), meta,
      table('sources', ['source partition', 'owned here', 'committed offset', 'latest offset', 'lag', 'rows read here'],
        s.sourcePartitions.map((p) => [`${p.topic}/${p.partition}`, p.owned ? 'yes' : '', p.committedOffset ?? '-', p.latestOffset, p.lagRecords, p.rowsRead])),
      el('p', { className: 'partitions', textContent: `${owned.length} of ${s.sourcePartitions.length} source partitions owned here` }),
      groups,
      el('details', {}, el('summary', { textContent: 'Key groups' }),
        table('key-groups', ['key group', 'last epoch', 'rows in', 'rows out'], s.keyGroups.map((g) => [g.group, g.epoch, g.rowsIn, g.rowsOut]))));
  }

  function connect() {
    const badge = document.getElementById('connection');
    const events = new EventSource('/events');
    events.onopen = () => { badge.textContent = 'live'; badge.className = 'badge open'; };
    events.onerror = () => { badge.textContent = 'disconnected'; badge.className = 'badge closed'; };
    events.addEventListener('snapshot', (e) => { for (const v of JSON.parse(e.data)) addQuery(v); });
    events.addEventListener('query', (e) => addQuery(JSON.parse(e.data)));
    events.addEventListener('worker', (e) => showWorker(JSON.parse(e.data)));
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
