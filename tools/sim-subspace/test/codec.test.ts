import { expandMetadata } from '@polkadot/types';
import type { Extrinsic, Header } from '@polkadot/types/interfaces';
import { u8aToHex } from '@polkadot/util';
import { signatureVerify } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AI3, SS58_PREFIX, SubspaceCodec } from '../src/codec.ts';
import { KEPT_PALLETS, runtimeVersion, SYNTHETIC_PALLETS } from '../src/metadata.ts';

// The simulator encodes calls, extrinsics, events and headers itself (fast enough for 10,000-block scenarios);
// these tests hold that encoding to what polkadot-js itself builds and decodes.
let codec: SubspaceCodec;
beforeAll(async () => {
  codec = await SubspaceCodec.create();
});

const GENESIS = `0x${'ab'.repeat(32)}` as const;

describe('SubspaceCodec against polkadot-js', () => {
  it('has the Autonomys pallet indices and SS58 prefix in its metadata', () => {
    const pallets = Object.fromEntries(
      codec.metadata.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]),
    );
    expect(pallets).toEqual({ ...KEPT_PALLETS, ...SYNTHETIC_PALLETS });
    expect(codec.registry.chainSS58).toBe(SS58_PREFIX);
    expect(runtimeVersion(3).apis.map(([id]) => id)).not.toContain('0x37e397fc7c91f5e4');
  });

  it('encodes calls byte for byte as the decorated metadata does', () => {
    const tx = expandMetadata(codec.registry, codec.metadata).tx;
    const bob = codec.account('//Bob');
    const ours = codec.call('balances', 'transfer_keep_alive', { Id: u8aToHex(bob.publicKey) }, 7n * AI3);
    const theirs = tx.balances?.transferKeepAlive?.(bob.address, 7n * AI3);
    expect(u8aToHex(ours.bytes)).toBe(theirs?.toHex());
    const nested = codec.call('sudo', 'sudo', codec.call('system', 'remark', 'hi'));
    expect(u8aToHex(nested.bytes)).toBe(tx.sudo?.sudo?.(tx.system?.remark?.('hi') as never).toHex());
    const ts = codec.call('timestamp', 'set', 1_767_225_600_000);
    expect(u8aToHex(ts.bytes)).toBe(tx.timestamp?.set?.(1_767_225_600_000).toHex());
  });

  it('signs extrinsics that decode in polkadot-js and whose sr25519 signature verifies', () => {
    const alice = codec.account('//Alice');
    const bob = codec.account('//Bob');
    const call = codec.call('balances', 'transfer_allow_death', { Id: u8aToHex(bob.publicKey) }, 3n);
    const opts = { nonce: 5, genesisHash: GENESIS, specVersion: 2, transactionVersion: 1 };
    const hex = codec.signed(call, { id: u8aToHex(alice.publicKey), pair: alice }, opts);
    const ext: Extrinsic = codec.registry.createType('Extrinsic', hex);
    expect(ext.isSigned).toBe(true);
    expect(ext.signer.toString()).toBe(alice.address);
    expect(ext.nonce.toNumber()).toBe(5);
    expect(ext.era.isImmortalEra).toBe(true);
    expect(ext.tip.toBigInt()).toBe(0n);
    expect(`${ext.method.section}.${ext.method.method}`).toBe('balances.transferAllowDeath');
    expect(ext.toHex()).toBe(hex);

    const payload = codec.registry.createType(
      'ExtrinsicPayload',
      {
        method: u8aToHex(call.bytes),
        era: '0x00',
        nonce: 5,
        tip: 0,
        specVersion: 2,
        transactionVersion: 1,
        genesisHash: GENESIS,
        blockHash: GENESIS,
        mode: 0,
      },
      { version: 4 },
    );
    const verified = signatureVerify(payload.toU8a({ method: true }), ext.signature.toU8a(), alice.address);
    expect(verified.isValid).toBe(true);
    expect(verified.crypto).toBe('sr25519');
  });

  it('encodes events that polkadot-js decodes field by field', () => {
    const alice = codec.account('//Alice');
    const hex = codec.events([
      {
        section: 'Balances',
        method: 'Transfer',
        args: [alice.address, alice.address, 9n],
        phase: { applyExtrinsic: 3 },
      },
      {
        section: 'Domains',
        method: 'OperatorOffline',
        args: [4, 1, 2, { expected_bundles: 10, min_required_bundles: 5 }],
        phase: 'initialization',
      },
      {
        section: 'Domains',
        method: 'OperatorSlashed',
        args: [7, { InvalidBundle: 12 }],
        phase: 'finalization',
      },
      { section: 'Sudo', method: 'Sudid', args: [{ Ok: null }], phase: { applyExtrinsic: 1 } },
    ]);
    const records = codec.registry.createType('Vec<FrameSystemEventRecord>', hex) as unknown as Array<{
      phase: { toString(): string };
      event: { section: string; method: string; data: { toJSON(): unknown } };
    }>;
    expect(records.map((r) => `${r.event.section}.${r.event.method}`)).toEqual([
      'balances.Transfer',
      'domains.OperatorOffline',
      'domains.OperatorSlashed',
      'sudo.Sudid',
    ]);
    expect(records[0]?.phase.toString()).toBe('{"applyExtrinsic":3}');
    expect(records[1]?.event.data.toJSON()).toEqual([
      4,
      1,
      2,
      { expectedBundles: 10, minRequiredBundles: 5 },
    ]);
    expect(records[2]?.event.data.toJSON()).toEqual([7, { invalidBundle: 12 }]);
  });

  it('computes header hashes as polkadot-js does, with the slot in the SUB_ pre-digest', () => {
    const { hash, wire } = codec.header({
      parentHash: GENESIS,
      number: 4242,
      stateRoot: GENESIS,
      extrinsicsRoot: GENESIS,
      slot: 123_456n,
      author: new Uint8Array(32).fill(7),
    });
    const header: Header = codec.registry.createType('Header', wire);
    expect(header.hash.toHex()).toBe(hash);
    expect(header.number.toNumber()).toBe(4242);
    const pre = header.digest.logs[0]?.asPreRuntime;
    expect(pre?.[0].toString()).toBe('SUB_');
    const data = pre?.[1].toU8a(true) as Uint8Array;
    expect(data[0]).toBe(0);
    expect(new DataView(data.buffer, data.byteOffset + 1, 8).getBigUint64(0, true)).toBe(123_456n);
    expect(header.digest.logs[1]?.isSeal).toBe(true);
  });
});
