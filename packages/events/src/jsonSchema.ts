import { z } from 'zod';
import { alert, notification } from './alert.ts';
import { eventEnvelope } from './envelope.ts';
import type { EventDefinition } from './registry.ts';

const BASE = 'https://tocsin.dev/schema';

/** JSON Schema documents for the public contract, keyed by file name. */
export function jsonSchemas(defs: EventDefinition[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    'envelope.json': { $id: `${BASE}/envelope.json`, ...z.toJSONSchema(eventEnvelope) },
    'alert.json': { $id: `${BASE}/alert.json`, ...z.toJSONSchema(alert, { io: 'output' }) },
    'notification.json': {
      $id: `${BASE}/notification.json`,
      ...z.toJSONSchema(notification, { io: 'output' }),
    },
  };
  for (const d of defs) {
    const name = `${d.source}.${d.type}.v${d.version}.json`;
    const envelope = z.toJSONSchema(eventEnvelope) as Record<string, unknown> & {
      properties: Record<string, unknown>;
    };
    out[name] = {
      ...envelope,
      $id: `${BASE}/${name}`,
      title: `${d.source}.${d.type} v${d.version}`,
      description: d.description,
      properties: {
        ...envelope.properties,
        source: { const: d.source },
        type: { const: d.type },
        version: { const: d.version },
        data: z.toJSONSchema(d.data, { io: 'output' }),
      },
      examples: [d.example],
    };
  }
  return out;
}
