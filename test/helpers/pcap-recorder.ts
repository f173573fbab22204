// Records DICOM traffic without capture privileges: a TCP proxy (node:net) sits between two
// peers and notes every byte in each direction, in arrival order; toPcap() then writes the
// conversation as a classic libpcap file (LINKTYPE_ETHERNET, IPv4, TCP) with a three-way
// handshake, consistent sequence and acknowledgement numbers, an ACK after every segment and
// FINs at the end, so Wireshark's TCP analysis and reassembly see an ordinary, clean capture.
// Addresses and client ports are synthetic and deterministic; timestamps advance 100 µs a frame.
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Endpoint {
  ip: string;
  port: number;
}

export interface RecordedConnection {
  id: number;
  client: Endpoint;
  server: Endpoint;
}

type TrafficEvent =
  | { kind: 'open'; conn: number }
  | { kind: 'data'; conn: number; fromClient: boolean; bytes: Uint8Array }
  | { kind: 'fin'; conn: number; fromClient: boolean };

/** Largest TCP payload per frame (keeps the IPv4 total length far below 65535). */
const SEGMENT = 16_000;

export class TrafficRecorder {
  readonly connections: RecordedConnection[] = [];
  readonly events: TrafficEvent[] = [];
  #nextClientPort = 50_001;

