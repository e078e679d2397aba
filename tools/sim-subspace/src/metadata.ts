import { Metadata, TypeRegistry } from '@polkadot/types';
import staticSubstrate, { version as staticVersion } from '@polkadot/types-support/metadata/static-substrate';

/**
 * Runtime metadata (v14) of the simulated Subspace/Autonomys consensus chain.
 *
 * No Autonomys metadata ships on npm, so this takes the static Substrate ("kitchensink") metadata of
 * `@polkadot/types-support`, keeps the FRAME pallets a Subspace runtime has (System, Timestamp, Balances,
 * TransactionPayment, Utility, Scheduler, Council, Democracy, Preimage, Multisig, Sudo) at the Autonomys
 * mainnet pallet indices (PROTOCOLS.md §4.1) and adds synthetic `Subspace`, `Domains` and `Transporter` pallets
 * with the calls and events the alerts read. Everything else is dropped from the runtime call/event enums.
 */

interface SiField {
  name: string | null;
  type: number;
  typeName: string | null;
  docs: string[];
}
interface SiVariant {
  name: string;
  fields: SiField[];
  index: number;
  docs: string[];
}
interface SiType {
  id: number;
  type: { path: string[]; params: unknown[]; def: Record<string, unknown>; docs: string[] };
}
interface PalletJson {
  name: string;
  storage: unknown;
  calls: { type: number } | null;
  events: { type: number } | null;
  constants: unknown[];
  errors: { type: number } | null;
  index: number;
}
interface V14Json {
  lookup: { types: SiType[] };
  pallets: PalletJson[];
  extrinsic: unknown;
  type: number;
}

/** Autonomys' SS58 prefix (`su…` addresses); set in the metadata's System.SS58Prefix constant. */
const SS58_PREFIX = 6094;

/** Autonomys mainnet pallet indices (subxt artifact, Aug 2025) of the FRAME pallets kept from kitchensink. */
export const KEPT_PALLETS: Record<string, number> = {
  System: 0,
  Timestamp: 1,
  Balances: 5,
  TransactionPayment: 7,
  Utility: 8,
  Scheduler: 81,
  Council: 82,
  Democracy: 83,
  Preimage: 84,
  Multisig: 90,
  Sudo: 100,
};
export const SYNTHETIC_PALLETS = { Subspace: 2, Domains: 12, Transporter: 61 } as const;

/** The Metadata runtime API id; left out of `apis` so @polkadot/api reads `state_getMetadata`. */
const METADATA_API_ID = '0x37e397fc7c91f5e4';

const field = (name: string | null, type: number, typeName: string | null = null): SiField => ({
  name,
  type,
  typeName,
  docs: [],
});
const variant = (name: string, index: number, fields: SiField[] = []): SiVariant => ({
  name,
  index,
  fields,
  docs: [],
});

