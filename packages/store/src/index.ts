export { isDbUnavailable, isPermanentDbError } from './errors.ts';
export { applyOnce, pruneInbox, storeMigrations } from './inbox.ts';
export { type Column, type ColumnType, JsonLiterals, unnestRows } from './jsonLiterals.ts';
export { sqlIds, sqlInt, sqlKeys, sqlLiteral } from './literal.ts';
export { lockId, type MigrateOptions, migrate } from './migrate.ts';
export {
  assertSchemaName,
  createPool,
  type Pool,
  type PoolClient,
  ping,
  type StoreOptions,
  withTransaction,
} from './pool.ts';
export { extendedQuery, simpleQuery } from './query.ts';
