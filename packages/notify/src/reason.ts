import { isDeliveryInProgress } from './delivery.ts';
import { isDeliveryError } from './provider.ts';

/** The `reason` label of `tocsin_deliveries_total`: a small fixed set, whatever the platform said. */
export type DeliveryReason =
  | 'ok'
  | 'in_progress'
  | 'rate_limited'
  | 'timeout'
  | 'http_5xx'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rejected'
  | 'network'
  | 'error';

// Platform error names without an HTTP status (Slack's `ok: false` codes, Discord's named JSON codes), as the
// notifiers put them in the DeliveryError's message.
const NAMED: [RegExp, DeliveryReason][] = [
  [/\brate[ _]?limit/i, 'rate_limited'],
  [/time(d)? ?out|request_timeout|TimeoutError/i, 'timeout'],
  [/channel_not_found|unknown (channel|message|webhook)|no webhook target|not found/i, 'not_found'],
  [/invalid_auth|not_authed|token_revoked|account_inactive/i, 'unauthorized'],
  [
    /missing[ _](access|permissions|scope)|not_in_channel|is_archived|restricted_action|forbidden/i,
    'forbidden',
  ],
  [/internal_error|fatal_error|service_unavailable/i, 'http_5xx'],
];

/**
 * Classifies a failed delivery for metrics: the HTTP status when the provider had one, else the platform's
 * error name, else whether it could be retried (a network failure) or not (refused by the platform).
 */
export function deliveryReason(err: unknown): DeliveryReason {
  if (!isDeliveryError(err)) return 'error';
  if (isDeliveryInProgress(err)) return 'in_progress';
  const s = err.status;
  if (s === 429) return 'rate_limited';
  if (s === 408) return 'timeout';
  if (s !== null && s >= 500) return 'http_5xx';
  if (s === 401) return 'unauthorized';
  if (s === 403) return 'forbidden';
  if (s === 404) return 'not_found';
  for (const [re, reason] of NAMED) if (re.test(err.message)) return reason;
  if (s !== null && s >= 400) return 'rejected';
  return err.retry ? 'network' : 'rejected';
}