function build(): `0x${string}` {
  const registry = new TypeRegistry();
  const v14 = new Metadata(registry, staticSubstrate).asV14.toJSON() as unknown as V14Json;
  const types = v14.lookup.types;
  const byPath = (p: string): SiType => {
    const t = types.find((x) => x.type.path.join('::') === p);
    if (!t) throw new Error(`static metadata has no type ${p}`);
    return t;
  };
  const primitive = (name: string): number => {
    const t = types.find((x) => (x.type.def as { primitive?: string }).primitive === name);
    if (!t) throw new Error(`static metadata has no primitive ${name}`);
    return t.id;
  };
  const byteArray = (len: number): number => {
    const t = types.find((x) => {
      const a = (x.type.def as { array?: { len: number; type: number } }).array;
      return a?.len === len && a.type === primitive('U8');
    });
    if (!t) throw new Error(`static metadata has no [u8; ${len}]`);
    return t.id;
  };
  const vecU8 = types.find(
    (x) => (x.type.def as { sequence?: { type: number } }).sequence?.type === primitive('U8'),
  );
  if (!vecU8) throw new Error('static metadata has no Vec<u8>');
  const u32 = primitive('U32');
  const u64 = primitive('U64');
  const u128 = primitive('U128');
  const accountId = byPath('sp_core::crypto::AccountId32').id;
  const h256 = byPath('primitive_types::H256').id;

  let nextId = types.length;
  const add = (path: string[], def: Record<string, unknown>): number => {
    const id = nextId++;
    types.push({ id, type: { path, params: [], def, docs: [] } });
    return id;
  };
  const variants = (vs: SiVariant[]) => ({ variant: { variants: vs } });

  // ---- Subspace ----
  const publicKey = add(['subspace_core_primitives', 'PublicKey'], {
    composite: { fields: [field(null, byteArray(32), '[u8; 32]')] },
  });
  const subspaceEvent = add(
    ['pallet_subspace', 'pallet', 'Event'],
    variants([
      variant('SegmentHeaderStored', 0, [field('segment_index', u64, 'SegmentIndex')]),
      variant('FarmerVote', 1, [
        field('public_key', publicKey, 'PublicKey'),
        field('reward_address', accountId, 'T::AccountId'),
        field('height', u32, 'BlockNumberFor<T>'),
        field('parent_hash', h256, 'T::Hash'),
      ]),
    ]),
  );

  // ---- Domains ----
  const domainId = add(['sp_domains', 'DomainId'], { composite: { fields: [field(null, u32, 'u32')] } });
  const slashedReason = add(
    ['sp_domains', 'SlashedReason'],
    variants([
      variant('InvalidBundle', 0, [field(null, u32, 'DomainBlockNumber')]),
      variant('BadExecutionReceipt', 1, [field(null, h256, 'ReceiptHash')]),
    ]),
  );
  const expectations = add(['pallet_domains', 'BundleProducerExpectations'], {
    composite: {
      fields: [field('expected_bundles', u32, 'u32'), field('min_required_bundles', u32, 'u32')],
    },
  });
  const domainsEvent = add(
    ['pallet_domains', 'pallet', 'Event'],
    variants([
      variant('OperatorNominated', 0, [
        field('operator_id', u64, 'OperatorId'),
        field('nominator_id', accountId, 'T::AccountId'),
        field('amount', u128, 'BalanceOf<T>'),
      ]),
      variant('OperatorSlashed', 1, [
        field('operator_id', u64, 'OperatorId'),
        field('reason', slashedReason, 'SlashedReason'),
      ]),
      variant('OperatorOffline', 2, [
        field('operator_id', u64, 'OperatorId'),
        field('domain_id', domainId, 'DomainId'),
        field('submitted_bundles', u32, 'u32'),
        field('expectations', expectations, 'BundleProducerExpectations'),
      ]),
      variant('DomainRuntimeUpgraded', 3, [field('runtime_id', u32, 'RuntimeId')]),
    ]),
  );
  const domainsCall = add(
    ['pallet_domains', 'pallet', 'Call'],
    variants([
      variant('nominate_operator', 0, [
        field('operator_id', u64, 'OperatorId'),
        field('amount', u128, 'BalanceOf<T>'),
      ]),
    ]),
  );

  // ---- Transporter ----
  const chainId = add(
    ['sp_domains', 'ChainId'],
    variants([variant('Consensus', 0), variant('Domain', 1, [field(null, domainId, 'DomainId')])]),
  );
  const multiAccountId = add(
    ['sp_domains', 'MultiAccountId'],
    variants([
      variant('AccountId32', 0, [field(null, byteArray(32), '[u8; 32]')]),
      variant('Raw', 2, [field(null, vecU8.id, 'Vec<u8>')]),
    ]),
  );
  const location = add(['pallet_transporter', 'Location'], {
    composite: {
      fields: [field('chain_id', chainId, 'ChainId'), field('account_id', multiAccountId, 'MultiAccountId')],
    },
  });
  const messageId = add([], { tuple: [u64, u64] });
  const transporterEvent = add(
    ['pallet_transporter', 'pallet', 'Event'],
    variants([
      variant('OutgoingTransferInitiated', 0, [
        field('chain_id', chainId, 'ChainId'),
        field('message_id', messageId, 'MessageIdOf<T>'),
        field('amount', u128, 'BalanceOf<T>'),
      ]),
      variant('IncomingTransferSuccessful', 3, [
        field('chain_id', chainId, 'ChainId'),
        field('message_id', messageId, 'MessageIdOf<T>'),
        field('amount', u128, 'BalanceOf<T>'),
      ]),
    ]),
  );
  const transporterCall = add(
    ['pallet_transporter', 'pallet', 'Call'],
    variants([
      variant('transfer', 0, [
        field('dst_location', location, 'Location'),
        field('amount', u128, 'BalanceOf<T>'),
      ]),
    ]),
  );

  // ---- the runtime: kept pallets re-indexed, synthetic ones added ----
  for (const t of types) {
    if (t.type.path[0] === 'kitchensink_runtime') t.type.path[0] = 'subspace_runtime';
  }
  const runtimeCall = byPath('subspace_runtime::RuntimeCall');
  const runtimeEvent = byPath('subspace_runtime::RuntimeEvent');
  const remap = (t: SiType) => {
    const vs = (t.type.def as { variant: { variants: SiVariant[] } }).variant.variants;
    const kept = vs
      .filter((v) => v.name in KEPT_PALLETS)
      .map((v) => ({ ...v, index: KEPT_PALLETS[v.name] as number }));
    vs.splice(0, vs.length, ...kept);
    return vs;
  };
  const calls = remap(runtimeCall);
  const events = remap(runtimeEvent);
  const pallets = v14.pallets
    .filter((p) => p.name in KEPT_PALLETS)
    .map((p) => ({ ...p, index: KEPT_PALLETS[p.name] as number }));
  const synthetic: Array<[keyof typeof SYNTHETIC_PALLETS, number, number | null, string]> = [
    ['Subspace', subspaceEvent, null, 'pallet_subspace'],
    ['Domains', domainsEvent, domainsCall, 'pallet_domains'],
    ['Transporter', transporterEvent, transporterCall, 'pallet_transporter'],
  ];
  for (const [name, ev, call, crate] of synthetic) {
    const index = SYNTHETIC_PALLETS[name];
    events.push(variant(name, index, [field(null, ev, `${crate}::Event<Runtime>`)]));
    if (call !== null) calls.push(variant(name, index, [field(null, call, `${crate}::Call<Runtime>`)]));
    pallets.push({
      name,
      storage: null,
      calls: call === null ? null : { type: call },
      events: { type: ev },
      constants: [],
      errors: null,
      index,
    });
  }
  events.sort((a, b) => a.index - b.index);
  calls.sort((a, b) => a.index - b.index);
  pallets.sort((a, b) => a.index - b.index);
  // System.SS58Prefix (u16 LE): @polkadot/api prefers it to system_properties.
  const system = pallets.find((p) => p.name === 'System');
  const ss58 = (system?.constants as Array<{ name: string; value: string }> | undefined)?.find(
    (c) => c.name === 'SS58Prefix',
  );
  if (!ss58) throw new Error('static metadata has no System.SS58Prefix');
  ss58.value = `0x${(SS58_PREFIX & 0xff).toString(16).padStart(2, '0')}${(SS58_PREFIX >> 8).toString(16).padStart(2, '0')}`;
  v14.pallets = pallets;

  const out = new Metadata(new TypeRegistry(), {
    magicNumber: 0x6174656d,
    metadata: { v14 },
  } as unknown as Uint8Array);
  return out.toHex();
}

let cached: `0x${string}` | undefined;

/** SCALE hex of the simulated runtime's metadata (`state_getMetadata`), built once per process. */
export function subspaceMetadataHex(): `0x${string}` {
  cached ??= build();
  return cached;
}

export interface RuntimeVersionJson {
  specName: string;
  implName: string;
  authoringVersion: number;
  specVersion: number;
  implVersion: number;
  apis: Array<[string, number]>;
  transactionVersion: number;
  stateVersion: number;
}

/** `state_getRuntimeVersion` of the simulated runtime at a spec version. */
export function runtimeVersion(specVersion: number, transactionVersion = 1): RuntimeVersionJson {
  const apis = (staticVersion.apis as Array<[string, number]>).filter(([id]) => id !== METADATA_API_ID);
  return {
    specName: 'subspace',
    implName: 'subspace',
    authoringVersion: 0,
    specVersion,
    implVersion: 0,
    apis,
    transactionVersion,
    stateVersion: 1,
  };
}
