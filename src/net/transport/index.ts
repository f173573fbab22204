export { ownedReads, readBufferCounts, withOwnedReads } from './owned-reads.ts';
export { PduSocket, type PduSocketHandlers, type PduSocketOptions } from './pdu-socket.ts';
export {
  gatherBufferCounts,
  holdChunk,
  keepChunk,
  ReceiveBuffers,
  releaseChunk,
} from './receive-buffers.ts';
export { nodeTls } from './tls.ts';
