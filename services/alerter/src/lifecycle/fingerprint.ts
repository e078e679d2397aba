import { sha256 } from '@tocsin/runtime';

/**
 * fingerprint = hash(rule id, fingerprint labels): the identity of an alert across its episodes.
 * Memoized in a tree keyed by the rule's label-name list (the compiled rule's array), its id, then each label value
 * in order, so a repeat costs a few lookups of short strings instead of building and hashing a long key (this runs
 * for every event of an active rule).
 */
type MemoNode = Map<string, MemoNode | string>;
let memo = new Map<readonly string[], MemoNode>();
let memoSize = 0;
const MEMO_LIMIT = 200_000;

export function fingerprintOf(
  ruleId: string,
  labels: Record<string, string>,
  names: readonly string[],
): string {
  let byRule = memo.get(names);
  if (byRule === undefined) {
    byRule = new Map();
    memo.set(names, byRule);
  }
  let node = child(byRule, ruleId);
  const last = names.length - 1;
  for (let i = 0; i < last; i++) node = child(node, labels[names[i]!] ?? '');
  const leaf = last >= 0 ? (labels[names[last]!] ?? '') : '';
  const hit = node.get(leaf);
  if (typeof hit === 'string') return hit;
  let key = ruleId;
  for (const n of names) key += `\u0000${n}=${labels[n] ?? ''}`;
  const fp = sha256(key, 'hex').slice(0, 32);
  if (memoSize >= MEMO_LIMIT) {
    memo = new Map();
    memoSize = 0;
  } else node.set(leaf, fp);
  memoSize++;
  return fp;
}

function child(node: MemoNode, key: string): MemoNode {
  let next = node.get(key) as MemoNode | undefined;
  if (next === undefined) {
    next = new Map();
    node.set(key, next);
  }
  return next;
}

/** The last label names seen by groupKeyOf, and their sorted order: a rule's alerts all have the same names. */
let lastNames: string[] = [];
let lastSorted: string[] = [];

function sortedNames(labels: Record<string, string>): string[] {
  const names = Object.keys(labels);
  if (names.length === lastNames.length) {
    let same = true;
    for (let i = 0; i < names.length && same; i++) same = names[i] === lastNames[i];
    if (same) return lastSorted;
  }
  lastNames = names;
  lastSorted = [...names].sort();
  return lastSorted;
}

/** A short stable id for a group of alerts (source + group_by label values). */
export function groupKeyOf(source: string, labels: Record<string, string>): string {
  const names = sortedNames(labels);
  let key = '';
  for (let i = 0; i < names.length; i++) key += `${i ? '\u0000' : ''}${names[i]}=${labels[names[i]!]}`;
  return `${source}:${sha256(key, 'hex').slice(0, 24)}`;
}