  open(clientIp: string, server: Endpoint): number {
    const id = this.connections.length;
    this.connections.push({ id, client: { ip: clientIp, port: this.#nextClientPort++ }, server });
    this.events.push({ kind: 'open', conn: id });
    return id;
  }

  data(conn: number, fromClient: boolean, bytes: Uint8Array): void {
    this.events.push({ kind: 'data', conn, fromClient, bytes: new Uint8Array(bytes) });
  }

  fin(conn: number, fromClient: boolean): void {
    const done = this.events.some((e) => e.kind === 'fin' && e.conn === conn && e.fromClient === fromClient);
    if (!done) this.events.push({ kind: 'fin', conn, fromClient });
  }

  /** Total bytes recorded in one direction of one connection. */
  bytes(conn: number, fromClient: boolean): number {
    let n = 0;
    for (const e of this.events)
      if (e.kind === 'data' && e.conn === conn && e.fromClient === fromClient) n += e.bytes.length;
    return n;
  }

  toPcap(): Uint8Array {
    const frames: Uint8Array[] = [pcapGlobalHeader()];
    let frameNo = 0;
    const emit = (
      from: Endpoint,
      to: Endpoint,
      seq: number,
      ack: number,
      flags: number,
      payload?: Uint8Array,
    ) => {
      const packet = ethernetIpv4Tcp(from, to, seq, ack, flags, payload ?? new Uint8Array(0));
      const usec = frameNo++ * 100;
      frames.push(
        pcapRecordHeader(1_767_225_600 + Math.floor(usec / 1e6), usec % 1e6, packet.length),
        packet,
      );
    };
    const state = new Map<number, { c: number; s: number }>();
    const ends = (conn: RecordedConnection, fromClient: boolean) =>
      fromClient ? ([conn.client, conn.server] as const) : ([conn.server, conn.client] as const);
    const fin = (conn: RecordedConnection, fromClient: boolean): void => {
      const st = state.get(conn.id)!;
      const [from, to] = ends(conn, fromClient);
      const mine = fromClient ? st.c : st.s;
      const theirs = fromClient ? st.s : st.c;
      emit(from, to, mine, theirs, FIN | ACK);
      if (fromClient) st.c = (st.c + 1) >>> 0;
      else st.s = (st.s + 1) >>> 0;
      emit(to, from, theirs, fromClient ? st.c : st.s, ACK);
    };
    const finished = new Set<string>();
    for (const event of this.events) {
      const conn = this.connections[event.conn]!;
      if (event.kind === 'open') {
        const c = (0x10000000 + conn.id * 0x01000000) >>> 0;
        const s = (0x80000000 + conn.id * 0x01000000) >>> 0;
        emit(conn.client, conn.server, c, 0, SYN);
        emit(conn.server, conn.client, s, (c + 1) >>> 0, SYN | ACK);
        emit(conn.client, conn.server, (c + 1) >>> 0, (s + 1) >>> 0, ACK);
        state.set(conn.id, { c: (c + 1) >>> 0, s: (s + 1) >>> 0 });
        continue;
      }
      if (event.kind === 'fin') {
        finished.add(`${conn.id}:${event.fromClient}`);
        fin(conn, event.fromClient);
        continue;
      }
      const st = state.get(conn.id)!;
      const [from, to] = ends(conn, event.fromClient);
      for (let at = 0; at < event.bytes.length; at += SEGMENT) {
        const part = event.bytes.subarray(at, Math.min(at + SEGMENT, event.bytes.length));
        if (event.fromClient) {
          emit(from, to, st.c, st.s, PSH | ACK, part);
          st.c = (st.c + part.length) >>> 0;
          emit(to, from, st.s, st.c, ACK);
        } else {
          emit(from, to, st.s, st.c, PSH | ACK, part);
          st.s = (st.s + part.length) >>> 0;
          emit(to, from, st.c, st.s, ACK);
        }
      }
    }
    // Connections torn down without a FIN on the wire (a reset) still end cleanly in the file.
    for (const conn of this.connections) {
      for (const fromClient of [true, false])
        if (!finished.has(`${conn.id}:${fromClient}`)) fin(conn, fromClient);
    }
    return concat(frames);
  }
}

/**
 * A recording proxy: accepts on 127.0.0.1 (port 0) and relays to `target`. In the capture the
 * connection appears between `clientIp` and `server` (synthetic addresses).
 */
export class RecordingProxy {
  readonly #server: Server;
  readonly #sockets: Set<Socket>;

  private constructor(server: Server, sockets: Set<Socket>) {
    this.#server = server;
    this.#sockets = sockets;
  }

  static async start(options: {
    target: { host: string; port: number };
    recorder: TrafficRecorder;
    clientIp: string;
    server: Endpoint;
  }): Promise<RecordingProxy> {
    const { recorder } = options;
    const sockets = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true }, (client) => {
      const id = recorder.open(options.clientIp, options.server);
      const upstream = connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true });
      for (const s of [client, upstream]) {
        s.setNoDelay(true);
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      }
      client.on('data', (chunk: Buffer) => {
        recorder.data(id, true, chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        recorder.data(id, false, chunk);
        client.write(chunk);
      });
      client.on('end', () => {
        recorder.fin(id, true);
        upstream.end();
      });
      upstream.on('end', () => {
        recorder.fin(id, false);
        client.end();
      });
      // A reset on one side: close the other (the capture still gets FINs, see toPcap()).
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => {
        if (!upstream.destroyed && upstream.writableEnded === false) upstream.end();
      });
      upstream.on('close', () => {
        if (!client.destroyed && client.writableEnded === false) client.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new RecordingProxy(server, sockets);
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

function pcapGlobalHeader(): Uint8Array {
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true); // microsecond timestamps, little-endian file
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, 262_144, true); // snaplen
  v.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  return out;
}

function pcapRecordHeader(seconds: number, microseconds: number, length: number): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, seconds, true);
  v.setUint32(4, microseconds, true);
  v.setUint32(8, length, true);
  v.setUint32(12, length, true);
  return out;
}

function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ethernetIpv4Tcp(
  from: Endpoint,
  to: Endpoint,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(14 + 20 + 20 + payload.length);
  const v = new DataView(out.buffer);
  const src = ipBytes(from.ip);
  const dst = ipBytes(to.ip);
  // Ethernet: locally administered MACs derived from the addresses.
  out.set([0x02, 0, ...dst], 0);
  out.set([0x02, 0, ...src], 6);
  v.setUint16(12, 0x0800);
  // IPv4.
  const ip = 14;
  out[ip] = 0x45;
  v.setUint16(ip + 2, 20 + 20 + payload.length);
  v.setUint16(ip + 4, 0);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  out[ip + 8] = 64;
  out[ip + 9] = 6;
  out.set(src, ip + 12);
  out.set(dst, ip + 16);
  v.setUint16(ip + 10, checksum(out.subarray(ip, ip + 20)));
  // TCP.
  const tcp = ip + 20;
  v.setUint16(tcp, from.port);
  v.setUint16(tcp + 2, to.port);
  v.setUint32(tcp + 4, seq >>> 0);
  v.setUint32(tcp + 8, flags & ACK ? ack >>> 0 : 0);
  out[tcp + 12] = 5 << 4;
  out[tcp + 13] = flags;
  v.setUint16(tcp + 14, 65_535);
  out.set(payload, tcp + 20);
  const pseudo = new Uint8Array(12 + 20 + payload.length);
  pseudo.set(src, 0);
  pseudo.set(dst, 4);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, 20 + payload.length);
  pseudo.set(out.subarray(tcp), 12);
  v.setUint16(tcp + 16, checksum(pseudo));
  return out;
}

/** The Internet checksum (RFC 1071). */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
