import { createRequire } from 'node:module';
import type * as NodeTls from 'node:tls';

const requireBuiltin = createRequire(import.meta.url);
let loaded: typeof NodeTls | undefined;

/**
 * node:tls, loaded when the first TLS connection or server is made: importing it loads all of
 * node:crypto, ~3.5 ms of every process's start-up, and most associations are plain TCP.
 */
export function nodeTls(): typeof NodeTls {
  loaded ??= requireBuiltin('node:tls') as typeof NodeTls;
  return loaded;
}
