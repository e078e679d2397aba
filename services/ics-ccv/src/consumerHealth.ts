import { toBase64 } from '@cosmjs/encoding';
import { QueryClient, setupIbcExtension } from '@cosmjs/stargate';
import { type CometClient, connectComet } from '@cosmjs/tendermint-rpc';
import { icsCcv } from '@tocsin/events';
import { redactUrl } from '@tocsin/runtime';
import { State } from 'cosmjs-types/ibc/core/channel/v1/channel';
import type { z } from 'zod';
import type { IcsCcvConfig } from './config.ts';
import type { ConsumerContext } from './contexts.ts';
import type { Publish, Reader } from './types.ts';

interface Client {
  comet: CometClient;
  q: QueryClient & ReturnType<typeof setupIbcExtension>;
}

type HealthData = z.input<typeof icsCcv.consumerHealth.data>;

/** Same consumer keys with the same powers. */
function sameSet(a: Map<string, bigint>, b: Map<string, bigint>): boolean {
  return a.size === b.size && [...a].every(([k, p]) => b.get(k) === p);
}

/**
 * Checks the own chains of launched consumers that have an RPC configured: is it producing blocks (latest block
 * time within stall_after), is its CCV channel (port consumer ↔ provider) open, and if not, has it been longer than
 * ccv_channel_within since the spawn time; and are validator-set changes relayed: the consumer's CometBFT validator
 * set (`validators`) must match the set the provider last sent it (QueryConsumerValidators), and one that differs
 * for longer than valset_stale_after means the VSC packets are not relayed (the relayer is down). A consumer_health
 * event is published when that state changes.
 */
export class ConsumerHealth {
  private clients = new Map<string, Client>();

  constructor(
    private readonly cfg: IcsCcvConfig,
    private readonly publish: Publish,
    private readonly reader: Pick<Reader, 'consumerValSet'>,
  ) {}

  private async client(url: string): Promise<Client> {
    let c = this.clients.get(url);
    if (!c) {
      const comet = await connectComet(url);
      c = { comet, q: QueryClient.withExtensions(comet, setupIbcExtension) };
      this.clients.set(url, c);
    }
    return c;
  }

  /** The valset comparison: in sync, or for how long (ms) it has differed; null when the provider cannot say. */
  private async valset(
    c: ConsumerContext,
    comet: CometClient,
    nowMs: number,
  ): Promise<{ inSync: boolean | null; outOfSyncMs: number | null }> {
    let provider: Map<string, bigint>;
    try {
      provider = await this.reader.consumerValSet(c.consumerId);
    } catch {
      // A provider without QueryConsumerValidators (v5): nothing to compare with.
      return { inSync: null, outOfSyncMs: null };
    }
    const vals = await comet.validatorsAll();
    const consumer = new Map(
      vals.validators.flatMap((v) => (v.pubkey ? [[toBase64(v.pubkey.data), v.votingPower] as const] : [])),
    );
    if (sameSet(consumer, provider)) {
      delete c.announced.valsetDiffSince;
      return { inSync: true, outOfSyncMs: null };
    }
    c.announced.valsetDiffSince ??= nowMs;
    return { inSync: false, outOfSyncMs: nowMs - c.announced.valsetDiffSince };
  }

  async check(c: ConsumerContext, nowMs: number): Promise<void> {
    const rpc = this.cfg.consumers.find((x) => x.chain_id === c.chainId)?.rpc;
    if (!rpc || c.phase !== 'LAUNCHED') return;
    const launchedForS = c.spawnTimeMs === null ? null : (nowMs - c.spawnTimeMs) / 1000;
    const base = { consumer_id: c.consumerId, consumer_chain_id: c.chainId, endpoint: redactUrl(rpc) };
    let data: HealthData;
    try {
      const { comet, q } = await this.client(rpc);
      const status = await comet.status();
      const blockMs = status.syncInfo.latestBlockTime.getTime();
      const channels = (await q.ibc.channel.allChannels()).channels;
      const open = channels.some(
        (ch) =>
          ch.portId === 'consumer' && ch.counterparty?.portId === 'provider' && ch.state === State.STATE_OPEN,
      );
      const ageS = (nowMs - blockMs) / 1000;
      const vs = await this.valset(c, comet, nowMs);
      data = {
        ...base,
        height: status.syncInfo.latestBlockHeight,
        latest_block_time: new Date(blockMs).toISOString(),
        block_age_s: ageS,
        stalled: ageS * 1000 > this.cfg.stall_after,
        ccv_channel_open: open,
        ccv_channel_missing:
          !open && launchedForS !== null && launchedForS * 1000 > this.cfg.ccv_channel_within,
        valset_in_sync: vs.inSync,
        valset_out_of_sync_s: vs.outOfSyncMs === null ? null : vs.outOfSyncMs / 1000,
        valset_stale: vs.outOfSyncMs !== null && vs.outOfSyncMs > this.cfg.valset_stale_after,
        launched_for_s: launchedForS,
        error: null,
      };
    } catch (err) {
      this.clients.get(rpc)?.comet.disconnect();
      this.clients.delete(rpc);
      data = {
        ...base,
        height: null,
        latest_block_time: null,
        block_age_s: null,
        stalled: false,
        ccv_channel_open: false,
        ccv_channel_missing: false,
        valset_in_sync: null,
        valset_out_of_sync_s: null,
        valset_stale: false,
        launched_for_s: launchedForS,
        error: String((err as Error).message ?? err).slice(0, 300),
      };
    }
    const state = [
      data.stalled,
      data.ccv_channel_open,
      data.ccv_channel_missing,
      data.valset_stale,
      data.error === null,
    ].join(':');
    if (c.announced.health === state) return;
    c.announced.health = state;
    await this.publish(
      icsCcv.consumerHealth,
      `${c.consumerId}:health:${c.spawnTimeMs ?? 'none'}:${state}`,
      data,
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.comet.disconnect();
    this.clients.clear();
  }
}
