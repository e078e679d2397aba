import { pathMatches } from '../path-pattern.ts';
import { errorBody } from './wire.ts';

/** Which REST requests a fault applies to. All given fields must match. */
export interface RouteMatcher {
  /** HTTP method, e.g. 'POST'. Any method when omitted. */
  method?: string;
  /** Path after `/api/v10`, e.g. '/channels/:id/messages' or '/channels/123/*', or a RegExp. */
  path?: string | RegExp;
  /** Any route under `/channels/<channelId>`. */
  channelId?: string;
}

export type DiscordFault = (
  | { status: 429; retryAfterS: number; global?: boolean }
  | { status: 500 | 502 | 503 | 504 }
  | { status: 400 | 401 | 403 | 404; code: number; message: string }
  /**
   * The request takes effect (e.g. the message is created) but no answer comes back until the fake closes: a
   * crash or timeout between Discord acting and the client hearing of it.
   */
  | { hang: true }
) & {
  /** How many requests to fail; 1 by default, Infinity for a permanent fault. */
  times?: number;
};

export function routeMatches(m: RouteMatcher, req: { method: string; path: string }): boolean {
  if (m.method && m.method.toUpperCase() !== req.method) return false;
  if (m.path !== undefined && !pathMatches(m.path, req.path)) return false;
  if (m.channelId !== undefined && !pathMatches(`/channels/${m.channelId}/*`, req.path)) return false;
  return true;
}

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * The response Discord gives for a fault. For 429 these are the headers @discordjs/rest reads: Retry-After
 * (seconds; Discord sends whole seconds but the fake sends the exact fraction so tests stay fast),
 * X-RateLimit-Remaining/Reset-After (the local bucket), X-RateLimit-Global, X-RateLimit-Scope.
 */
export function faultResponse(fault: Exclude<DiscordFault, { hang: true }>, nowMs: number): FaultResponse {
  if (fault.status === 429) {
    const global = fault.global ?? false;
    const headers: Record<string, string> = {
      'retry-after': String(fault.retryAfterS),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': ((nowMs + fault.retryAfterS * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': fault.retryAfterS.toFixed(3),
      'x-ratelimit-bucket': 'fakebucket0000000000000000000000',
      'x-ratelimit-scope': global ? 'global' : 'user',
    };
    if (global) headers['x-ratelimit-global'] = 'true';
    return {
      status: 429,
      headers,
      body: { message: 'You are being rate limited.', retry_after: fault.retryAfterS, global },
    };
  }
  if (fault.status >= 500) {
    return {
      status: fault.status,
      headers: {},
      body: errorBody(0, `${fault.status}: Internal Server Error`),
    };
  }
  const { code, message } = fault as { code: number; message: string };
  return { status: fault.status, headers: {}, body: errorBody(code, message) };
}
