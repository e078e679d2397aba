import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack rejects replays older than five minutes; so do we. */
export const MAX_SKEW_S = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`, as Slack signs requests. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Verifies a request from Slack on its raw body (before any parsing): timestamp within five minutes of `nowMs`
 * and a matching signature, compared in constant time.
 */
export function verifySlackRequest(opts: {
  signingSecret: string;
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
}): SignatureCheck {
  const { timestamp, signature } = opts;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing or malformed timestamp' };
  if (Math.abs(opts.nowMs / 1000 - Number(timestamp)) > MAX_SKEW_S)
    return { ok: false, reason: 'stale timestamp' };
  if (!signature?.startsWith('v0=')) return { ok: false, reason: 'missing or malformed signature' };
  const expected = Buffer.from(slackSignature(opts.signingSecret, timestamp, opts.rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad signature' };
  }
  return { ok: true };
}
