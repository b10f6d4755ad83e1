import { isoCBOR } from '@simplewebauthn/server/helpers';
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/** What the server's options carry that an authenticator reads. */
interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}
interface RequestOptions {
  challenge: string;
}

/** A passkey the software authenticator holds. */
export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  userHandle: string;
  counter: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

/**
 * A platform authenticator in software (ES256, attestation "none", user verified), building the
 * authenticator data, client data and signatures a browser would send, so that the e2e tests exercise
 * the server's real WebAuthn checks. `origin` is the page the ceremony claims to run on.
 */
export class SoftAuthenticator {
  constructor(
    readonly rpId = 'localhost',
    readonly origin = 'http://localhost:4200',
  ) {}

  /** `navigator.credentials.create()`: a new discoverable passkey for the options' user. */
  create(options: CreationOptions, { origin = this.origin }: { origin?: string } = {}): { credential: object; passkey: SoftCredential } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const idBytes = randomBytes(16);
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(idBytes.length);
    const authData = Buffer.concat([
      sha256(options.rp.id ?? this.rpId),
      Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
      Buffer.alloc(4),
      Buffer.alloc(16),
      length,
      idBytes,
      Buffer.from(isoCBOR.encode(cose as never)),
    ]);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
    const clientData = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false });
    const passkey: SoftCredential = { id: b64url(idBytes), privateKey, publicKey, userHandle: options.user.id, counter: 0 };
    return {
      passkey,
      credential: {
        id: passkey.id,
        rawId: passkey.id,
        type: 'public-key',
        response: { clientDataJSON: b64url(Buffer.from(clientData)), attestationObject: b64url(attestationObject), transports: ['internal'] },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      },
    };
  }

  /**
   * `navigator.credentials.get()`: an assertion by `passkey` over the options' challenge. The counter
   * moves on by one unless `counter` says what to sign (a cloned authenticator); `signWith` signs with
   * another key (a forgery).
   */
  get(
    options: RequestOptions,
    passkey: SoftCredential,
    { origin = this.origin, counter, signWith, rpId = this.rpId }: { origin?: string; counter?: number; signWith?: KeyObject; rpId?: string } = {},
  ): object {
    passkey.counter = counter ?? passkey.counter + 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(passkey.counter);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([FLAG_UP | FLAG_UV]), count]);
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), signWith ?? passkey.privateKey);
    return {
      id: passkey.id,
      rawId: passkey.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: passkey.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
