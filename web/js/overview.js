// overview.js - the overview view: the daemon's health, polled, as a chart of
// the API's round-trip time.

const MAX_POINTS = 60;

export function createOverview(api) {
  const canvas = document.getElementById('overview-chart');
  const summary = document.getElementById('overview-summary');
  const chart = new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [{ label: 'GET /api/v1/health round trip (ms)', data: [],
                                       borderColor: '#1d3557', tension: 0.2 }] },
    options: { animation: false, maintainAspectRatio: false,
               scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
  });
  canvas.dataset.ready = 'false';

  async function refresh() {
    const t0 = performance.now();
    const health = await api('/health');
    const ms = performance.now() - t0;
    const ds = chart.data.datasets[0];
    chart.data.labels.push(`${health.uptime_s}s`);
    ds.data.push(Number(ms.toFixed(2)));
    if (ds.data.length > MAX_POINTS) {
      chart.data.labels.shift();
      ds.data.shift();
    }
    chart.update();
    canvas.dataset.ready = 'true';
    canvas.dataset.points = String(ds.data.length);
    summary.textContent = `mmlabd ${health.version}, engine ${health.engine_version}, ` +
      `schema ${health.schema_version}, up ${health.uptime_s} s`;
    return health;
  }
  return { refresh };
}
