import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventReference, replaceGenerated } from '../src/docs.ts';
import { allEvents } from '../src/index.ts';
import { jsonSchemas } from '../src/jsonSchema.ts';

// `pnpm schemas`: regenerates packages/events/schema/*.json and the event reference in docs/events.md.
const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', 'schema');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f));
const schemas = jsonSchemas(allEvents);
for (const [name, schema] of Object.entries(schemas)) {
  writeFileSync(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
}
const docPath = join(here, '..', '..', '..', 'docs', 'events.md');
writeFileSync(docPath, replaceGenerated(readFileSync(docPath, 'utf8'), eventReference(allEvents)));
console.log(`wrote ${Object.keys(schemas).length} schemas to ${dir} and the reference in ${docPath}`);
