import type { Metrics } from '@tocsin/runtime';
import { Gauge, Histogram } from 'prom-client';
import { type ClientObservation, clientStatusData } from './clientObservation.ts';

/** What the ingestor adds to /metrics, beside the runtime's own (endpoint errors: `tocsin_endpoint_errors_total`). */
export function createIngestorMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    scanDuration: new Histogram({
      name: 'tocsin_cosmos_ibc_scan_duration_seconds',
      help: 'Duration of one chain scan',
      labelNames: ['chain_id'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    clients: new Gauge({
      name: 'tocsin_cosmos_ibc_clients',
      help: 'IBC clients seen in the latest scan, by status',
      labelNames: ['chain_id', 'status'],
      registers,
    }),
    minRemaining: new Gauge({
      name: 'tocsin_cosmos_ibc_client_min_remaining_seconds',
      help: 'Least time left in the trusting period among active clients of the chain',
      labelNames: ['chain_id'],
      registers,
    }),
    walletBalance: new Gauge({
      name: 'tocsin_cosmos_ibc_wallet_balance',
      help: 'Wallet balance in display units',
      labelNames: ['chain_id', 'address', 'denom'],
      registers,
    }),
    height: new Gauge({
      name: 'tocsin_cosmos_ibc_block_height',
      help: 'Latest block height seen per chain',
      labelNames: ['chain_id'],
      registers,
    }),
  };
}
export type IngestorMetrics = ReturnType<typeof createIngestorMetrics>;

const CLIENT_STATUSES = ['Active', 'Expired', 'Frozen', 'Unknown', 'Unauthorized', 'Unsupported'];

/** The client gauges of a chain from its latest observations: counts by status, least time left among active. */
export function updateClientGauges(
  metrics: IngestorMetrics,
  chainId: string,
  clients: Iterable<ClientObservation>,
  nowMs: number,
): void {
  const counts = new Map<string, number>();
  let minRemaining = Number.POSITIVE_INFINITY;
  for (const o of clients) {
    counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
    const data = clientStatusData({ ...o, observedAtMs: nowMs });
    if (o.status === 'Active' && data.remaining_s !== null)
      minRemaining = Math.min(minRemaining, data.remaining_s);
  }
  for (const status of CLIENT_STATUSES)
    metrics.clients.set({ chain_id: chainId, status }, counts.get(status) ?? 0);
  if (Number.isFinite(minRemaining)) metrics.minRemaining.set({ chain_id: chainId }, minRemaining);
}
