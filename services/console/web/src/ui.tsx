import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { type ApiError, api, type Loaded } from './api.ts';

/** 503 from the API: the service behind the view is not part of this stack (or not up yet). */
export function Problem({ error, what }: { error: ApiError; what: string }) {
  if (error.status === 503)
    return (
      <p class="note not-running">
        Not running: {what}. <span class="dim">{error.message}</span>
      </p>
    );
  return (
    <p class="note error">
      Could not load {what}: {error.message} <span class="dim">({error.code})</span>
    </p>
  );
}

/** The loading / error / not-running states every view shares; `children` renders the data. */
export function Load<T>({
  q,
  what,
  children,
}: {
  q: Loaded<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (q.error && !q.data) return <Problem error={q.error} what={what} />;
  if (!q.data) return <p class="dim">Loading {what}…</p>;
  return (
    <>
      {q.error ? <Problem error={q.error} what={what} /> : null}
      {children(q.data)}
    </>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge ${kind}`}>{children}</span>;
}

/** Ending one of a list's items (a silence, a maintenance window): DELETE its path, reload, keep the error to show. */
export function useEnd(reload: () => void): { err: string | null; end(path: string): Promise<void> } {
  const [err, setErr] = useState<string | null>(null);
  const end = async (path: string) => {
    setErr(null);
    try {
      await api(path, { method: 'DELETE' });
      reload();
    } catch (x) {
      setErr((x as Error).message);
    }
  };
  return { err, end };
}

/** The toolbar of a list of things that end: show the ended ones too, or not. */
export function IncludeEnded({ all, set, what }: { all: boolean; set(v: boolean): void; what: string }) {
  return (
    <div class="toolbar">
      <label>
        <input type="checkbox" checked={all} onChange={(e) => set(e.currentTarget.checked)} /> include {what}
      </label>
    </div>
  );
}
