import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownMetricNames, metricsIn } from './support/metricNames.ts';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}
// Grafana's own variable syntax, not a JavaScript template.
const DATASOURCE_VAR = '$' + '{datasource}';
const text = readFileSync(join(import.meta.dirname, '..', 'deploy', 'grafana', 'tocsin.json'), 'utf8');

describe('deploy/grafana/tocsin.json', () => {
  const dash = JSON.parse(text) as {
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: { name: string; type: string }[] };
  };
  const panels = dash.panels.filter((p) => p.type !== 'row');

  it('is a dashboard with a Prometheus datasource variable and unique panel ids', () => {
    expect(dash.uid).toBe('tocsin-overview');
    expect(dash.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  it('every panel queries Prometheus through the variable', () => {
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VAR });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!)
        expect(metricsIn(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
    }
  });

  it('reads only metrics that tocsin exposes', () => {
    const known = knownMetricNames();
    for (const p of panels)
      for (const t of p.targets!)
        for (const m of metricsIn(t.expr)) expect(known, `${p.title}: ${m}`).toContain(m);
  });

  it('shows events in/out, handler latency, consumer lag and oldest pending age, deliveries by reason, endpoint errors', () => {
    const used = new Set(panels.flatMap((p) => p.targets!.flatMap((t) => metricsIn(t.expr))));
    for (const m of [
      'tocsin_events_published_total',
      'tocsin_messages_received_total',
      'tocsin_deliveries_total',
      'tocsin_handler_duration_seconds',
      'tocsin_consumer_pending_messages',
      'tocsin_consumer_oldest_pending_age_seconds',
      'tocsin_consumer_stuck',
      'tocsin_endpoint_errors_total',
      'tocsin_heartbeats_sent_total',
    ])
      expect(used).toContain(m);
    expect(text).toContain('by (notifier, result, reason)');
  });
});
