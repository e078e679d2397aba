import type { harmonySigners } from '@tocsin/events';
import type { z } from 'zod';

type HostView = {
  hostname: string;
  validator_address: string | null;
  mode: string;
  is_backup: boolean | null;
  reported_at: string;
};
type Side = z.input<typeof harmonySigners.doubleSignRisk.data>['sides'][number];

/** A host (token × hostname) as the latest report left it. */
export interface HostRow {
  token_id: string;
  hostname: string;
  owner: string;
  validator_address: string | null;
  node_reachable: boolean;
  shard_id: number | null;
  blskeys: string[];
  mode: string | null;
  is_backup: boolean | null;
  reported_at: Date;
  received_at: Date;
  interval_s: number;
  last_nonce: string;
}

export const hostId = (h: { token_id: string; hostname: string }) => `${h.token_id}/${h.hostname}`;
const isSigning = (h: HostRow) => h.node_reachable && h.mode === 'Normal';

/**
 * An event to publish: its definition's type, dedup key, data and when it was decided (after the key's lock, so
 * of two reports about one key the later decision is also the later fact).
 */
export type Derived = { at: number; dedupKey: string } & (
  | { type: 'double_sign_risk'; data: z.input<typeof harmonySigners.doubleSignRisk.data> }
  | { type: 'key_moved'; data: z.input<typeof harmonySigners.keyMoved.data> }
  | { type: 'key_not_signing'; data: z.input<typeof harmonySigners.keyNotSigning.data> }
  | { type: 'backup_mismatch'; data: z.input<typeof harmonySigners.backupMismatch.data> }
);

const view = (h: HostRow): HostView => ({
  hostname: h.hostname,
  validator_address: h.validator_address,
  mode: h.node_reachable ? (h.mode ?? 'unknown') : 'unreachable',
  is_backup: h.is_backup,
  reported_at: h.reported_at.toISOString(),
});

/** One side per owner, each with that owner's hosts only (an owner never sees another owner's hosts). */
export function sidesOf(hosts: HostRow[]): Side[] {
  const byOwner = new Map<string, HostRow[]>();
  for (const h of hosts) byOwner.set(h.owner, [...(byOwner.get(h.owner) ?? []), h]);
  const owners = [...byOwner.keys()].sort();
  return owners.map((owner) => {
    const own = byOwner.get(owner)!.sort((a, b) => hostId(a).localeCompare(hostId(b)));
    const views = own.map(view);
    return {
      owner,
      hosts: views,
      hosts_text: views.map((v) => `${v.hostname} (${v.mode})`).join(', '),
      other_owners: owners.length - 1,
    };
  });
}

/** A BLS key's row in harmony_keys (locked by the batch that reads it). */
export interface KeyState {
  risk_hosts: string[] | null;
  not_signing: boolean;
  last_signer: string | null;
  last_signer_owner: string | null;
}

/**
 * What a batch of reports sees: the rows of every host that matters to the batch's keys (its own hosts, hosts fresh
 * with one of its keys, the hosts of an open risk) and the batch's keys' rows, all locked by the batch's transaction.
 * Reports are applied to it one after the other, so a batch decides exactly what its reports would have decided one
 * transaction each; `dirtyKeys` are the key rows to write back.
 */
export interface Snapshot {
  hosts: Map<string, HostRow>;
  keys: Map<string, KeyState>;
  dirtyKeys: Set<string>;
}

function setKey(s: Snapshot, key: string, patch: Partial<KeyState>): void {
  Object.assign(s.keys.get(key)!, patch);
  s.dirtyKeys.add(key);
}

/**
 * What one accepted report implies, given the snapshot after the report's host row was applied to it. The caller's
 * transaction holds each of the report's keys' rows in harmony_keys (locked in sorted order, so two batches never
 * wait on each other in a cycle): reports that touch a key take turns across replicas, the later one reading the
 * earlier one's committed host row, so the double-sign risk is seen by exactly the report that brings it and its end
 * is published once. Dedup keys are functions of the facts (key, hosts, the report's nonce), so a replica or a
 * redelivery that publishes the same fact again is dropped by JetStream.
 */
