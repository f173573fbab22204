import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The better-sqlite3 this Node can run; both have the same API for what the index uses.
 *
 * - 13 (`better-sqlite3`) is a Node-API 10 addon. Node-API 10 came with Node 22.14, and on
 *   Node 20 it crashes (SIGSEGV) at `new Database()`.
 * - 12 (`better-sqlite3-v12`, an optional npm alias) is built on Node's own `ObjectWrap`.
 *   Built for Node 24, it aborts the process whenever the GC collects a statement outside a
 *   context (`RemoveEnvironmentCleanupHook: Assertion (env) != nullptr`): every PACS test did.
 *
 * checkpoint-worker.mjs is told which one through its workerData.
 */
export const DRIVER_PACKAGE = Number(process.versions.napi) >= 10 ? 'better-sqlite3' : 'better-sqlite3-v12';

let driver: typeof BetterSqlite3 | undefined;

/** The driver, loaded on first use: a PACS without it fails at start naming the package. */
export function sqliteDriver(): typeof BetterSqlite3 {
  if (driver) return driver;
  try {
    driver = createRequire(import.meta.url)(DRIVER_PACKAGE) as typeof BetterSqlite3;
  } catch (error) {
    throw new Error(
      `the SQLite index needs the package ${DRIVER_PACKAGE} on Node ${process.version} (Node-API ${process.versions.napi}), and it could not be loaded (${(error as Error).message.split('\n')[0]}): run npm install again and read its log`,
      { cause: error },
    );
  }
  return driver;
}

/** Opens (or creates) a database with the driver this Node runs. */
export function openDatabase(path: string, options?: BetterSqlite3.Options): SqliteDatabase {
  return new (sqliteDriver())(path, options);
}

export type SqliteDatabase = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;
