import { DirectSecp256k1HdWallet, Registry } from '@cosmjs/proto-signing';
import { calculateFee, defaultRegistryTypes, GasPrice, SigningStargateClient } from '@cosmjs/stargate';
import { icsCcv } from '@tocsin/events';
import { MSG_OPT_IN_TYPE_URL, MsgOptIn } from '@tocsin/ics-proto';
import type { Logger } from '@tocsin/runtime';
import type { IcsCcvConfig } from './config.ts';
import type { ConsumerContext } from './contexts.ts';
import type { Publish } from './types.ts';

export interface OptInAction {
  /** Our validator is selected and not opted in to this consumer: act (dry run: say what would be done). */
  consider(o: {
    consumerId: string;
    chainId: string;
    spawnIso: string;
    context: ConsumerContext;
  }): Promise<void>;
}

/** Gas for one MsgOptIn (a real one uses about 90k); a fixed limit keeps the fee predictable. */
const OPT_IN_GAS = 200_000;

/**
 * The optional opt-in automation (ics_ccv.opt_in, off by default). Dry run publishes would_opt_in once per consumer
 * and spawn time, naming the account that would sign (from the key file's mnemonic). Otherwise MsgOptIn is signed
 * with that account (it must be the validator operator's) through @cosmjs/stargate and broadcast, once per consumer
 * and spawn time; the provider's opt_in event then reports it like any other (ours: true). A failed submission is
 * logged and tried again at the next sync.
 */
export async function createOptInAction(
  cfg: IcsCcvConfig,
  publish: Publish,
  log: Logger,
): Promise<OptInAction | undefined> {
  if (!cfg.opt_in.enabled || !cfg.our_validator || !cfg.rpc) {
    if (cfg.opt_in.enabled)
      log.warn('ics_ccv.opt_in.enabled needs ics_ccv.our_validator; opt-in automation is off');
    return undefined;
  }
  const validator = cfg.our_validator;
  const rpc = cfg.rpc;
  const wallet = cfg.opt_in.key_file
    ? await DirectSecp256k1HdWallet.fromMnemonic(cfg.opt_in.key_file.mnemonic, {
        prefix: cfg.opt_in.address_prefix,
      })
    : undefined;
  const signer = wallet ? ((await wallet.getAccounts())[0]?.address ?? null) : null;
  const dryRun = cfg.opt_in.dry_run;
  log.info(
    { dry_run: dryRun, signer },
    `opt-in automation on (${dryRun ? 'dry run: would_opt_in events only' : 'submits MsgOptIn'})`,
  );
  let client: SigningStargateClient | undefined;
  const submit = async (consumerId: string) => {
    if (!wallet || !signer) throw new Error('no key_file');
    client ??= await SigningStargateClient.connectWithSigner(rpc, wallet, {
      registry: new Registry([...defaultRegistryTypes, [MSG_OPT_IN_TYPE_URL, MsgOptIn]]),
    });
    const msg = MsgOptIn.fromPartial({ providerAddr: validator, consumerKey: '', signer, consumerId });
    const fee = calculateFee(OPT_IN_GAS, GasPrice.fromString(cfg.opt_in.gas_price));
    const res = await client.signAndBroadcast(
      signer,
      [{ typeUrl: MSG_OPT_IN_TYPE_URL, value: msg }],
      fee,
      'tocsin ics-ccv opt-in',
    );
    if (res.code !== 0) throw new Error(`MsgOptIn failed with code ${res.code}: ${res.rawLog ?? ''}`);
    return res.transactionHash;
  };
  return {
    async consider({ consumerId, chainId, spawnIso, context }) {
      if (dryRun) {
        if (context.announced.wouldOptIn === spawnIso) return;
        await publish(icsCcv.wouldOptIn, `${consumerId}:would_opt_in:${spawnIso}`, {
          consumer_id: consumerId,
          consumer_chain_id: chainId,
          validator,
          signer,
          spawn_time: spawnIso,
        });
        context.announced.wouldOptIn = spawnIso;
        return;
      }
      if (context.announced.optInSubmitted === spawnIso) return;
      try {
        const hash = await submit(consumerId);
        context.announced.optInSubmitted = spawnIso;
        log.info(
          { consumer_id: consumerId, chain_id: chainId, tx: hash },
          'MsgOptIn submitted for our validator',
        );
      } catch (err) {
        client?.disconnect();
        client = undefined;
        log.warn(
          { consumer_id: consumerId, err: String((err as Error).message ?? err) },
          'MsgOptIn not submitted; trying again at the next sync',
        );
      }
    },
  };
}
