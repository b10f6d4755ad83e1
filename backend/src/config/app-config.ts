import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { LimitSettings } from './limit-settings.js';
import { MediaSettings } from './media-settings.js';
import { PushSettings } from './push-settings.js';
import { DEFAULT_JWT_SECRET, SecuritySettings } from './security-settings.js';
import { ServerSettings } from './server-settings.js';

export { DEFAULT_JWT_SECRET } from './security-settings.js';
export type { LogLevel } from './server-settings.js';

/**
 * Every environment variable Iris reads, one flat object (`config.PORT`) made of its sections, each in
 * its own file. `.env.example` documents each one.
 */
export class AppConfig extends PushSettings(MediaSettings(LimitSettings(SecuritySettings(ServerSettings)))) {}

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
