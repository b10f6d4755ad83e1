import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { Clock } from '../../common/clock.js';
import type { AuthUser } from '../../common/current-user.decorator.js';
import { AppConfig } from '../../config/app-config.js';
import type { Tx } from '../../database/transaction.js';
import { UsersService } from '../../users/users.service.js';
import { AuthService, type IssuedTokens, type SignInOrigin } from '../auth.service.js';
import type { AuthenticationCredentialDto, PasskeyDto, RegistrationCredentialDto } from '../dto/passkey.dto.js';
import { type PasskeyErrorCode, unauthorized, wrongPassword } from '../errors.js';
import { PasswordHasher } from '../password-hasher.js';
import { type Refusal, TotpService } from '../totp.service.js';
import type { PasskeyCeremony } from './passkey-challenge.entity.js';
import type { UserPasskey } from './passkey.entity.js';
import { PasskeysRepository } from './passkeys.repository.js';

/** How long a challenge may wait for the authenticator: as long as the browser is told to wait. */
const CHALLENGE_TTL_MS = 5 * 60_000;

/** Loaded with the first passkey ceremony: most servers run without one for long stretches, some never. */
const webauthn = () => import('@simplewebauthn/server');

type PasskeyRefusal = Refusal & { code: PasskeyErrorCode };

const refuse = (code: PasskeyErrorCode, message: string): PasskeyRefusal => ({ code, message });

