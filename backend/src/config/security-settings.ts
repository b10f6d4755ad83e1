import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { type SectionBase, toBoolean, toInteger } from './section.js';

export const DEFAULT_JWT_SECRET = 'dev-only-insecure-jwt-secret-change-me';

/** Sign-in and sessions: tokens, cookies, the first admin, passkeys, and which origins may call the API. */
export function SecuritySettings<TBase extends SectionBase<{ readonly isProduction: boolean }>>(Base: TBase) {
  class SecuritySettings extends Base {
    @IsString()
    @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
    JWT_SECRET = DEFAULT_JWT_SECRET;

    @Transform(toInteger)
    @IsInt()
    @Min(60)
    @Max(86400)
    JWT_ACCESS_TTL_SECONDS = 900;

    @Transform(toInteger)
    @IsInt()
    @Min(1)
    @Max(365)
    REFRESH_TOKEN_TTL_DAYS = 30;

    @IsOptional()
    @Transform(toBoolean)
    @IsBoolean()
    COOKIE_SECURE?: boolean;

    /** The first admin, created at boot if no user has this name; never changed afterwards. */
    @IsOptional()
    @Matches(/^[A-Za-z0-9_.]{3,32}$/, { message: 'ADMIN_USERNAME must be 3-32 letters, digits, _ or .' })
    ADMIN_USERNAME?: string;

    @IsOptional()
    @IsString()
    @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
    ADMIN_PASSWORD?: string;

    /** Whether admins must turn on two-factor authentication before the admin routes answer them. */
    @Transform(toBoolean)
    @IsBoolean()
    REQUIRE_ADMIN_2FA = false;

    /**
     * Comma-separated origins (scheme://host[:port]) whose pages may call the API and the socket from the
     * browser. Unset: none, so only the origin that serves the web client can.
     */
    @IsOptional()
    @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
      message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://chat.example.com',
    })
    CORS_ORIGINS?: string;

    /**
     * The passkeys' relying party: the domain passkeys are made for (the web client's host or a parent
     * of it). Unset: the host of the first WEBAUTHN_ORIGINS entry, else `localhost`.
     */
    @IsOptional()
    @Matches(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, { message: 'WEBAUTHN_RP_ID must be a domain name such as chat.example.com' })
    WEBAUTHN_RP_ID?: string;

    /** The name a browser shows when it offers to save a passkey for this server. */
    @IsString()
    @MinLength(1)
    WEBAUTHN_RP_NAME = 'Iris';

    /**
     * Comma-separated origins whose pages may make and use passkeys. Unset: any https:// page on the
     * relying party's domain (or a subdomain of it), and http:// pages only when that is `localhost`.
     */
    @IsOptional()
    @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
      message: 'WEBAUTHN_ORIGINS must be a comma-separated list of origins such as https://chat.example.com',
    })
    WEBAUTHN_ORIGINS?: string;

    get cookieSecure(): boolean {
      return this.COOKIE_SECURE ?? this.isProduction;
    }

    get webauthnOrigins(): string[] {
      return (this.WEBAUTHN_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== '');
    }

    get webauthnRpId(): string {
      return this.WEBAUTHN_RP_ID ?? (this.webauthnOrigins[0] ? new URL(this.webauthnOrigins[0]).hostname : 'localhost');
    }

    get corsOrigins(): string[] {
      return (this.CORS_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== '');
    }
  }
  return SecuritySettings;
}
