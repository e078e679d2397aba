import { expect } from 'vitest';
import { type Block, LIMITS } from '../src/blocks.ts';

/** The texts a reader sees in blocks (header, sections and their fields, context lines). */
export function texts(blocks: Block[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.type === 'header') out.push(b.text.text);
    if (b.type === 'section') {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
    }
    if (b.type === 'context') for (const e of b.elements) out.push(e.text);
  }
  return out;
}

/** Every Block Kit limit Slack enforces on what we send. */
export function expectWithinLimits(blocks: Block[]): void {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) {
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (b.type === 'section') {
      expect(b.text || b.fields).toBeTruthy();
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(LIMITS.fields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
    }
    if (b.type === 'context') expect(b.elements.length).toBeLessThanOrEqual(LIMITS.contextElements);
    if (b.type === 'actions') {
      for (const e of b.elements) {
        expect(e.value.length).toBeLessThanOrEqual(LIMITS.buttonValue);
        expect(e.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
      }
    }
  }
}
