import type { Association, DicomServer } from '../../services/index.ts';
import type { Console } from './network.ts';

/** Says at -v what DCMTK's storescp says about associations: received, acknowledged, released, aborted. */
export function logServerEvents(server: DicomServer, console: Console): void {
  server.on('association', (assoc: Association) => {
    console.info(
      `Association Received ${assoc.remoteAddress}: ${assoc.callingAeTitle} -> ${assoc.calledAeTitle}`,
    );
    console.info(
      `Association Acknowledged (Max Send PDV: ${assoc.peerMaxPduLength > 12 ? assoc.peerMaxPduLength - 12 : 'unlimited'})`,
    );
  });
  server.on('rejected', (event: { why?: string; remoteAddress?: string }) => {
    console.warn(`Association Rejected from ${event.remoteAddress ?? 'unknown'}: ${event.why ?? ''}`);
  });
  server.on('released', () => console.info('Association Release'));
  server.on('aborted', () => console.info('Association Aborted'));
}
