/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** `3m ago`, `2h 5m ago`, `in 40m`: how far a time is from now, for tables. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const ms = now - Date.parse(iso);
  const abs = Math.abs(ms);
  const s = Math.round(abs / 1000);
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m`
        : s < 86_400
          ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
          : `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}
