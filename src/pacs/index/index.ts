/** The PACS index: the interface, the SQLite implementation and the pieces a PostgreSQL one would reuse. */
export { ATTRIBUTES, type AttributeColumn, DERIVED, type DerivedAttribute } from './catalogue.ts';
export { type SqlDialect, SqlParams, type SqlValue, sqliteDialect } from './dialect.ts';
export { type FindPlan, planFind, planLocate } from './query.ts';
export { encodeHeader, instanceKeys, normalisePersonName, patientKey } from './rows.ts';
export { MIGRATIONS, type Migration } from './schema.ts';
export { migrate, openSqliteIndex, type SqliteIndex, type SqliteIndexOptions } from './sqlite.ts';
export type * from './types.ts';
