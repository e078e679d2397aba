import { render } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, takeTokenFromUrl, token } from './api.ts';
import './style.css';
import { AlertDetail } from './views/alert.tsx';
import { Alerts } from './views/alerts.tsx';
import { Harmony } from './views/harmony.tsx';
import { Ibc } from './views/ibc.tsx';
import { Ics } from './views/ics.tsx';
import { Silences } from './views/silences.tsx';

// The two chart views load uPlot: fetched on first visit, so the alerts page loads without it.
const Wallets = lazy(() => import('./views/wallets.tsx').then((m) => m.Wallets));
const Subspace = lazy(() => import('./views/subspace.tsx').then((m) => m.Subspace));
// Visited rarely: its own chunk, so the first load does not carry it.
const MaintenanceView = lazy(() => import('./views/maintenance.tsx').then((m) => m.MaintenanceView));

const VIEWS = [
  ['alerts', 'Alerts'],
  ['silences', 'Silences'],
  ['maintenance', 'Maintenance'],
  ['ibc', 'IBC clients'],
  ['wallets', 'Wallets'],
  ['ics', 'ICS consumers'],
  ['subspace', 'Subspace'],
  ['harmony', 'Harmony'],
] as const;

const route = () => location.hash.replace(/^#\/?/, '').split('/');

interface Session {
  authed: boolean;
  /** A token is stored but the console does not take it (another stack's, or changed). */
  rejected: boolean;
  /** The console has a login token configured at all (else it is read-only for everyone). */
  writable: boolean;
}

/** `authed`: GET /api/session with the stored token says it is good. Write controls show only then. */
function useSession(): Session & { check: () => void; logout: () => void } {
  const [state, setState] = useState<Session>({ authed: false, rejected: false, writable: true });
  const check = () => {
    const t = token();
    fetch('/api/session', t ? { headers: { authorization: `Bearer ${t}` } } : {})
      .then((r) => r.json() as Promise<{ authenticated?: boolean; writable?: boolean }>)
      .then((s) =>
        setState({
          authed: s.authenticated === true,
          rejected: !!t && s.authenticated !== true,
          writable: s.writable !== false,
        }),
      )
      .catch(() => setState({ authed: false, rejected: false, writable: true }));
  };
  useEffect(check, []);
  return {
    ...state,
    check,
    logout: () => {
      forgetToken();
      check();
    },
  };
}

function App() {
  const [path, setPath] = useState(route());
  const session = useSession();
  // Re-render now and then: the relative times ("3m ago", "in 9m") stay true between fetches.
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    // The login link opened in a tab already showing the console changes only the fragment: no reload.
    const on = () => {
      if (takeTokenFromUrl()) session.check();
      setPath(route());
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const [view = 'alerts', arg] = path;
  const current = view === 'alert' ? 'alerts' : view || 'alerts';
  return (
    <>
      <header>
        <strong class="brand">tocsin</strong>
        <nav>
          {VIEWS.map(([id, label]) => (
            <a key={id} href={`#/${id}`} class={current === id ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class="session">
          {session.authed ? (
            <>
              <span class="ok">logged in</span>{' '}
              <button type="button" class="link" onClick={session.logout}>
                Log out
              </button>
            </>
          ) : session.rejected ? (
            <>
              <span class="bad">token rejected</span>{' '}
              <button type="button" class="link" onClick={session.logout}>
                Forget it
              </button>
            </>
          ) : (
            <span
              class="dim"
              title={
                session.writable
                  ? 'Open the login link the stack printed (…/#token=…) to acknowledge and silence'
                  : 'This console has no login token (console.token_file): nobody can write here'
              }
            >
              read-only{session.writable ? '' : ' (no login token configured)'}
            </span>
          )}
        </span>
      </header>
      <main>
        <Suspense fallback={<p class="dim">Loading…</p>}>
          {view === 'alert' && arg ? (
            <AlertDetail id={decodeURIComponent(arg)} authed={session.authed} />
          ) : current === 'silences' ? (
            <Silences authed={session.authed} prefill={arg && decodeURIComponent(arg)} />
          ) : current === 'maintenance' ? (
            <MaintenanceView authed={session.authed} />
          ) : current === 'ibc' ? (
            <Ibc />
          ) : current === 'wallets' ? (
            <Wallets />
          ) : current === 'ics' ? (
            <Ics />
          ) : current === 'subspace' ? (
            <Subspace />
          ) : current === 'harmony' ? (
            <Harmony />
          ) : (
            <Alerts authed={session.authed} />
          )}
        </Suspense>
      </main>
    </>
  );
}

takeTokenFromUrl();
render(<App />, document.getElementById('app')!);
