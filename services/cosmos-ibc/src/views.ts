import type { cosmosIbc, EventData } from '@tocsin/events';
import type { ClientObservation } from './clientObservation.ts';
import type { ChainConfig } from './config.ts';
import type { ChainEndpoints } from './transport/chainEndpoints.ts';

export interface WalletView {
  chainId: string;
  address: string;
  data: EventData<typeof cosmosIbc.walletBalance>;
  observedAtMs: number;
}

/** What the latest scan of a chain found; RPC answers come from here. */
export interface ChainView {
  config: ChainConfig;
  scannedAtMs: number | null;
  height: number | null;
  clients: Map<string, ClientObservation>;
  wallets: Map<string, WalletView>;
}

export interface ScanSummary {
  chainId: string;
  height: number | null;
  clients: number;
  skippedExpired: number;
  wallets: number;
  errors: number;
  durationMs: number;
}

export interface CosmosIbcIngestor {
  /** Scans one chain or all of them now (tests drive scans with this after moving the clock). */
  scanOnce(chainId?: string): Promise<ScanSummary[]>;
  /** Reads remembered expired clients now (all, one chain's, or one); returns how many were read. */
  recheck(chainId?: string, clientId?: string): Promise<number>;
  views(): ChainView[];
  endpoints(chainId: string): ChainEndpoints;
  /** Resolves once the start has been announced (service_started) with each chain's height. */
  announced: Promise<void>;
  /** Stops talking to the chains and waits for the operation in progress on each to end. */
  close(): Promise<void>;
}
