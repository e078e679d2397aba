import type { EventDefinition } from './registry.ts';

const START = '<!-- generated:events:start (pnpm schemas) -->';
const END = '<!-- generated:events:end -->';

/** The per-type reference of docs/events.md, generated from the definitions so it cannot drift. */
export function eventReference(defs: EventDefinition[]): string {
  const sources = [...new Set(defs.map((d) => d.source))].sort();
  const out: string[] = [];
  for (const source of sources) {
    out.push(`### source \`${source}\``, '');
    for (const d of defs.filter((x) => x.source === source).sort((a, b) => a.type.localeCompare(b.type))) {
      const schema = `${d.source}.${d.type}.v${d.version}.json`;
      out.push(
        `#### \`${d.source}.${d.type}\` (version ${d.version})`,
        '',
        d.description,
        '',
        `Subject \`<prefix>.events.${d.source}.${d.type}\` · schema [\`${schema}\`](../packages/events/schema/${schema})`,
        '',
        '```json',
        JSON.stringify(d.example, null, 2),
        '```',
        '',
      );
    }
  }
  return out.join('\n');
}

export function replaceGenerated(doc: string, generated: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error('docs/events.md lacks the generated markers');
  return `${doc.slice(0, a + START.length)}\n${generated}\n${doc.slice(b)}`;
}
