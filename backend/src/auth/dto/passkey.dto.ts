import { Type } from 'class-transformer';
import { Allow, IsArray, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const base64url = (field: string) => Matches(BASE64URL, { message: `${field} must be base64url` });
/** Large enough for any real authenticator's answer (an attestation with a certificate chain), and no more. */
const MAX_PART = 16_384;

/** A registered passkey as its owner sees it; never its key material. */
export class PasskeyDto {
  id: string;
  /** The owner's name for it. */
  name: string;
  createdAt: Date;
  /** The last sign-in (or second step) it made; null when it was never used. */
  lastUsedAt: Date | null;
  /** Whether it is synced between devices and backed up (iCloud Keychain, Google Password Manager ...). */
  backedUp: boolean;
}

export class PasskeyListDto {
  items: PasskeyDto[];
}

/** A credential the browser should not register again, or may use, as WebAuthn options name it. */
export class PasskeyDescriptorDto {
  /** The credential id, base64url. */
  id: string;
  type: 'public-key';
  /** 'internal', 'hybrid', 'usb', 'nfc', 'ble' ... */
  transports?: string[];
}

export class PasskeyRelyingPartyDto {
  id?: string;
  name: string;
}

export class PasskeyUserEntityDto {
  /** base64url */
  id: string;
  name: string;
  displayName: string;
}

export class PasskeyPubKeyParamDto {
  type: 'public-key';
  /** A COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256. */
  alg: number;
}

export class PasskeyAuthenticatorSelectionDto {
  residentKey?: 'discouraged' | 'preferred' | 'required';
  requireResidentKey?: boolean;
  userVerification?: 'discouraged' | 'preferred' | 'required';
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/** `PublicKeyCredentialCreationOptionsJSON`: hand it to `startRegistration({ optionsJSON })`. */
export class PasskeyRegistrationOptionsDto {
  /** base64url; single use, valid for 5 minutes. */
  challenge: string;
  rp: PasskeyRelyingPartyDto;
  user: PasskeyUserEntityDto;
  pubKeyCredParams: PasskeyPubKeyParamDto[];
  timeout?: number;
  /** The caller's passkeys already registered, so the same authenticator is not added twice. */
  excludeCredentials?: PasskeyDescriptorDto[];
  authenticatorSelection?: PasskeyAuthenticatorSelectionDto;
  attestation?: 'none' | 'direct' | 'enterprise' | 'indirect';
  /** WebAuthn extensions; none are asked for except `credProps`. */
  extensions?: object;
  hints?: string[];
}

/** `PublicKeyCredentialRequestOptionsJSON`: hand it to `startAuthentication({ optionsJSON })`. */
export class PasskeyAuthenticationOptionsDto {
  /** base64url; single use, valid for 5 minutes. */
  challenge: string;
  timeout?: number;
  rpId?: string;
  /** Empty for a sign-in with a passkey alone (the browser offers the passkeys it holds for this site). */
  allowCredentials?: PasskeyDescriptorDto[];
  userVerification?: 'discouraged' | 'preferred' | 'required';
  extensions?: object;
  hints?: string[];
}

/** The authenticator's part of a registration, as `startRegistration()` returns it. */
export class AttestationPartsDto {
  @IsString() @MaxLength(MAX_PART) @base64url('response.clientDataJSON')
  clientDataJSON: string;

  @IsString() @MaxLength(MAX_PART) @base64url('response.attestationObject')
  attestationObject: string;

  @IsOptional() @IsString() @MaxLength(MAX_PART) @base64url('response.authenticatorData')
  authenticatorData?: string;

  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(32, { each: true })
  transports?: string[];

  @Allow()
  publicKeyAlgorithm?: number;

  @IsOptional() @IsString() @MaxLength(MAX_PART) @base64url('response.publicKey')
  publicKey?: string;
}

/** The authenticator's part of a sign-in, as `startAuthentication()` returns it. */
export class AssertionPartsDto {
  @IsString() @MaxLength(MAX_PART) @base64url('response.clientDataJSON')
  clientDataJSON: string;

  @IsString() @MaxLength(MAX_PART) @base64url('response.authenticatorData')
  authenticatorData: string;

  @IsString() @MaxLength(MAX_PART) @base64url('response.signature')
  signature: string;

  /** The user id the passkey was made for: always there for a discoverable passkey. */
  @IsOptional() @IsString() @MaxLength(512) @base64url('response.userHandle')
  userHandle?: string;
}

/** What every `PublicKeyCredential` answer carries besides its response. */
class CredentialDto {
  @IsString() @MinLength(1) @MaxLength(1400) @base64url('id')
  id: string;

  @IsString() @MinLength(1) @MaxLength(1400) @base64url('rawId')
  rawId: string;

  @IsIn(['public-key'])
  type: 'public-key';

  /** Sent by browsers; no extension is acted on. */
  @IsOptional() @IsObject()
  clientExtensionResults?: Record<string, unknown>;

  @IsOptional() @IsIn(['platform', 'cross-platform'])
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

export class RegistrationCredentialDto extends CredentialDto {
  @IsObject() @ValidateNested() @Type(() => AttestationPartsDto)
  response: AttestationPartsDto;
}

export class AuthenticationCredentialDto extends CredentialDto {
  @IsObject() @ValidateNested() @Type(() => AssertionPartsDto)
  response: AssertionPartsDto;
}

export class RegisterPasskeyDto {
  /** A name to tell it apart in the list ("Phone", "Work laptop"), 1-64 characters. */
  @IsString() @Matches(/\S/, { message: 'name must not be blank' }) @MaxLength(64)
  name: string;

  @IsObject() @ValidateNested() @Type(() => RegistrationCredentialDto)
  credential: RegistrationCredentialDto;
}

export class RenamePasskeyDto {
  @IsString() @Matches(/\S/, { message: 'name must not be blank' }) @MaxLength(64)
  name: string;
}

export class RemovePasskeyDto {
  /** The account password: a passkey signs its owner in, so taking one away needs more than a stolen session. */
  @IsString() @MinLength(1) @MaxLength(1024)
  password: string;
}

export class PasskeySignInDto {
  @IsObject() @ValidateNested() @Type(() => AuthenticationCredentialDto)
  credential: AuthenticationCredentialDto;
}

export class PasskeyMfaOptionsDto {
  /** The token `POST /api/auth/login` answered with `mfaRequired: true`. */
  @IsString() @MinLength(1) @MaxLength(128)
  mfaToken: string;
}

export class PasskeyMfaDto extends PasskeySignInDto {
  /** The token `POST /api/auth/login` answered with `mfaRequired: true`. */
  @IsString() @MinLength(1) @MaxLength(128)
  mfaToken: string;
}
