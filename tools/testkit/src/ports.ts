import getPort from 'get-port';
import isPortReachable from 'is-port-reachable';

// Ports, on their own (`@tocsin/testkit/ports`): a benchmark that needs a free port must not load vitest and the rest
// of the test kit (index.ts) into the process whose memory it measures (some 30 MB of RSS under tsx).

/** Whether something listens on host:port. */
export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return isPortReachable(port, { host, timeout: timeoutMs });
}

/** A free port on 127.0.0.1 (get-port: not handed out twice by this process for a while). */
export function freePort(): Promise<number> {
  return getPort({ host: '127.0.0.1' });
}
