import type { ComponentChildren } from 'preact';
import type { ApiError, Loaded } from './api.ts';

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
