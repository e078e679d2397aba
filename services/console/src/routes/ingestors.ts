import { cosmosIbcRpc, harmonySignersRpc, icsCcvRpc, subspaceBlocksRpc } from '@tocsin/events';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiError } from '../errors.ts';
import type { Call } from '../rpc.ts';

const errors = { 400: apiError, 404: apiError, 503: apiError };

/** Each ingestor's state, as its RPC answers it (the same contract as chat's commands). */
export const ingestorRoutes =
  (call: Call): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/ibc/clients',
      {
        schema: {
          tags: ['cosmos-ibc'],
          summary: 'IBC light clients, least time to expiry first',
          querystring: cosmosIbcRpc.clients.request.extend({
            limit: z.coerce.number().int().min(1).max(10_000).optional(),
          }),
          response: { 200: cosmosIbcRpc.clients.result, ...errors },
        },
      },
      async (req) => call('cosmos-ibc', 'clients', req.query),
    );

    app.get(
      '/wallets',
      {
        schema: {
          tags: ['cosmos-ibc'],
          summary: 'Tracked wallets with balance and projected time to empty',
          querystring: cosmosIbcRpc.wallets.request.pick({ chain_id: true }),
          response: { 200: cosmosIbcRpc.wallets.result, ...errors },
        },
      },
      async (req) => call('cosmos-ibc', 'wallets', req.query),
    );

    app.get(
      '/wallets/:chain_id/:address/history',
      {
        schema: {
          tags: ['cosmos-ibc'],
          summary: "A wallet's balance over time and when it is projected to be empty",
          params: cosmosIbcRpc.wallet_history.request.pick({ chain_id: true, address: true }),
          querystring: cosmosIbcRpc.wallet_history.request.pick({ since: true }),
          response: { 200: cosmosIbcRpc.wallet_history.result, ...errors },
        },
      },
      async (req) => call('cosmos-ibc', 'wallet_history', { ...req.params, ...req.query }),
    );

    app.get(
      '/ics/consumers',
      {
        schema: {
          tags: ['ics-ccv'],
          summary: 'Interchain Security consumers: phase, spawn countdown, our duty',
          querystring: icsCcvRpc.consumers.request,
          response: { 200: icsCcvRpc.consumers.result, ...errors },
        },
      },
      async (req) => call('ics-ccv', 'consumers', req.query),
    );

    app.get(
      '/subspace/status',
      {
        schema: {
          tags: ['subspace-blocks'],
          summary: 'Subspace tips and forks per node, slot time, farmers',
          response: { 200: subspaceBlocksRpc.status.result, ...errors },
        },
      },
      async () => call('subspace-blocks', 'status', {}),
    );

    app.get(
      '/subspace/series',
      {
        schema: {
          tags: ['subspace-blocks'],
          summary: 'Block time and slot time over the slot window',
          response: { 200: subspaceBlocksRpc.series.result, ...errors },
        },
      },
      async () => call('subspace-blocks', 'series', {}),
    );

    app.get(
      '/harmony/hosts',
      {
        schema: {
          tags: ['harmony-signers'],
          summary: 'Harmony keys × hosts: each host with its keys, mode and last report',
          response: { 200: harmonySignersRpc.hosts.result, ...errors },
        },
      },
      async () => call('harmony-signers', 'hosts', {}),
    );
  };
