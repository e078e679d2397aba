import { describe, expect, it } from 'vitest';
import { DeliveryInProgress } from '../src/delivery.ts';
import { DeliveryError } from '../src/provider.ts';
import { deliveryReason } from '../src/reason.ts';

describe('deliveryReason (the reason label of tocsin_deliveries_total)', () => {
  it('uses the HTTP status when the provider had one', () => {
    expect(deliveryReason(new DeliveryError('webhook ops: HTTP 429', true, 429))).toBe('rate_limited');
    expect(deliveryReason(new DeliveryError('webhook ops: HTTP 503', true, 503))).toBe('http_5xx');
    expect(deliveryReason(new DeliveryError('webhook ops: HTTP 408', true, 408))).toBe('timeout');
    expect(deliveryReason(new DeliveryError('Missing Access (50001) in channel 1', false, 403))).toBe(
      'forbidden',
    );
    expect(deliveryReason(new DeliveryError('Unknown Channel (10003) in channel 1', false, 404))).toBe(
      'not_found',
    );
    expect(deliveryReason(new DeliveryError('a token being rotated', true, 401))).toBe('unauthorized');
    expect(deliveryReason(new DeliveryError('Invalid Form Body (50035)', false, 400))).toBe('rejected');
  });

  it('names platform errors that come without a status (Slack codes, Discord names)', () => {
    expect(deliveryReason(new DeliveryError('slack channel C1: channel_not_found', false))).toBe('not_found');
    expect(deliveryReason(new DeliveryError('slack channel C1: not_in_channel', false))).toBe('forbidden');
    expect(
      deliveryReason(new DeliveryError('slack channel C1: missing_scope (needs chat:write)', false)),
    ).toBe('forbidden');
    expect(deliveryReason(new DeliveryError('slack channel C1: invalid_auth', false))).toBe('unauthorized');
    expect(
      deliveryReason(new DeliveryError('slack channel C1: still rate limited after retries', true)),
    ).toBe('rate_limited');
    expect(deliveryReason(new DeliveryError('slack channel C1: service_unavailable', true))).toBe('http_5xx');
    expect(
      deliveryReason(new DeliveryError('webhook ops: The operation was aborted due to timeout', true)),
    ).toBe('timeout');
    expect(deliveryReason(new DeliveryError('channel 1 is not a text channel', false, null))).toBe(
      'rejected',
    );
  });

  it('tells a network failure, another copy in progress and a non-delivery error apart', () => {
    expect(deliveryReason(new DeliveryError('webhook ops: fetch failed', true))).toBe('network');
    expect(deliveryReason(new DeliveryInProgress('ops'))).toBe('in_progress');
    expect(deliveryReason(new Error('connection terminated'))).toBe('error');
  });
});
