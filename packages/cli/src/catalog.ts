import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ServiceEntry {
  name: string;
  main: string;
  port: number;
  /** Config section whose presence turns the service on; undefined = always on. */
  section?: string;
}

/** Every deployable service; `tocsin up` runs those that are enabled by the config. */
export const SERVICES: ServiceEntry[] = [
  { name: 'alerter', main: 'services/alerter/src/main.ts', port: 9460 },
  { name: 'notifier-discord', main: 'services/notifier-discord/src/main.ts', port: 9461, section: 'discord' },
  { name: 'notifier-slack', main: 'services/notifier-slack/src/main.ts', port: 9462, section: 'slack' },
  { name: 'cosmos-ibc', main: 'services/cosmos-ibc/src/main.ts', port: 9463, section: 'cosmos_ibc' },
  { name: 'notifier-webhook', main: 'services/notifier-webhook/src/main.ts', port: 9464, section: 'webhook' },
].map((s) => ({ ...s, main: join(repoRoot, s.main) }));

export function enabledServices(config: Record<string, unknown>, only?: string[]): ServiceEntry[] {
  return SERVICES.filter((s) =>
    only?.length ? only.includes(s.name) : !s.section || config[s.section] !== undefined,
  ).filter((s) => existsSync(s.main));
}
