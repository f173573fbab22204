import { isIPv4, isIPv6 } from 'node:net';
import type { AssociateRj } from '../pdu/index.ts';
import { Reject, reject } from './negotiation.ts';

/** Who is asking for an association, as the acceptor sees it before answering. */
export interface AssociationRequester {
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string;
  /** From the request's user information (PS3.7 §D.3.3.2); absent when the requestor sent none. */
  implementationClassUid?: string;
  implementationVersionName?: string;
}

export type AccessDecision = { allowed: true } | { allowed: false; rj: AssociateRj; why: string };

/** Decides whether an association request may proceed (ARCHITECTURE.md: secure by default). */
export interface AccessControl {
  check(requester: AssociationRequester): AccessDecision | Promise<AccessDecision>;
}

export const ALLOW_ALL: AccessControl = { check: () => ({ allowed: true }) };

export interface AllowListOptions {
  /** Calling AE titles allowed from any address. */
  callingAeTitles?: readonly string[];
  /** Addresses or CIDR blocks (IPv4 or IPv6) allowed with any calling AE title. */
  addresses?: readonly string[];
  /** Callers on 127.0.0.0/8 and ::1 are let in. Default true. */
  allowLoopback?: boolean;
  /** Pairs that must match together: a calling AE title from a given address. */
  peers?: readonly { aeTitle: string; address?: string }[];
}

/**
 * An allow-list policy. A caller is accepted when any rule matches; otherwise the rejection
 * is "calling AE title not recognized" (PS3.8 Table 9-21, reason 3), which tells a modality's
 * installer what to fix.
 */
export function allowList(options: AllowListOptions): AccessControl {
  const titles = new Set(options.callingAeTitles ?? []);
  const blocks = (options.addresses ?? []).map(parseCidr);
  const peers = (options.peers ?? []).map((p) => ({
    aeTitle: p.aeTitle,
    block: p.address ? parseCidr(p.address) : undefined,
  }));
  const loopback = options.allowLoopback ?? true;
  return {
    check(requester) {
      const address = normaliseAddress(requester.remoteAddress);
      if (loopback && isLoopback(address)) return { allowed: true };
      if (titles.has(requester.callingAeTitle)) return { allowed: true };
      if (blocks.some((b) => inBlock(address, b))) return { allowed: true };
      if (
        peers.some((p) => p.aeTitle === requester.callingAeTitle && (!p.block || inBlock(address, p.block)))
      ) {
        return { allowed: true };
      }
      return {
        allowed: false,
        rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.callingAeNotRecognized),
        why: `calling AE title '${requester.callingAeTitle}' from ${address} is not a known peer`,
      };
    },
  };
}

interface Block {
  bytes: Uint8Array;
  prefix: number;
}

export function normaliseAddress(address: string): string {
  // IPv4 clients of a dual-stack socket show up as ::ffff:a.b.c.d.
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export function isLoopback(address: string): boolean {
  const a = normaliseAddress(address);
  return a === '::1' || (isIPv4(a) && a.startsWith('127.'));
}

function parseCidr(text: string): Block {
  const [address = '', prefixText] = text.split('/');
  const bytes = addressBytes(normaliseAddress(address));
  if (!bytes) throw new RangeError(`not an IP address or CIDR block: ${text}`);
  const prefix = prefixText === undefined ? bytes.length * 8 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) {
    throw new RangeError(`bad prefix length in ${text}`);
  }
  return { bytes, prefix };
}

function inBlock(address: string, block: Block): boolean {
  const bytes = addressBytes(address);
  if (!bytes || bytes.length !== block.bytes.length) return false;
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (block.bytes[i]! & mask)) return false;
  }
  return true;
}

function addressBytes(address: string): Uint8Array | undefined {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  const [head = '', tail] = address.split('::');
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const words = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}
