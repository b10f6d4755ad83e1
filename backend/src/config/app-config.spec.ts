import { ConfigError, DEFAULT_JWT_SECRET, loadConfig } from './app-config.js';

const SECRET_40 = 'a'.repeat(40);

function loadError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('uses the development defaults when nothing is set', () => {
    const sut = loadConfig({});

    expect(sut).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3000,
      JWT_SECRET: DEFAULT_JWT_SECRET,
      JWT_ACCESS_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      AUTH_RATE_LIMIT_PER_MINUTE: 10,
      TRUST_PROXY: false,
      LOG_LEVEL: 'info',
      E2EE_DEFAULT: true,
    });
    expect(sut.isProduction).toBe(false);
    expect(sut.cookieSecure).toBe(false);
    expect(sut.swaggerEnabled).toBe(true);
    expect(sut.databaseUrl).toBe('pglite://./data/db');
  });

  it('treats empty and undefined variables as unset', () => {
    expect(loadConfig({ PORT: '', JWT_SECRET: undefined }).PORT).toBe(3000);
  });

  it('ignores unrelated variables', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });

  it('refuses production without a JWT_SECRET of its own', () => {
    const error = loadError({ NODE_ENV: 'production' });

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([expect.stringContaining('JWT_SECRET')]);
    expect(error.message).toContain('JWT_SECRET');
  });

  it('refuses production with the published development secret set explicitly', () => {
    expect(loadError({ NODE_ENV: 'production', JWT_SECRET: DEFAULT_JWT_SECRET }).problems).toEqual([
      expect.stringContaining('JWT_SECRET'),
    ]);
  });

  it('accepts production with a 40-character secret and turns on its defaults', () => {
    const sut = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_40 });

    expect(sut.JWT_SECRET).toBe(SECRET_40);
    expect(sut.isProduction).toBe(true);
    expect(sut.cookieSecure).toBe(true);
    expect(sut.swaggerEnabled).toBe(false);
  });

  it('refuses a JWT_SECRET shorter than 32 characters', () => {
    expect(loadError({ JWT_SECRET: 'a'.repeat(31) }).problems).toContain(
      'JWT_SECRET: JWT_SECRET must be at least 32 characters',
    );
  });

  it('parses integers', () => {
    expect(loadConfig({ PORT: '8080', JWT_ACCESS_TTL_SECONDS: '600' })).toMatchObject({ PORT: 8080, JWT_ACCESS_TTL_SECONDS: 600 });
  });

  it('refuses a PORT that is not a number', () => {
    const error = loadError({ PORT: 'abc' });

    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems.every((problem) => problem.startsWith('PORT: '))).toBe(true);
  });

  it('refuses a PORT out of range', () => {
    expect(loadError({ PORT: '70000' }).problems).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('refuses a DATABASE_URL that is not PostgreSQL or PGlite', () => {
    expect(loadError({ DATABASE_URL: 'mysql://x' }).problems).toEqual([
      'DATABASE_URL: DATABASE_URL must start with postgres://, postgresql:// or pglite://',
    ]);
  });

  it.each(['postgres://iris@db/iris', 'postgresql://iris@db/iris', 'pglite://memory'])('accepts DATABASE_URL %s', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('defaults the real-time settings and refuses a Redis key prefix with spaces or a non-Redis URL', () => {
    expect(loadConfig({})).toMatchObject({ REDIS_KEY_PREFIX: 'iris:', SOCKET_MAX_PAYLOAD_BYTES: 16_384, SOCKET_EVENTS_PER_10_SECONDS: 50 });
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', REDIS_KEY_PREFIX: 'iris-eu:' })).toMatchObject({ REDIS_KEY_PREFIX: 'iris-eu:' });
    expect(loadError({ REDIS_KEY_PREFIX: 'iris prod' }).problems).toEqual([expect.stringMatching(/^REDIS_KEY_PREFIX: /)]);
    expect(loadError({ REDIS_URL: 'http://cache' }).problems).toEqual([expect.stringMatching(/^REDIS_URL: /)]);
  });

  it('reads the media and push settings and checks the variables that go together', () => {
    const sut = loadConfig({ MAX_UPLOAD_MB: '2', PUSH_ENDPOINT_HOSTS: ' Push.Example.com ,fcm.googleapis.com', SEARCH_RATE_LIMIT_PER_MINUTE: '5' });

    expect(sut.maxUploadBytes).toBe(2 * 1024 * 1024);
    expect(sut.pushEndpointHosts).toEqual(['push.example.com', 'fcm.googleapis.com']);
    expect(sut.SEARCH_RATE_LIMIT_PER_MINUTE).toBe(5);
    expect(loadError({ VAPID_PUBLIC_KEY: 'a'.repeat(87) }).problems).toEqual(['VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither']);
    expect(loadError({ S3_ENDPOINT: 'http://minio:9000', S3_BUCKET: 'iris' }).problems).toEqual([
      'S3_ACCESS_KEY: is required when S3_ENDPOINT is set',
      'S3_SECRET_KEY: is required when S3_ENDPOINT is set',
    ]);
  });

  it('reads WORKERS as a whole number of at least 1, unset by default', () => {
    expect(loadConfig({}).WORKERS).toBeUndefined();
    expect(loadConfig({ WORKERS: '2' }).WORKERS).toBe(2);
    expect(loadError({ WORKERS: '0' }).problems).toEqual([expect.stringMatching(/^WORKERS: /)]);
  });

  it("parses 'true' and 'false' as booleans", () => {
    const sut = loadConfig({ TRUST_PROXY: 'true', COOKIE_SECURE: 'false', SWAGGER_ENABLED: 'TRUE' });

    expect(sut.TRUST_PROXY).toBe(true);
    expect(sut.COOKIE_SECURE).toBe(false);
    expect(sut.SWAGGER_ENABLED).toBe(true);
  });

  it('reads E2EE_DEFAULT as a boolean and refuses anything else', () => {
    expect(loadConfig({ E2EE_DEFAULT: 'false' }).E2EE_DEFAULT).toBe(false);
    expect(loadConfig({ E2EE_DEFAULT: '1' }).E2EE_DEFAULT).toBe(true);
    expect(loadError({ E2EE_DEFAULT: 'sometimes' }).problems).toEqual([expect.stringMatching(/^E2EE_DEFAULT: /)]);
  });

  it('lets COOKIE_SECURE=false override the production default', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_40, COOKIE_SECURE: 'false' }).cookieSecure).toBe(false);
  });

  it('refuses a boolean it cannot read', () => {
    expect(loadError({ TRUST_PROXY: 'maybe' }).problems).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
  });

  it('lists every problem at once', () => {
    const error = loadError({ NODE_ENV: 'staging', PORT: 'abc', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', LOG_LEVEL: 'loud' });

    const properties = new Set(error.problems.map((problem) => problem.split(':')[0]));
    expect([...properties].sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'NODE_ENV', 'PORT']);
    for (const property of properties) expect(error.message).toContain(`  - ${property}: `);
  });
});
