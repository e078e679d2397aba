import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigSection } from '@tocsin/runtime';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ServiceEntry {
  name: string;
  main: string;
  port: number;
  /** Config section whose presence turns the service on; undefined = always on. Every section is in runtime's
   * CONFIG_SECTIONS (the file's top level accepts exactly those and the common keys). */
  section?: ConfigSection;
  /** Not on the path of alerts (they still flow without it): `tocsin status` warns when it does not answer. */
  offPath?: boolean;
}

/** Every deployable service; `tocsin up` runs those that are enabled by the config. */
export const SERVICES: ServiceEntry[] = (
  [
    { name: 'alerter', main: 'services/alerter/src/main.ts', port: 9460 },
    {
      name: 'notifier-discord',
      main: 'services/notifier-discord/src/main.ts',
      port: 9461,
      section: 'discord',
    },
    { name: 'notifier-slack', main: 'services/notifier-slack/src/main.ts', port: 9462, section: 'slack' },
    { name: 'cosmos-ibc', main: 'services/cosmos-ibc/src/main.ts', port: 9463, section: 'cosmos_ibc' },
    {
      name: 'subspace-blocks',
      main: 'services/subspace-blocks/src/main.ts',
      port: 9465,
      section: 'subspace_blocks',
    },
    {
      name: 'harmony-signers',
      main: 'services/harmony-signers/src/main.ts',
      port: 9466,
      section: 'harmony_signers',
    },
    {
      name: 'notifier-webhook',
      main: 'services/notifier-webhook/src/main.ts',
      port: 9464,
      section: 'webhook',
    },
    { name: 'ics-ccv', main: 'services/ics-ccv/src/main.ts', port: 9467, section: 'ics_ccv' },
    {
      name: 'notifier-telegram',
      main: 'services/notifier-telegram/src/main.ts',
      port: 9468,
      section: 'telegram',
    },
    // Always on: the dashboard is useful with any config (read-only until console.token_file is set).
    { name: 'console', main: 'services/console/src/main.ts', port: 9469, offPath: true },
  ] satisfies ServiceEntry[]
).map((s) => ({ ...s, main: join(repoRoot, s.main) }));

/** Names given to `--only` that are not services (so `tocsin up` can refuse them with the list). */
export function unknownServices(only: string[] | undefined): string[] {
  return (only ?? []).filter((n) => !SERVICES.some((s) => s.name === n));
}

export function enabledServices(config: Record<string, unknown>, only?: string[]): ServiceEntry[] {
  return SERVICES.filter((s) =>
    only?.length ? only.includes(s.name) : !s.section || config[s.section] !== undefined,
  ).filter((s) => existsSync(s.main));
}

/** The alerter's backtesting entry (`tocsin replay`, `tocsin rules check`): spawned like a service main. */
export const ALERTER_REPLAY_MAIN = join(repoRoot, 'services/alerter/src/replay/main.ts');
