import { createHash } from 'node:crypto';

/** fingerprint = hash(rule id, fingerprint labels): the identity of an alert across its episodes. */
const memo = new Map<string, string>();
const MEMO_LIMIT = 200_000;

export function fingerprintOf(
  ruleId: string,
  labels: Record<string, string>,
  names: readonly string[],
): string {
  let key = ruleId;
  for (const n of names) key += `\u0000${n}=${labels[n] ?? ''}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const fp = createHash('sha256').update(key).digest('hex').slice(0, 32);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, fp);
  return fp;
}

/** A short stable id for a group of alerts (source + group_by label values). */
export function groupKeyOf(source: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${source}:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}
