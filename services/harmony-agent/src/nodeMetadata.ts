import { z } from 'zod';

/** What the agent reads from hmyv2_getNodeMetadata (PROTOCOLS.md §5.2), decoded at the edge. */
const metadata = z.object({
  blskey: z.array(z.string().regex(/^[0-9a-f]{96}$/)).nullable(),
  'shard-id': z.number().int().nonnegative(),
  'is-backup': z.boolean().default(false),
  peerid: z.string().nullable().default(null),
  'current-block-number': z.number().int().nonnegative().nullable().default(null),
  consensus: z.object({ mode: z.string().min(1) }),
});

export type NodeReading =
  | {
      reachable: true;
      shard_id: number;
      blskeys: string[];
      mode: string;
      is_backup: boolean;
      peerid: string | null;
      block_number: number | null;
    }
  | { reachable: false; error: string };

/** Reads the node; never throws: a node that does not answer (or answers nonsense) is a reading too. */
export async function readNode(url: string, timeoutMs: number): Promise<NodeReading> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'hmyv2_getNodeMetadata', params: [], id: 1 }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return { reachable: false, error: `HTTP ${res.status} from the node` };
    const text = await res.text();
    let body: { result?: unknown; error?: { code?: number; message?: string } };
    try {
      body = JSON.parse(text);
    } catch {
      return { reachable: false, error: 'the node answered something that is not JSON' };
    }
    if (body.error)
      return {
        reachable: false,
        error: `JSON-RPC error ${body.error.code ?? ''}: ${body.error.message ?? ''}`.slice(0, 1000),
      };
    const m = metadata.safeParse(body.result);
    if (!m.success)
      return {
        reachable: false,
        error:
          `unexpected getNodeMetadata answer: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`.slice(
            0,
            1000,
          ),
      };
    return {
      reachable: true,
      shard_id: m.data['shard-id'],
      blskeys: m.data.blskey ?? [],
      mode: m.data.consensus.mode,
      is_backup: m.data['is-backup'],
      peerid: m.data.peerid,
      block_number: m.data['current-block-number'],
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (e.cause?.message ?? e.cause?.code ?? e.message);
    return { reachable: false, error: String(reason).slice(0, 1000) || 'unknown error' };
  }
}
