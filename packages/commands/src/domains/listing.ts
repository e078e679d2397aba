import type { CommandReply } from '../registry.ts';

type Field = NonNullable<CommandReply['fields']>[number];

/**
 * A long listing as pages of fields (chats show page 1 with next/prev). The top-level reply is page 1, so a
 * platform that cannot page still shows something whole.
 */
export function pagedReply(opts: {
  title: string;
  intro?: string;
  fields: Field[];
  perPage: number;
  ephemeral?: boolean;
}): CommandReply {
  const count = Math.max(1, Math.ceil(opts.fields.length / opts.perPage));
  const pages: CommandReply[] = [];
  for (let i = 0; i < count; i++) {
    pages.push({
      title: count > 1 ? `${opts.title} (page ${i + 1}/${count})` : opts.title,
      ...(opts.intro ? { text: opts.intro } : {}),
      fields: opts.fields.slice(i * opts.perPage, (i + 1) * opts.perPage),
      kind: 'ok',
      ...(opts.ephemeral ? { ephemeral: true } : {}),
    });
  }
  const first = pages[0]!;
  return count > 1 ? { ...first, pages } : first;
}

/** 12.5, 0.000001, 1,234,567.25: display amounts without float noise. */
export function formatAmount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** "2026-11-21 12:00 UTC": absolute, so a reply read later stays true. */
export function formatTime(iso: string | null): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `cosmos1abcd…wxyz`: long addresses shortened for list titles. */
export function shortAddress(a: string): string {
  return a.length > 24 ? `${a.slice(0, 12)}…${a.slice(-6)}` : a;
}

/** Autocomplete choices: best matches first (prefix before substring), at most 25 (Discord's limit). */
export function choices(
  items: { name: string; value: string }[],
  partial: string,
): { name: string; value: string }[] {
  const p = partial.trim().toLowerCase();
  const starts = items.filter((i) => i.value.toLowerCase().startsWith(p));
  const contains = items.filter(
    (i) => !i.value.toLowerCase().startsWith(p) && `${i.value} ${i.name}`.toLowerCase().includes(p),
  );
  return [...starts, ...contains].slice(0, 25).map((c) => ({ name: c.name.slice(0, 100), value: c.value }));
}
