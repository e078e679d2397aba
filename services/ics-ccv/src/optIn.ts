import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { icsCcv } from '@tocsin/events';
import type { Logger } from '@tocsin/runtime';
import type { IcsCcvConfig } from './config.ts';
import type { ConsumerContext } from './contexts.ts';
import type { Publish } from './tracker.ts';

export interface OptInAction {
  /** Our validator is selected and not opted in to this consumer: act (dry run: say what would be done). */
  consider(o: {
    consumerId: string;
    chainId: string;
    spawnIso: string;
    context: ConsumerContext;
  }): Promise<void>;
}

/**
 * The optional opt-in automation (ics_ccv.opt_in, off by default). Dry run publishes would_opt_in once per consumer
 * and spawn time, naming the account that would sign (from the key file's mnemonic). Submitting MsgOptIn is refused
 * by the config for now (see README): only the dry run exists.
 */
export async function createOptInAction(
  cfg: IcsCcvConfig,
  publish: Publish,
  log: Logger,
): Promise<OptInAction | undefined> {
  if (!cfg.opt_in.enabled || !cfg.our_validator) {
    if (cfg.opt_in.enabled)
      log.warn('ics_ccv.opt_in.enabled needs ics_ccv.our_validator; opt-in automation is off');
    return undefined;
  }
  let signer: string | null = null;
  if (cfg.opt_in.key_file) {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(cfg.opt_in.key_file.mnemonic, {
      prefix: cfg.opt_in.address_prefix,
    });
    signer = (await wallet.getAccounts())[0]?.address ?? null;
  }
  log.info({ dry_run: true, signer }, 'opt-in automation on (dry run: would_opt_in events only)');
  const validator = cfg.our_validator;
  return {
    async consider({ consumerId, chainId, spawnIso, context }) {
      if (context.announced.wouldOptIn === spawnIso) return;
      await publish(icsCcv.wouldOptIn, `${consumerId}:would_opt_in:${spawnIso}`, {
        consumer_id: consumerId,
        consumer_chain_id: chainId,
        validator,
        signer,
        spawn_time: spawnIso,
      });
      context.announced.wouldOptIn = spawnIso;
    },
  };
}
