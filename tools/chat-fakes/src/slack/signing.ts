import { createHmac } from 'node:crypto';

export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/**
 * Signs a request body the way Slack signs what it sends to an app: hex HMAC-SHA256 of `v0:<ts>:<body>`
 * keyed with the app's signing secret. `timestamp` is Unix seconds; the body must be the exact raw bytes sent.
 */
export function signSlackRequest(opts: {
  signingSecret: string;
  body: string;
  timestamp: number | string;
}): SlackSignatureHeaders {
  const ts = String(opts.timestamp);
  const digest = createHmac('sha256', opts.signingSecret).update(`v0:${ts}:${opts.body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': ts };
}
