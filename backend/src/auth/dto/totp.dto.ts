import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class TotpSetupDto {
  /** The base32 secret, for typing into an authenticator app by hand. */
  secret: string;
  /** The `otpauth://totp/...` URL a QR code carries. */
  otpauthUrl: string;
}

export class EnableTotpDto {
  /** The six digits the authenticator app shows now. */
  @Matches(/^\d{6}$/, { message: 'code must be six digits' })
  code: string;

  /** The account's current password: a signed-in session alone cannot turn two-factor authentication on. */
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}

export class RecoveryCodesDto {
  /** Ten single-use codes that stand in for the authenticator; shown this once. */
  recoveryCodes: string[];
}

export class DisableTotpDto {
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;

  /** Six digits from the authenticator, or a recovery code. */
  @IsString()
  @MinLength(6)
  @MaxLength(32)
  code: string;
}

export class TwoFactorStatusDto {
  /** Whether sign-in asks for a TOTP code after the password. */
  totpEnabled: boolean;
  /** Unused recovery codes. */
  recoveryCodesLeft: number;
  /** Whether this server requires the caller to turn two-factor authentication on (REQUIRE_ADMIN_2FA for admins). */
  required: boolean;
}

export class LoginMfaDto {
  /** The token `POST /api/auth/login` answered with `mfaRequired: true`. */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  mfaToken: string;

  /** Six digits from the authenticator (or a recovery code); send this or `recoveryCode`. */
  @IsOptional()
  @IsString()
  @MinLength(6)
  @MaxLength(32)
  code?: string;

  /** One of the recovery codes given when two-factor authentication was turned on. */
  @IsOptional()
  @IsString()
  @MinLength(6)
  @MaxLength(32)
  recoveryCode?: string;
}

/** The answer to a correct password when two-factor authentication is on: no tokens yet. */
export class MfaRequiredDto {
  mfaRequired: true;
  /** Short-lived (5 minutes) and single use: send it with the code to `POST /api/auth/login/mfa`. */
  mfaToken: string;
}