export function detect(
  s: Snapshot,
  opts: { host: HostRow; previousKeys: string[]; nonce: string; at: number; freshnessMs: number },
): Derived[] {
  const { host, nonce, at } = opts;
  const me = hostId(host);
  const out: Derived[] = [];
  const keys = [...new Set([...host.blskeys, ...opts.previousKeys])].sort();
  const signingAnywhere = new Set<string>();
  const freshSince = at - opts.freshnessMs;
  for (const key of keys) {
    const state = s.keys.get(key)!;
    const risk = new Set(state.risk_hosts ?? []);
    // One pass over the snapshot per key (it holds every host of the batch's keys): no copy of it per report.
    const holders: HostRow[] = [];
    const fresh: HostRow[] = [];
    for (const h of s.hosts.values()) {
      const isFresh = h.blskeys.includes(key) && h.reported_at.getTime() >= freshSince;
      if (isFresh) fresh.push(h);
      if (isFresh || (risk.size > 0 && risk.has(hostId(h)))) holders.push(h);
    }
    const signing = fresh.filter(isSigning).sort((a, b) => hostId(a).localeCompare(hostId(b)));
    if (signing.length) signingAnywhere.add(key);
    const shard = fresh.find((h) => h.shard_id !== null)?.shard_id ?? null;
    const detectedAt = new Date(at).toISOString();

    if (signing.length >= 2) {
      const ids = signing.map(hostId);
      out.push({
        type: 'double_sign_risk',
        at,
        dedupKey: `${key}:${ids.join(',')}:active`,
        data: {
          bls_key: key,
          active: true,
          shard_id: shard,
          normal_hosts: signing.length,
          sides: sidesOf(fresh),
          detected_at: detectedAt,
        },
      });
      if ((state.risk_hosts ?? []).join(',') !== ids.join(',')) setKey(s, key, { risk_hosts: ids });
    } else if (state.risk_hosts) {
      out.push({
        type: 'double_sign_risk',
        at,
        dedupKey: `${key}:${state.risk_hosts.join(',')}:ended:${me}:${nonce}`,
        data: {
          bls_key: key,
          active: false,
          shard_id: shard,
          normal_hosts: signing.length,
          sides: sidesOf(holders),
          detected_at: detectedAt,
        },
      });
      setKey(s, key, { risk_hosts: null });
    }

    // A clean failover: the one host signing with the key now is another host of the same owner.
    if (signing.length === 1 && hostId(signing[0]!) === me) {
      if (state.last_signer && state.last_signer !== me && state.last_signer_owner === host.owner) {
        const from = state.last_signer.slice(state.last_signer.indexOf('/') + 1);
        out.push({
          type: 'key_moved',
          at,
          dedupKey: `${key}:${state.last_signer}>${me}:${nonce}`,
          data: {
            owner: host.owner,
            owners: [{ owner: host.owner }],
            bls_key: key,
            from_host: from,
            to_host: host.hostname,
            validator_address: host.validator_address,
            moved_at: host.reported_at.toISOString(),
          },
        });
      }
      if (state.last_signer !== me) setKey(s, key, { last_signer: me, last_signer_owner: host.owner });
    }

    // Loaded on reachable hosts, signing on none of them: the validator's key is not signing anywhere (and, once
    // one host signs with it again, that it is over: so a rule can wait before it alerts).
    const reachable = fresh.filter((h) => h.node_reachable);
    const notSigning = host.blskeys.includes(key) && reachable.length > 0 && !signing.length;
    if (notSigning || (state.not_signing && signing.length)) {
      for (const side of sidesOf(notSigning ? reachable : fresh)) {
        out.push({
          type: 'key_not_signing',
          at,
          dedupKey: `${key}:${side.owner}:${notSigning}:${me}:${nonce}`,
          data: {
            owner: side.owner,
            owners: [{ owner: side.owner }],
            bls_key: key,
            active: notSigning,
            validator_address: side.hosts.find((h) => h.validator_address)?.validator_address ?? null,
            hosts: side.hosts,
            hosts_text: side.hosts_text,
          },
        });
      }
      if (notSigning !== state.not_signing) setKey(s, key, { not_signing: notSigning });
    }
  }

  // The backup flag disagrees with what the node does.
  if (host.node_reachable && host.mode && host.blskeys.length) {
    const kind =
      host.is_backup && host.mode === 'Normal'
        ? ('backup_signing' as const)
        : host.is_backup === false &&
            host.mode !== 'Normal' &&
            host.blskeys.every((k) => !signingAnywhere.has(k))
          ? ('primary_not_signing' as const)
          : null;
    if (kind)
      out.push({
        type: 'backup_mismatch',
        at,
        dedupKey: `${me}:${nonce}`,
        data: {
          token_id: host.token_id,
          owner: host.owner,
          owners: [{ owner: host.owner }],
          hostname: host.hostname,
          validator_address: host.validator_address,
          kind,
          mode: host.mode,
          is_backup: host.is_backup ?? false,
          blskeys: host.blskeys,
        },
      });
  }
  return out;
}
