import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { startService } from '@tocsin/runtime';
import { eventually, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { icsCcvService } from '../src/index.ts';
import { type Stack, startStack } from './stack.ts';

// alice 40 %, bob 30 %, carol 20 %, dave 10 %: the 66 % selection is alice + bob.
const validators = [
  { moniker: 'alice', tokens: '400000000' },
  { moniker: 'bob', tokens: '300000000' },
  { moniker: 'carol', tokens: '200000000' },
  { moniker: 'dave', tokens: '100000000' },
];
const KEY = 'qkVD0DpOvfzOxGGXKNlu+jJ1uFi3PzEgLzuBMJsKGp0=';
const scenario = {
  chain_id: 'provider-1',
  block_time_s: 5,
  validators,
  consumers: [
    // 0: bob selected, not opted in → would_opt_in + opt_in duty
    { chain_id: 'needs-bob', phase: 'INITIALIZED' as const, spawn_in_s: 7200 },
    // 1: bob opted in with a key → nothing
    {
      chain_id: 'has-bob',
      phase: 'INITIALIZED' as const,
      spawn_in_s: 7200,
      opted_in: ['bob'],
      keys: { bob: KEY },
    },
    // 2: bob opted in without a key → assign_key duty, no would_opt_in
    { chain_id: 'bob-no-key', phase: 'INITIALIZED' as const, spawn_in_s: 7200, opted_in: ['bob'] },
    // 3: REGISTERED, no spawn time → nothing to do yet
    { chain_id: 'registered', phase: 'REGISTERED' as const },
  ],
};

function keyFile(mnemonic: string, mode: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ics-key-')), 'operator.mnemonic');
  writeFileSync(path, `${mnemonic}\n`);
  chmodSync(path, mode);
  return path;
}

describe('dry-run opt-in automation (our validator: bob, selected)', () => {
  let stack: Stack;
  let signer: string;
  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.generate(12);
    signer = (await wallet.getAccounts())[0]!.address;
    const key_file = keyFile(wallet.mnemonic, 0o600);
    stack = await startStack({
      name: 'ics-optin',
      scenario,
      section: (sim) => ({
        poll_interval: '24h',
        our_validator: sim.validator('bob').operatorAddress,
        opt_in: { enabled: true, key_file },
      }),
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('emits would_opt_in exactly for the consumer where bob is selected and not opted in', () => {
    const would = stack.ics('would_opt_in').map((e) => e.data as Record<string, unknown>);
    expect(would).toEqual([
      expect.objectContaining({
        consumer_id: '0',
        validator: stack.sim.validator('bob').operatorAddress,
        signer,
      }),
    ]);
    const duties = stack
      .ics('validator_duty')
      .map((e) => `${(e.data as { consumer_id: string }).consumer_id}:${(e.data as { duty: string }).duty}`);
    expect(duties.sort()).toEqual(['0:opt_in', '2:assign_key']);
    const sel = stack
      .ics('validator_selection')
      .find((e) => (e.data as { consumer_id: string }).consumer_id === '0')!.data;
    expect(sel).toMatchObject({ ours_selected: true, ours_opted_in: false, total_tokens: '1000000000' });
  });

  it('says it once per spawn time, and nothing more once bob opted in', async () => {
    await stack.trackers[0]!.sync('poll');
    stack.sim.apply({ action: 'opt_in', consumer_id: '0', validator: 'bob', consumer_key: KEY });
    stack.sim.apply({ action: 'create_consumer', chain_id: 'new-one', spawn_in_s: 3600 });
    await stack.step(10, 2);
    const would = stack.ics('would_opt_in').map((e) => (e.data as { consumer_id: string }).consumer_id);
    expect(would).toEqual(['0', '4']);
  });
});

describe('dry-run opt-in automation (our validator: carol, not selected)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-optin-carol',
      scenario,
      section: (sim) => ({
        poll_interval: '24h',
        our_validator: sim.validator('carol').operatorAddress,
        opt_in: { enabled: true },
      }),
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('emits no would_opt_in and no opt_in duty', () => {
    expect(stack.ics('would_opt_in')).toEqual([]);
    expect(stack.ics('validator_duty')).toEqual([]);
    const sel = stack
      .ics('validator_selection')
      .find((e) => (e.data as { consumer_id: string }).consumer_id === '0')!.data;
    expect(sel).toMatchObject({ ours_selected: false, ours_opted_in: false });
  });
});

describe('opt-in automation submitting MsgOptIn (dry_run: false)', () => {
  let stack: Stack;
  let signer: string;
  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.generate(12);
    signer = (await wallet.getAccounts())[0]!.address;
    const key_file = keyFile(wallet.mnemonic, 0o600);
    stack = await startStack({
      name: 'ics-optin-submit',
      scenario,
      section: (sim) => ({
        poll_interval: '24h',
        our_validator: sim.validator('bob').operatorAddress,
        opt_in: { enabled: true, dry_run: false, key_file },
      }),
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('signs and broadcasts it with @cosmjs/stargate; the provider then reports bob opted in', async () => {
    await eventually(() => stack.ics('opt_in').length === 1, 30_000, 'the opt_in of our submission');
    expect(stack.ics('opt_in')[0]!.data).toMatchObject({
      consumer_id: '0',
      provider_validator_address: stack.sim.validator('bob').consAddress,
      ours: true,
      detected_by: 'event',
      attributes: { submitter_address: signer },
    });
    expect(stack.sim.model.consumer('0').optedIn).toContain(stack.sim.validator('bob').consAddress);
    expect(stack.ics('would_opt_in')).toEqual([]);
    // Once: later syncs see bob opted in and submit nothing more.
    await stack.trackers[0]!.sync('poll');
    await stack.trackers[0]!.sync('poll');
    expect(
      stack.sim.model.consumer('0').optedIn.filter((v) => v === stack.sim.validator('bob').consAddress),
    ).toHaveLength(1);
    expect(stack.ics('opt_in')).toHaveLength(1);
  }, 60_000);
});

describe('the opt-in key file', () => {
  it('is refused when group or others can read it, naming the field', async () => {
    const env = await testEnv('ics-keyfile');
    try {
      const wallet = await DirectSecp256k1HdWallet.generate(12);
      const path = keyFile(wallet.mnemonic, 0o644);
      const start = startService(icsCcvService, {
        env: env.env,
        config: {
          ...env.config,
          ics_ccv: {
            rpc: 'http://127.0.0.1:1',
            provider_chain_id: 'p',
            opt_in: { enabled: true, key_file: path },
          },
        },
      });
      await expect(start).rejects.toThrow(/ics_ccv\.opt_in\.key_file.*readable by group\/others/s);
      await expect(start).rejects.not.toThrow(new RegExp(wallet.mnemonic.split(' ')[0]!));
    } finally {
      await env.cleanup();
    }
  });
});
