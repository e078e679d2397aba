import { QueryClient, setupIbcExtension } from '@cosmjs/stargate';
import { type CometClient, connectComet } from '@cosmjs/tendermint-rpc';
import { icsCcv } from '@tocsin/events';
import { redactUrl } from '@tocsin/runtime';
import { State } from 'cosmjs-types/ibc/core/channel/v1/channel';
import type { IcsCcvConfig } from './config.ts';
import type { ConsumerContext } from './contexts.ts';
import type { Publish } from './tracker.ts';

interface Client {
  comet: CometClient;
  q: QueryClient & ReturnType<typeof setupIbcExtension>;
}

/**
 * Checks the own chains of launched consumers that have an RPC configured: is it producing blocks (latest block
 * time within stall_after), is its CCV channel (port consumer ↔ provider) open, and if not, has it been longer than
 * ccv_channel_within since the spawn time. A consumer_health event is published when that state changes.
 */
export class ConsumerHealth {
  private clients = new Map<string, Client>();

  constructor(
    private readonly cfg: IcsCcvConfig,
    private readonly publish: Publish,
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

  async check(c: ConsumerContext, nowMs: number): Promise<void> {
    const rpc = this.cfg.consumers.find((x) => x.chain_id === c.chainId)?.rpc;
    if (!rpc || c.phase !== 'LAUNCHED') return;
    const launchedForS = c.spawnTimeMs === null ? null : (nowMs - c.spawnTimeMs) / 1000;
    let data: Parameters<Publish>[2];
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
      data = {
        consumer_id: c.consumerId,
        consumer_chain_id: c.chainId,
        endpoint: redactUrl(rpc),
        height: status.syncInfo.latestBlockHeight,
        latest_block_time: new Date(blockMs).toISOString(),
        block_age_s: ageS,
        stalled: ageS * 1000 > this.cfg.stall_after,
        ccv_channel_open: open,
        ccv_channel_missing:
          !open && launchedForS !== null && launchedForS * 1000 > this.cfg.ccv_channel_within,
        launched_for_s: launchedForS,
        error: null,
      };
    } catch (err) {
      this.clients.get(rpc)?.comet.disconnect();
      this.clients.delete(rpc);
      data = {
        consumer_id: c.consumerId,
        consumer_chain_id: c.chainId,
        endpoint: redactUrl(rpc),
        height: null,
        latest_block_time: null,
        block_age_s: null,
        stalled: false,
        ccv_channel_open: false,
        ccv_channel_missing: false,
        launched_for_s: launchedForS,
        error: String((err as Error).message ?? err).slice(0, 300),
      };
    }
    const d = data as {
      stalled: boolean;
      ccv_channel_open: boolean;
      ccv_channel_missing: boolean;
      error: string | null;
    };
    const state = `${d.stalled}:${d.ccv_channel_open}:${d.ccv_channel_missing}:${d.error === null}`;
    if (c.announced.health === state) return;
    c.announced.health = state;
    await this.publish(
      icsCcv.consumerHealth,
      `${c.consumerId}:health:${c.spawnTimeMs ?? 'none'}:${state}`,
      data as never,
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.comet.disconnect();
    this.clients.clear();
  }
}
