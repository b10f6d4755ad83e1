import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { toBoolean, toInteger } from './section.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the server runs: where it listens, its database and Redis, its processes, logs and background sweep. */
export class ServerSettings {
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

  @Transform(toBoolean)
  @IsBoolean()
  TRUST_PROXY = false;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  SWAGGER_ENABLED?: boolean;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Whether a new conversation is end-to-end encrypted when the client that opens it does not say. */
  @Transform(toBoolean)
  @IsBoolean()
  E2EE_DEFAULT = true;

  /** redis://… turns on the Socket.IO Redis adapter and shared presence, for several instances. */
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  /** Prefix of every Redis key and channel Iris uses, so several deployments (or test runs) can share one Redis. */
  @Matches(/^[A-Za-z0-9:._-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 : . _ -' })
  REDIS_KEY_PREFIX = 'iris:';

  /** Where the server keeps what it generates for itself (the VAPID key pair). */
  @IsString()
  DATA_DIR = './data';

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

  get swaggerEnabled(): boolean {
    return this.SWAGGER_ENABLED ?? !this.isProduction;
  }

  get databaseUrl(): string {
    return this.DATABASE_URL ?? 'pglite://./data/db';
  }

  /** Whether the server runs on the embedded database (PGlite) in its own process. */
  get embeddedDatabase(): boolean {
    return this.databaseUrl.startsWith('pglite://');
  }
}
