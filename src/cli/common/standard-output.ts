import { Writable } from 'node:stream';

let discarded = false;

/**
 * Standard output and error become sinks: under inetd both are the peer's connection (inetd
 * hands the accepted socket over as descriptors 0, 1 and 2), so a line written to either would
 * reach the peer inside its PDUs (DCMTK storescp -id discards them too). Called before anything
 * opens them, no stream is ever made on descriptors 1 and 2; -lc's console appenders, which
 * write to the descriptors themselves, ask `standardOutputDiscarded()`.
 */
export function discardStandardOutput(): void {
  discarded = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    Object.defineProperty(process, name, { value: sink, configurable: true, writable: true });
  }
}

export function standardOutputDiscarded(): boolean {
  return discarded;
}
