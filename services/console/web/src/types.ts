// The API's shapes, from the zod contract in @tocsin/events. Type-only imports: nothing of zod or the schemas
// reaches the bundle.
import type {
  alerterRpc,
  cosmosIbcRpc,
  harmonySignersRpc,
  icsCcvRpc,
  silence,
  subspaceBlocksRpc,
  timelineItem,
} from '@tocsin/events';
import type { z } from 'zod';

export type Silence = z.output<typeof silence>;
export type Maintenance = z.output<typeof alerterRpc.maintenances.result>;
export type MaintenanceWindow = Maintenance['maintenances'][number];
export type TimelineItem = z.output<typeof timelineItem>;
export type AlertWithTimeline = z.output<typeof alerterRpc.alert.result>;
export type IbcClients = z.output<typeof cosmosIbcRpc.clients.result>;
export type IbcClient = IbcClients['clients'][number];
export type Wallets = z.output<typeof cosmosIbcRpc.wallets.result>;
export type Wallet = Wallets['wallets'][number];
export type WalletHistory = z.output<typeof cosmosIbcRpc.wallet_history.result>;
export type IcsConsumers = z.output<typeof icsCcvRpc.consumers.result>;
export type SubspaceStatus = z.output<typeof subspaceBlocksRpc.status.result>;
export type SubspaceSeries = z.output<typeof subspaceBlocksRpc.series.result>;
export type HarmonyHosts = z.output<typeof harmonySignersRpc.hosts.result>;
