export { ownedReads } from './owned-reads.ts';
export { PduSocket, type PduSocketHandlers, type PduSocketOptions } from './pdu-socket.ts';
export { nodeTls } from './tls.ts';