/**
 * Passkeys (WebAuthn, `@simplewebauthn/server`): a signed-in user registers them (discoverable, user
 * verification required), names, renames and removes them; anyone may sign in with one without typing a
 * username, or use one instead of the code at the second step of a password sign-in. Every ceremony
 * spends a challenge this server made for it within the last 5 minutes, once; every sign-in moves the
 * passkey's signature counter on (see PasskeysRepository.recordUse).
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly usersService: UsersService,
    private readonly authService: AuthService,
    private readonly totp: TotpService,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async list(userId: string): Promise<PasskeyDto[]> {
    return (await this.passkeys.ofUser(userId)).map(toDto);
  }

  /** For an export: names and dates, never key material. */
  exportOf(userId: string): Promise<PasskeyDto[]> {
    return this.list(userId);
  }

  async registrationOptions(caller: AuthUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.usersService.getById(caller.id);
    const existing = await this.passkeys.ofUser(caller.id);
    const { generateRegistrationOptions } = await webauthn();
    const options = await generateRegistrationOptions({
      rpName: this.config.WEBAUTHN_RP_NAME,
      rpID: this.config.webauthnRpId,
      userID: userHandleOf(user.id),
      userName: user.username,
      userDisplayName: user.displayName,
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as never })),
      // Discoverable, so that it signs in without a username; verified, so that it is a factor on its own.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.newChallenge(options.challenge, 'register', caller.id);
    return options;
  }

  async register(caller: AuthUser, name: string, credential: RegistrationCredentialDto): Promise<PasskeyDto> {
    const challenge = challengeOf(credential);
    const spent = await this.spendChallenge(challenge, 'register', caller.id);
    if (spent) throw new BadRequestException(spent);
    const { verifyRegistrationResponse } = await webauthn();
    const verification = await verifyRegistrationResponse({
      response: credential as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: this.expectedOrigins(credential.response.clientDataJSON),
      expectedRPID: this.config.webauthnRpId,
      requireUserVerification: true,
    }).catch(() => null);
    if (!verification?.verified) throw new BadRequestException(refuse('PASSKEY_INVALID', 'The authenticator’s answer could not be verified'));
    const { credential: made, credentialBackedUp } = verification.registrationInfo;
    const added = await this.passkeys.add({
      userId: caller.id,
      credentialId: made.id,
      publicKey: Buffer.from(made.publicKey),
      counter: String(made.counter),
      transports: (made.transports ?? credential.response.transports ?? []).slice(0, 8),
      name: name.trim(),
      backedUp: credentialBackedUp,
      createdAt: this.clock.now(),
    });
    if (!added) throw new ConflictException({ code: 'PASSKEY_ALREADY_REGISTERED', message: 'This passkey is already registered' });
    return toDto(added);
  }

  async rename(caller: AuthUser, id: string, name: string): Promise<PasskeyDto> {
    const renamed = await this.passkeys.rename(caller.id, id, name.trim());
    if (!renamed) throw passkeyNotFound();
    return toDto(renamed);
  }

  /** Needs the password: a passkey signs its owner in, so a stolen session must not be able to take one away. */
  async remove(caller: AuthUser, id: string, password: string): Promise<void> {
    const user = await this.usersService.getById(caller.id);
    if (!(await this.hasher.verify(user.passwordHash, password))) throw wrongPassword('That password is not right');
    if (!(await this.passkeys.remove(caller.id, id))) throw passkeyNotFound();
  }

  /** For a sign-in with a passkey alone: no credentials listed, so the browser offers those it holds for this site. */
  async signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { generateAuthenticationOptions } = await webauthn();
    const options = await generateAuthenticationOptions({ rpID: this.config.webauthnRpId, userVerification: 'required', timeout: CHALLENGE_TTL_MS });
    await this.newChallenge(options.challenge, 'login', null);
    return options;
  }

  /** A sign-in with a discoverable passkey: it names its user. Not subject to the per-account password lock. */
  async signIn(credential: AuthenticationCredentialDto, origin: SignInOrigin): Promise<IssuedTokens> {
    const challenge = challengeOf(credential);
    const refusal = (await this.spendChallenge(challenge, 'login', null)) ?? (await this.checkAssertion(credential, challenge));
    if ('code' in refusal) throw unauthorized(refusal.code, refusal.message);
    return this.authService.signInWithPasskey(refusal.userId, origin);
  }

  /** For the second step: the passkeys of the user the `mfaToken` waits for. */
  async secondStepOptions(mfaToken: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const userId = await this.totp.challengeOwner(mfaToken);
    const passkeys = await this.passkeys.ofUser(userId);
    if (passkeys.length === 0) throw passkeyNotFound('This account has no passkey; use a code from your authenticator app');
    const { generateAuthenticationOptions } = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthnRpId,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_MS,
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as never })),
    });
    await this.newChallenge(options.challenge, 'mfa', userId);
    return options;
  }

  /** The second step with a passkey of the `mfaToken`'s user, instead of a code. */
  async secondStep(mfaToken: string, credential: AuthenticationCredentialDto): Promise<IssuedTokens> {
    const challenge = challengeOf(credential);
    return this.authService.loginMfaWithPasskey(mfaToken, async (tx, userId) => {
      const result = (await this.spendChallenge(challenge, 'mfa', userId, tx)) ?? (await this.checkAssertion(credential, challenge, tx));
      if ('code' in result) return result;
      return result.userId === userId ? null : refuse('PASSKEY_UNKNOWN', 'That passkey belongs to another account');
    });
  }

  private async newChallenge(challenge: string, ceremony: PasskeyCeremony, userId: string | null): Promise<void> {
    const now = this.clock.now();
    await this.passkeys.createChallenge({ challenge, ceremony, userId, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) }, now);
  }

  /** Spends the challenge the answer signed; null when it was this server's, for this ceremony and user, and fresh. */
  private async spendChallenge(challenge: string, ceremony: PasskeyCeremony, userId: string | null, tx?: Tx): Promise<PasskeyRefusal | null> {
    const invalid = refuse('PASSKEY_CHALLENGE_INVALID', 'This passkey answer is not for a request of this server; try again');
    if (!challenge) return invalid;
    const spent = await this.passkeys.spendChallenge(challenge, ceremony, this.clock.now(), tx);
    if (spent.kind === 'used') return refuse('PASSKEY_CHALLENGE_USED', 'This passkey answer was already used; try again');
    if (spent.kind === 'unknown' || spent.userId !== userId) return invalid;
    if (spent.expiresAt <= this.clock.now()) return refuse('PASSKEY_CHALLENGE_EXPIRED', 'The passkey request took too long; try again');
    return null;
  }

  /** Verifies a sign-in answer against the stored passkey and moves its counter on; answers whose it is. */
  private async checkAssertion(credential: AuthenticationCredentialDto, challenge: string, tx?: Tx): Promise<PasskeyRefusal | { userId: string }> {
    const passkey = await this.passkeys.byCredentialId(credential.id, tx);
    const handle = credential.response.userHandle;
    if (!passkey || (handle && handle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url'))) {
      return refuse('PASSKEY_UNKNOWN', 'This passkey is not registered here (it may have been removed)');
    }
    let newCounter: number;
    try {
      const { verifyAuthenticationResponse } = await webauthn();
      const verification = await verifyAuthenticationResponse({
        response: credential as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.expectedOrigins(credential.response.clientDataJSON),
        expectedRPID: this.config.webauthnRpId,
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: Number(passkey.counter), transports: passkey.transports as never },
        requireUserVerification: true,
      });
      if (!verification.verified) return refuse('PASSKEY_INVALID', 'The passkey’s answer could not be verified');
      newCounter = verification.authenticationInfo.newCounter;
    } catch (error) {
      if (/counter value/i.test((error as Error).message)) return replayed();
      return refuse('PASSKEY_INVALID', 'The passkey’s answer could not be verified');
    }
    if (!(await this.passkeys.recordUse(passkey.id, newCounter, this.clock.now(), tx))) return replayed();
    return { userId: passkey.userId };
  }

  /**
   * The origins a ceremony may come from: WEBAUTHN_ORIGINS when set; otherwise the page's own origin
   * when it is https on the relying party's domain (or a subdomain), or http on localhost.
   */
  private expectedOrigins(clientDataJSON: string): string[] {
    if (this.config.webauthnOrigins.length > 0) return this.config.webauthnOrigins;
    const rpId = this.config.webauthnRpId;
    const origin = clientDataOf(clientDataJSON)?.origin;
    if (typeof origin !== 'string' || !URL.canParse(origin)) return [];
    const url = new URL(origin);
    const onDomain = url.hostname === rpId || url.hostname.endsWith(`.${rpId}`);
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost');
    return onDomain && secure ? [url.origin] : [];
  }
}

const replayed = () => refuse('PASSKEY_REPLAYED', 'This passkey answer was already used (its signature counter did not move on)');

const passkeyNotFound = (message = 'Passkey not found') => new NotFoundException({ code: 'PASSKEY_NOT_FOUND', message });

/** The user handle a passkey carries: the user's id as UTF-8, so a discoverable passkey names its account. */
const userHandleOf = (userId: string) => new Uint8Array(Buffer.from(userId, 'utf8'));

function clientDataOf(clientDataJSON: string): { challenge?: unknown; origin?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** The challenge the authenticator signed, as the client data carries it (base64url), or '' (none this server makes). */
function challengeOf(credential: RegistrationCredentialDto | AuthenticationCredentialDto): string {
  const challenge = clientDataOf(credential.response.clientDataJSON)?.challenge;
  return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(challenge) ? challenge : '';
}

function toDto(passkey: UserPasskey): PasskeyDto {
  return { id: passkey.id, name: passkey.name, createdAt: passkey.createdAt, lastUsedAt: passkey.lastUsedAt, backedUp: passkey.backedUp };
}
