import { PageResponse } from 'cosmjs-types/cosmos/base/query/v1beta1/pagination';
import { describe, expect, it } from 'vitest';
import {
  Chain,
  ConsumerInitializationParameters,
  MsgOptIn,
  phaseName,
  QueryConsumerChainResponse,
  QueryConsumerChainsResponse,
} from '../src/index.ts';

describe('ics-proto codecs', () => {
  it('round-trips a consumer chain with nested cosmjs-types messages', () => {
    const res = QueryConsumerChainResponse.fromPartial({
      consumerId: '0',
      chainId: 'consumer-1',
      ownerAddress: 'cosmos1owner',
      phase: 'CONSUMER_PHASE_INITIALIZED',
      metadata: { name: 'consumer-1', description: 'd', metadata: '{}' },
      initParams: ConsumerInitializationParameters.fromPartial({
        spawnTime: { seconds: 1_800_000_000n, nanos: 0 },
        initialHeight: { revisionNumber: 1n, revisionHeight: 1n },
      }),
    });
    const back = QueryConsumerChainResponse.decode(QueryConsumerChainResponse.encode(res).finish());
    expect(back.chainId).toBe('consumer-1');
    expect(back.initParams?.spawnTime?.seconds).toBe(1_800_000_000n);
    expect(back.initParams?.initialHeight?.revisionHeight).toBe(1n);
    expect(back.metadata?.name).toBe('consumer-1');
    expect(back.clientId).toBe('');
  });

  it('encodes the wire bytes protoc would (field 13 consumer_id, repeated chains)', () => {
    const bytes = QueryConsumerChainsResponse.encode({
      chains: [
        Chain.fromPartial({ consumerId: '7', phase: 'CONSUMER_PHASE_LAUNCHED', allowlist: ['a', 'b'] }),
      ],
      pagination: PageResponse.fromPartial({ total: 1n }),
    }).finish();
    const decoded = QueryConsumerChainsResponse.decode(bytes);
    expect(decoded.chains).toHaveLength(1);
    expect(decoded.chains[0]).toMatchObject({ consumerId: '7', allowlist: ['a', 'b'] });
    expect(decoded.pagination?.total).toBe(1n);
    // consumer_id = 13, wire type 2 → tag byte 0x6a
    const chainBytes = Chain.encode(Chain.fromPartial({ consumerId: '7' })).finish();
    expect([...chainBytes]).toEqual([0x6a, 1, 0x37]);
  });

  it('skips unknown fields (newer provider versions)', () => {
    const msg = MsgOptIn.encode(MsgOptIn.fromPartial({ consumerId: '1', signer: 'cosmos1x' })).finish();
    const withExtra = Uint8Array.from([...msg, (15 << 3) | 0, 5]); // field 15, varint 5
    expect(MsgOptIn.decode(withExtra)).toMatchObject({ consumerId: '1', signer: 'cosmos1x' });
  });

  it('names phases by enum name or number and passes unknown ones through', () => {
    expect(phaseName('CONSUMER_PHASE_LAUNCHED')).toBe('LAUNCHED');
    expect(phaseName('3')).toBe('LAUNCHED');
    expect(phaseName('CONSUMER_PHASE_PAUSED')).toBe('CONSUMER_PHASE_PAUSED');
    expect(phaseName('9')).toBe('9');
  });
});
