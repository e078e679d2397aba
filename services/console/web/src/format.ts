/** 3725 → "1h 2m"; negative durations read "ago" at the caller. */
export function duration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}

export function since(iso: string | null, now = Date.now()): string {
  if (!iso) return '—';
  const s = (now - Date.parse(iso)) / 1000;
  return s >= 0 ? `${duration(s)} ago` : `in ${duration(s)}`;
}

export const time = (iso: string | null): string =>
  iso ? new Date(iso).toLocaleString(undefined, { hour12: false }) : '—';

export const num = (n: number | null | undefined, digits = 2): string =>
  n === null || n === undefined ? '—' : n.toLocaleString(undefined, { maximumFractionDigits: digits });

export const short = (s: string, keep = 10): string =>
  s.length > keep * 2 + 1 ? `${s.slice(0, keep)}…${s.slice(-6)}` : s;
