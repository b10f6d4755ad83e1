/** The end-to-end encryption device of a session. */
export class SessionE2eeDto {
  /** The device id other devices know it by (the session's id). */
  deviceId: string;
  /** Whether the user has verified this device with cross-signing. */
  verified: boolean;
}

/** One place where the user is signed in. */
export class SessionDto {
  id: string;
  /** Whether this is the session of the access token that asked. */
  current: boolean;
  /** The browser and system, read from the User-Agent at sign-in ("Firefox on Linux"). */
  deviceName: string;
  /** The address the sign-in came from, as the server saw it; null when not known. */
  ip: string | null;
  createdAt: Date;
  /** The sign-in or the last token refresh (every few minutes while the app is open). */
  lastActiveAt: Date;
  /** The session's end-to-end encryption device, once it has uploaded its keys. */
  e2ee: SessionE2eeDto | null;
}

export class SessionListDto {
  items: SessionDto[];
}

export class RevokedSessionsDto {
  /** How many sessions were ended. */
  revoked: number;
}

/** Socket event `session.created`: the user signed in somewhere else. */
export class SessionCreatedEventDto {
  id: string;
  deviceName: string;
  ip: string | null;
  createdAt: Date;
}
