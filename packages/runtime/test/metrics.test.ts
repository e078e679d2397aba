import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, Tally } from '../src/metrics.ts';

describe('consumer metrics', () => {
  it('counts every message received and handled, per consumer, as of each read', async () => {
    const m = createMetrics('probe');
    const a = m.consumer('a');
    const b = m.consumer('b');
    for (let i = 0; i < 3; i++) a.received?.('s');
    a.handled?.('s', 2);
    b.received?.('s');
    const first = await m.registry.metrics();
    expect(first).toMatch(/^tocsin_messages_received_total\{consumer="a",service="probe"\} 3$/m);
    expect(first).toMatch(/^tocsin_messages_received_total\{consumer="b",service="probe"\} 1$/m);
    expect(first).toMatch(/^tocsin_messages_handled_total\{consumer="a",service="probe"\} 1$/m);
    expect(first).toMatch(/^tocsin_handler_duration_seconds_count\{service="probe",consumer="a"\} 1$/m);
    // The same consumer's observer again (a restarted loop) adds to the same series; a read counts nothing twice.
    m.consumer('a').handled?.('s', 1);
    a.handled?.('s', 1);
    const second = await m.registry.metrics();
    expect(second).toMatch(/^tocsin_messages_received_total\{consumer="a",service="probe"\} 3$/m);
    expect(second).toMatch(/^tocsin_messages_handled_total\{consumer="a",service="probe"\} 3$/m);
  });
});

describe('Tally', () => {
  it('adds its counts per set of label values to the counter at each read, none twice', async () => {
    const registry = new Registry();
    const tally = new Tally();
    new Counter({
      name: 'probe_total',
      help: 'probe',
      labelNames: ['transition', 'severity'],
      registers: [registry],
      collect() {
        tally.drain(this);
      },
    });
    tally.add({ transition: 'firing', severity: 'critical' });
    tally.add({ transition: 'firing', severity: 'critical' });
    tally.add({ transition: 'resolved', severity: 'critical' });
    const first = await registry.metrics();
    expect(first).toMatch(/^probe_total\{transition="firing",severity="critical"\} 2$/m);
    expect(first).toMatch(/^probe_total\{transition="resolved",severity="critical"\} 1$/m);
    tally.slot({ transition: 'firing', severity: 'critical' }).n++;
    const second = await registry.metrics();
    expect(second).toMatch(/^probe_total\{transition="firing",severity="critical"\} 3$/m);
    expect(second).toMatch(/^probe_total\{transition="resolved",severity="critical"\} 1$/m);
  });
});
