import { describe, expect, it } from 'vitest';
import { matchesEventQuery, parseEventQuery } from '../src/eventQuery.ts';

const events = {
  'tm.event': ['Tx'],
  'transfer.amount': ['250', '5'],
  'message.action': ['/ibc.core.client.v1.MsgUpdateClient'],
  'update_client.client_id': ['07-tendermint-0'],
};

const matches = (q: string) => matchesEventQuery(parseEventQuery(q), events);

describe('event queries', () => {
  it('matches =, comparisons, CONTAINS and EXISTS joined by AND', () => {
    expect(matches("tm.event='Tx'")).toBe(true);
    expect(matches("tm.event = 'NewBlock'")).toBe(false);
    expect(matches("tm.event='Tx' AND update_client.client_id='07-tendermint-0'")).toBe(true);
    expect(matches('transfer.amount > 100')).toBe(true);
    expect(matches('transfer.amount >= 251')).toBe(false);
    expect(matches("message.action CONTAINS 'UpdateClient'")).toBe(true);
    expect(matches('update_client.client_id EXISTS')).toBe(true);
    expect(matches("opt_in.consumer_id EXISTS AND tm.event='Tx'")).toBe(false);
  });

  it('rejects what it cannot parse', () => {
    expect(() => parseEventQuery('tm.event is Tx')).toThrow(/failed to parse query/);
    expect(() => parseEventQuery('')).toThrow(/empty/);
    expect(() => parseEventQuery(`a.b='${'x'.repeat(600)}'`)).toThrow(/too long/);
  });
});
