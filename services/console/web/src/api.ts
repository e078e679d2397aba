import { useEffect, useState } from 'preact/hooks';

const TOKEN_KEY = 'tocsin.console.token';

/** A failed API call: the HTTP status and the server's `{error, message}`. 503 means the service is not running. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The login link `/#token=<token>` stores the token and removes it from the URL (and from the history entry), so
 * it is neither bookmarked nor shown over a shoulder.
 */
export function takeTokenFromUrl(): boolean {
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (!m) return false;
  localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]!));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}

export const token = (): string | null => localStorage.getItem(TOKEN_KEY);
export const forgetToken = (): void => localStorage.removeItem(TOKEN_KEY);

/** Reads never send the token; writes always do (and are never attempted without one). */
export async function api<T>(path: string, init?: { method: string; body?: unknown }): Promise<T> {
  const headers: Record<string, string> = {};
  if (init) {
    const t = token();
    if (!t) throw new ApiError(401, 'unauthorized', 'log in with the token link to do this');
    headers.authorization = `Bearer ${t}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, {
    method: init?.method ?? 'GET',
    headers,
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: 'bad_reply', message: text.slice(0, 200) };
  }
  if (!res.ok) {
    const e = (body ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? 'http_' + res.status, e.message ?? res.statusText);
  }
  return body as T;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  reload: () => void;
}

/** GET `path` now and every `everyMs` (0: once); `reload()` fetches again at once. */
export function useApi<T>(path: string, everyMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    const load = () =>
      api<T>(path).then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(null);
        },
        (e: unknown) => {
          if (live) setError(e instanceof ApiError ? e : new ApiError(0, 'network', String(e)));
        },
      );
    load();
    const timer = everyMs > 0 ? setInterval(load, everyMs) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [path, everyMs, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}
