/** A peer of a DCMTK dcmqrscp: its HostTable name, AE title and port on 127.0.0.1. */
export type DcmqrscpPeer = readonly [name: string, aeTitle: string, port: number];

/**
 * The text of a dcmqrscp configuration file (dcmqrcnf.txt's format) for one storage area
 * served on 127.0.0.1: `aeTitle` keeps `maxStudies` studies of up to `maxStudySize` each in
 * `storage`; `peers` are the C-MOVE destinations it knows.
 */
export function dcmqrscpConfig(options: {
  port: number;
  aeTitle: string;
  storage: string;
  maxStudies: number;
  maxStudySize: string;
  peers: readonly DcmqrscpPeer[];
}): string {
  const { port, aeTitle, storage, maxStudies, maxStudySize, peers } = options;
  return [
    `NetworkTCPPort = ${port}`,
    'MaxPDUSize = 16384',
    'MaxAssociations = 16',
    'HostTable BEGIN',
    ...peers.map(([name, aet, peerPort]) => `${name} = (${aet}, 127.0.0.1, ${peerPort})`),
    'HostTable END',
    'VendorTable BEGIN',
    'VendorTable END',
    'AETable BEGIN',
    `${aeTitle} ${storage} RW (${maxStudies}, ${maxStudySize}) ANY`,
    'AETable END',
    '',
  ].join('\n');
}
