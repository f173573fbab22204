import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../core/index.ts';
import {
  type AccessControl,
  type AccessDecision,
  allowList,
  normaliseAddress,
  Reject,
  reject,
} from '../net/association/index.ts';
import type { ModalityConfig, ModalityPermissions, PacsConfig } from './config.ts';
import { ModalityRegistry } from './modalities.ts';

export type Operation = keyof ModalityPermissions;

/**
 * The PACS's access policy (ARCHITECTURE.md "secure by default, friendly on loopback"):
 * callers from the local addresses are accepted; others must be a configured modality (by
 * calling AE title, and by address unless its checkHost is false) unless allowUnknownCallers
 * is set. A rejection says why, and the log names the config key that would allow it.
 */
export class PacsAccess implements AccessControl {
  readonly #config: PacsConfig;
  readonly #modalities: ModalityRegistry;
  readonly #logger: Logger;
  readonly #local: AccessControl;
  readonly #localCache = new Map<string, boolean>();
  readonly #addresses = new Map<string, Promise<string[]>>();

  /** `modalities`: the known callers (default: the config's, without those added through REST). */
  constructor(config: PacsConfig, logger: Logger, modalities = new ModalityRegistry(config.modalities)) {
    this.#config = config;
    this.#modalities = modalities;
    this.#logger = logger;
    this.#local = allowList({ addresses: config.localAddresses, allowLoopback: false });
  }

  async check(requester: {
    callingAeTitle: string;
    calledAeTitle: string;
    remoteAddress: string;
  }): Promise<AccessDecision> {
    if (await this.#isLocal(requester.remoteAddress)) return { allowed: true };
    const modality = await this.modalityOf(requester.callingAeTitle, requester.remoteAddress);
    if (modality) return { allowed: true };
    if (this.#config.allowUnknownCallers) return { allowed: true };
    const known = this.#modalities.byAeTitle(requester.callingAeTitle) !== undefined;
    const address = normaliseAddress(requester.remoteAddress);
    const why = known
      ? `calling AE title '${requester.callingAeTitle}' is a known modality but not at ${address} (its "host" in "modalities", or set its "checkHost": false)`
      : `calling AE title '${requester.callingAeTitle}' from ${address} is not a known modality (add it under "modalities" in the config or with PUT /modalities/{name}, or set "allowUnknownCallers": true)`;
    this.#logger.log('warn', `rejected: ${why}`);
    return {
      allowed: false,
      rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.callingAeNotRecognized),
      why,
    };
  }

  /** The configured modality a caller is, if any. */
  async modalityOf(callingAeTitle: string, remoteAddress: string): Promise<ModalityConfig | undefined> {
    const address = normaliseAddress(remoteAddress);
    for (const [, modality] of this.#modalities.entries()) {
      if (modality.aeTitle !== callingAeTitle) continue;
      if (!modality.checkHost) return modality;
      if ((await this.#resolve(modality.host)).includes(address)) return modality;
    }
    return undefined;
  }

  /** Whether a caller on an accepted association may perform an operation. */
  async permitted(callingAeTitle: string, remoteAddress: string, operation: Operation): Promise<boolean> {
    if (await this.#isLocal(remoteAddress)) return true;
    const modality = await this.modalityOf(callingAeTitle, remoteAddress);
    if (modality) return modality.permissions[operation];
    return this.#config.allowUnknownCallers;
  }

  /** Whether an address is loopback or one of the config's `localAddresses`. */
  isLocal(remoteAddress: string): Promise<boolean> {
    return this.#isLocal(remoteAddress);
  }

  async #isLocal(remoteAddress: string): Promise<boolean> {
    // Asked for every operation of every association: parsing the CIDR blocks each time
    // showed in profiles of small C-STOREs. A few distinct callers, bounded anyway.
    const known = this.#localCache.get(remoteAddress);
    if (known !== undefined) return known;
    const decision = await this.#local.check({ callingAeTitle: '', calledAeTitle: '', remoteAddress });
    if (this.#localCache.size >= 4096) this.#localCache.clear();
    this.#localCache.set(remoteAddress, decision.allowed);
    return decision.allowed;
  }

  #resolve(host: string): Promise<string[]> {
    let found = this.#addresses.get(host);
    if (!found) {
      found = isIP(host)
        ? Promise.resolve([normaliseAddress(host)])
        : lookup(host, { all: true }).then(
            (list) => list.map((a) => normaliseAddress(a.address)),
            () => [],
          );
      this.#addresses.set(host, found);
    }
    return found;
  }
}
