/** Schemas shared by the subspace-blocks event definitions. */
import { z } from 'zod';

export const SUBSPACE_BLOCKS = 'subspace-blocks';

export const hash = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash as 0x + 64 lowercase hex digits');
export const height = z.number().int().nonnegative();
export const decimalString = z.string().regex(/^\d+$/, 'a non-negative integer as a decimal string');
export const blockRef = z.object({ height, hash });
export const iso = z.iso.datetime({ offset: true });
export const node = z.string().describe('the node URL, user info and query values masked');

/** Where in a block a fact was read: an extrinsic (call), an event, or both. */
export const reference = z.object({
  block: blockRef,
  extrinsic_index: z.number().int().nonnegative().nullable(),
  event_index: z.number().int().nonnegative().nullable(),
  id: z.string().describe('<height>-<extrinsic index> or <height>-e<event index>, as Subscan names them'),
});

export const labelled = z.object({ address: z.string(), label: z.string() });
