/**
 * The dead-man switch: while the pipeline is healthy, push to external monitors (Uptime Kuma push monitors,
 * healthchecks.io, …) so that a dead tocsin is noticed by something that is not tocsin. The URL may carry
 * placeholders: {height} (highest block height seen), {heights} (chain=height,…), {status} ("up").
 * POST targets also get a JSON body with the heights.
 */
export interface PushTarget {
  url: string;
  method: 'GET' | 'POST';
}

export interface Health {
  healthy: boolean;
  reasons: string[];
}

export interface HeartbeatPushOptions {
  targets: PushTarget[];
  heights(): Map<string, number>;
  health(): Promise<Health>;
  instance: string;
  log: { warn(obj: object, msg?: string): void; debug(obj: object, msg?: string): void };
  timeoutMs?: number;
}

export interface PushResult {
  pushed: number;
  failed: number;
  skipped: string[] | null;
}

/** Fills the placeholders of a push URL. */
export function expandUrl(url: string, heights: Map<string, number>): string {
  const max = heights.size ? Math.max(...heights.values()) : 0;
  const list = [...heights].map(([c, h]) => `${c}=${h}`).join(',');
  return url
    .replaceAll('{height}', String(max))
    .replaceAll('{heights}', encodeURIComponent(list || 'none'))
    .replaceAll('{status}', 'up');
}

export function createHeartbeatPush(opts: HeartbeatPushOptions) {
  async function push(): Promise<PushResult> {
    const h = await opts.health();
    if (!h.healthy) {
      opts.log.warn({ reasons: h.reasons }, 'pipeline unhealthy: external heartbeat not sent');
      return { pushed: 0, failed: 0, skipped: h.reasons };
    }
    const heights = opts.heights();
    const body = JSON.stringify({
      status: 'up',
      service: 'alerter',
      instance: opts.instance,
      heights: Object.fromEntries(heights),
    });
    let pushed = 0;
    let failed = 0;
    await Promise.all(
      opts.targets.map(async (t) => {
        try {
          const res = await fetch(expandUrl(t.url, heights), {
            method: t.method,
            ...(t.method === 'POST' ? { body, headers: { 'content-type': 'application/json' } } : {}),
            signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) pushed++;
          else {
            failed++;
            opts.log.warn({ status: res.status, target: redact(t.url) }, 'external heartbeat refused');
          }
        } catch (err) {
          failed++;
          opts.log.warn({ err: String(err), target: redact(t.url) }, 'external heartbeat failed');
        }
      }),
    );
    return { pushed, failed, skipped: null };
  }
  return { push };
}

/** Push URLs embed their token: logs show the host only. */
function redact(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}
