import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserIdentityType } from '../net/association/index.ts';
import type { UserIdentityRq } from '../net/pdu/index.ts';
import {
  ApplicationEntity,
  AssociationRejectedError,
  type UserIdentityRequest,
} from './application-entity.ts';
import type { Association } from './association.ts';
import { verificationContext } from './contexts.ts';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

function identity(
  type: number,
  primary: string,
  secondary = '',
  positiveResponseRequested = true,
): UserIdentityRq {
  return { type, positiveResponseRequested, primaryField: text(primary), secondaryField: text(secondary) };
}

const scu = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { acse: 5000, dimse: 5000 } });

/** An SCP that knows alice/secret and one JWT, and records what it was asked. */
async function withServer(
  verify: boolean,
  run: (port: number, asked: UserIdentityRequest[], served: Association[]) => Promise<void>,
): Promise<void> {
  const asked: UserIdentityRequest[] = [];
  const served: Association[] = [];
  const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
    port: 0,
    handlers: { echo: () => 0 },
    ...(verify
      ? {
          verifyUserIdentity: (request: UserIdentityRequest) => {
            asked.push(request);
            const id = request.identity;
            const primary = id ? new TextDecoder().decode(id.primaryField) : '';
            const secondary = id ? new TextDecoder().decode(id.secondaryField) : '';
            if (
              id?.type === UserIdentityType.usernameAndPasscode &&
              primary === 'alice' &&
              secondary === 'secret'
            )
              return { accepted: true, serverResponse: text('ignored for passwords') };
            if (id?.type === UserIdentityType.jwt && primary === 'token-1')
              return { accepted: true, serverResponse: text('jwt-response') };
            if (id?.type === UserIdentityType.saml) throw new Error('no SAML service configured');
            return { accepted: false, why: `unknown user '${primary}'` };
          },
        }
      : {}),
  });
  server.on('association', (assoc: Association) => served.push(assoc));
  try {
    await run(server.port, asked, served);
  } finally {
    await server.close({ abort: true });
  }
}

const associate = (port: number, userIdentity?: UserIdentityRq): Promise<Association> =>
  scu.associate({
    host: '127.0.0.1',
    port,
    calledAeTitle: 'SCP',
    contexts: [verificationContext()],
    ...(userIdentity ? { userIdentity } : {}),
  });

describe('user identity negotiation (PS3.7 §D.3.3.7)', () => {
  test('a verified user name and password gets an empty positive response; the SCP sees who it serves', {
    timeout: 10_000,
  }, async () => {
    await withServer(true, async (port, asked, served) => {
      const assoc = await associate(port, identity(UserIdentityType.usernameAndPasscode, 'alice', 'secret'));
      // Empty for types 1 and 2 whatever the verifier returned (PS3.7 §D.3.3.7.2).
      assert.equal(assoc.userIdentityResponse?.length, 0);
      await assoc.echo();
      await assoc.release();
      assert.equal(asked.length, 1);
      assert.equal(asked[0]!.callingAeTitle, 'SCU');
      assert.equal(new TextDecoder().decode(served[0]!.userIdentity!.primaryField), 'alice');
    });
  });

  test('a JWT gets the server response the verifier gave', { timeout: 10_000 }, async () => {
    await withServer(true, async (port) => {
      const assoc = await associate(port, identity(UserIdentityType.jwt, 'token-1'));
      assert.equal(new TextDecoder().decode(assoc.userIdentityResponse), 'jwt-response');
      await assoc.release();
    });
  });

  test('no positive response unless one is requested', { timeout: 10_000 }, async () => {
    await withServer(true, async (port) => {
      const assoc = await associate(
        port,
        identity(UserIdentityType.usernameAndPasscode, 'alice', 'secret', false),
      );
      assert.equal(assoc.userIdentityResponse, undefined);
      await assoc.release();
    });
  });

  test('a wrong password, a missing identity and a verifier that throws are rejected', {
    timeout: 10_000,
  }, async () => {
    await withServer(true, async (port, asked) => {
      const cases: (UserIdentityRq | undefined)[] = [
        identity(UserIdentityType.usernameAndPasscode, 'alice', 'wrong'),
        undefined,
        identity(UserIdentityType.saml, '<saml/>'),
      ];
      for (const userIdentity of cases) {
        await assert.rejects(associate(port, userIdentity), (error: unknown) => {
          assert.ok(error instanceof AssociationRejectedError);
          // Rejected permanent, by the service user, no reason given.
          assert.deepEqual([error.result, error.source, error.reason], [1, 1, 1]);
          return true;
        });
      }
      assert.equal(asked.length, 3);
      assert.equal(asked[1]!.identity, undefined);
      // The SCP still serves the next caller.
      const assoc = await associate(port, identity(UserIdentityType.usernameAndPasscode, 'alice', 'secret'));
      await assoc.echo();
      await assoc.release();
    });
  });

  test('without a verifier, identities are ignored: accepted, no response', { timeout: 10_000 }, async () => {
    await withServer(false, async (port, _asked, served) => {
      const assoc = await associate(port, identity(UserIdentityType.usernameAndPasscode, 'anyone', 'x'));
      assert.equal(assoc.userIdentityResponse, undefined);
      await assoc.echo();
      await assoc.release();
      assert.equal(new TextDecoder().decode(served[0]!.userIdentity!.primaryField), 'anyone');
    });
  });
});
