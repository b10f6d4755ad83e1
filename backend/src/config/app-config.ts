import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

export const DEFAULT_JWT_SECRET = 'dev-only-insecure-jwt-secret-change-me';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  return value;
};

const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** Every environment variable Iris reads. `.env.example` documents each one. */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** postgres://… for PostgreSQL; pglite://PATH (or unset) for the embedded database; pglite://memory for a throwaway one. */
  @IsOptional()
  @Matches(/^(postgres|postgresql|pglite):\/\/.+/, {
    message: 'DATABASE_URL must start with postgres://, postgresql:// or pglite://',
  })
  DATABASE_URL?: string;

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

  /** Calls per client IP per minute allowed to each of register, login and password change. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  AUTH_RATE_LIMIT_PER_MINUTE = 10;

  /** Seconds between runs of the disappearing-message sweep; 0 turns it off on this instance. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(3600)
  EXPIRY_SWEEP_INTERVAL_SECONDS = 10;

  /** Rows the sweep deletes per statement. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(100_000)
  EXPIRY_SWEEP_BATCH_SIZE = 20_000;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  COOKIE_SECURE?: boolean;

  @Transform(toBoolean)
  @IsBoolean()
  TRUST_PROXY = false;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  SWAGGER_ENABLED?: boolean;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** The first admin, created at boot if no user has this name; never changed afterwards. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.]{3,32}$/, { message: 'ADMIN_USERNAME must be 3-32 letters, digits, _ or .' })
  ADMIN_USERNAME?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;

  /** Uploads one user may start per minute. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  UPLOAD_RATE_LIMIT_PER_MINUTE = 30;

  /** Whether admins must turn on two-factor authentication before the admin routes answer them. */
  @Transform(toBoolean)
  @IsBoolean()
  REQUIRE_ADMIN_2FA = false;

  /** Failed sign-ins for one account (from any address) before it refuses passwords for a while. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  LOGIN_FAILURES_PER_ACCOUNT = 10;

  /**
   * Bytes of encrypted Megolm sessions one key backup may hold (ephemeral + ciphertext + mac of each);
   * beyond it an upload answers 409 BACKUP_FULL. 64 MiB: tens of thousands of sessions at their usual size.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  KEY_BACKUP_MAX_BYTES = 64 * 1024 * 1024;

  /** User searches one user may run per minute. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  SEARCH_RATE_LIMIT_PER_MINUTE = 60;

  /** Friend requests one user may send per hour. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  FRIEND_REQUEST_RATE_LIMIT_PER_HOUR = 30;

  /** Messages one user may send per minute (retries with the same clientId count too). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  SEND_RATE_LIMIT_PER_MINUTE = 120;

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

  /** Whether a new conversation is end-to-end encrypted when the client that opens it does not say. */
  @Transform(toBoolean)
  @IsBoolean()
  E2EE_DEFAULT = true;

  /** Largest upload in MiB; enforced while the file streams in. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(2048)
  MAX_UPLOAD_MB = 50;

  /** Directory of the local storage driver (used when S3_ENDPOINT is unset). */
  @IsString()
  UPLOAD_DIR = './data/uploads';

  /** S3-compatible storage (AWS S3, MinIO, …); setting S3_ENDPOINT turns it on and requires the bucket and keys. */
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'S3_ENDPOINT must be an http:// or https:// URL' })
  S3_ENDPOINT?: string;

  @IsOptional()
  @IsString()
  S3_BUCKET?: string;

  @IsOptional()
  @IsString()
  S3_ACCESS_KEY?: string;

  @IsOptional()
  @IsString()
  S3_SECRET_KEY?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  /** Path-style bucket addressing (http://host/bucket/key), which MinIO needs. */
  @Transform(toBoolean)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = true;

  /** redis://… turns on the Socket.IO Redis adapter and shared presence, for several instances. */
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  /** Prefix of every Redis key and channel Iris uses, so several deployments (or test runs) can share one Redis. */
  @Matches(/^[A-Za-z0-9:._-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 : . _ -' })
  REDIS_KEY_PREFIX = 'iris:';

  /** Web Push (VAPID) key pair, base64url; unset, a pair is generated once into DATA_DIR/vapid.json. Set both or neither. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{87}$/, { message: 'VAPID_PUBLIC_KEY must be an unpadded base64url P-256 public key (87 characters)' })
  VAPID_PUBLIC_KEY?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'VAPID_PRIVATE_KEY must be an unpadded base64url P-256 private key (43 characters)' })
  VAPID_PRIVATE_KEY?: string;

  /** Who push services contact about this server's pushes: a mailto: or https: URL. */
  @Matches(/^(mailto:.+|https:\/\/.+)$/, { message: 'VAPID_SUBJECT must be a mailto: or https: URL' })
  VAPID_SUBJECT = 'mailto:admin@iris.invalid';

  /** Where the server keeps what it generates for itself (the VAPID key pair). */
  @IsString()
  DATA_DIR = './data';

  /**
   * Hosts a push subscription's endpoint may point at (a name matches itself and its subdomains), so that
   * the server never POSTs to an address a user made up; the browsers' push services by default.
   */
  @Matches(/^\s*[A-Za-z0-9.-]+\s*(,\s*[A-Za-z0-9.-]+\s*)*$/, { message: 'PUSH_ENDPOINT_HOSTS must be a comma-separated list of host names' })
  PUSH_ENDPOINT_HOSTS = 'fcm.googleapis.com,push.services.mozilla.com,notify.windows.com,push.apple.com';

  /** Accept http:// push endpoints (a push service on the local network); https:// only otherwise. */
  @Transform(toBoolean)
  @IsBoolean()
  PUSH_ENDPOINT_ALLOW_HTTP = false;

  /** Largest Socket.IO message a client may send, in bytes. */
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  @Max(10_000_000)
  SOCKET_MAX_PAYLOAD_BYTES = 16_384;

  /** Sockets one user may hold open on all instances together; a new one beyond this closes the oldest. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  SOCKETS_PER_USER = 20;

  /** Sockets one client address may hold open on one instance; more are refused. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  SOCKETS_PER_IP = 200;

  /** Socket handshakes one client address may start per minute (on all instances with REDIS_URL). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  SOCKET_CONNECTS_PER_MINUTE = 60;

  /** Events one socket may send per 10 seconds before further ones are dropped with an error. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  SOCKET_EVENTS_PER_10_SECONDS = 50;

  /**
   * Server processes on the one port (node:cluster); unset: one per core. Always 1 on the embedded
   * database (PGlite), which lives in one process.
   */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKERS?: number;

  /**
   * How long a stop (SIGTERM, SIGINT) may take: in-flight requests finish, kept-alive connections are
   * told to close, sockets to reconnect elsewhere; whatever is still open then is cut and the process exits.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  get cookieSecure(): boolean {
    return this.COOKIE_SECURE ?? this.isProduction;
  }

  get swaggerEnabled(): boolean {
    return this.SWAGGER_ENABLED ?? !this.isProduction;
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

  get maxUploadBytes(): number {
    return this.MAX_UPLOAD_MB * 1024 * 1024;
  }

  get pushEndpointHosts(): string[] {
    return this.PUSH_ENDPOINT_HOSTS.split(',')
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host !== '');
  }

  get databaseUrl(): string {
    return this.DATABASE_URL ?? 'pglite://./data/db';
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads and validates the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const input = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const config = plainToInstance(AppConfig, input);
  const problems = validateSync(config, { whitelist: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => `${error.property}: ${message}`),
  );
  if (config.isProduction && config.JWT_SECRET === DEFAULT_JWT_SECRET) {
    problems.push('JWT_SECRET: must be set to a secret of your own in production (e.g. `openssl rand -base64 48`)');
  }
  if (Boolean(config.ADMIN_USERNAME) !== Boolean(config.ADMIN_PASSWORD)) {
    problems.push('ADMIN_USERNAME and ADMIN_PASSWORD: set both or neither');
  }
  if (config.isProduction && config.ADMIN_PASSWORD && config.ADMIN_PASSWORD.length < 12) {
    problems.push('ADMIN_PASSWORD: must be at least 12 characters in production');
  }
  if (Boolean(config.VAPID_PUBLIC_KEY) !== Boolean(config.VAPID_PRIVATE_KEY)) {
    problems.push('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither');
  }
  if (config.S3_ENDPOINT) {
    for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
      if (!config[name]) problems.push(`${name}: is required when S3_ENDPOINT is set`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
