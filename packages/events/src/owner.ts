import { z } from 'zod';

/** Who asks or is tagged: a chat user (discord:<id>, slack:<id>, telegram:<id>), a user or a role. */
export const owner = z
  .string()
  .regex(
    /^(discord|slack|telegram|user|role):[A-Za-z0-9_.@-]+$/,
    'an owner like discord:<user id>, slack:<user id> or telegram:<user id>',
  );

/** The caller of a command that changes shared state. */
export const caller = z.object({ by: owner, is_admin: z.boolean().default(false) });
