import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { type SectionBase, toInteger } from './section.js';

/** How much one user, account or address may do: request rates, sign-in failures, backup size, sockets. */
export function LimitSettings<TBase extends SectionBase>(Base: TBase) {
  class LimitSettings extends Base {
    /** Calls per client IP per minute allowed to each of register, login and password change. */
    @Transform(toInteger)
    @IsInt()
    @Min(1)
    AUTH_RATE_LIMIT_PER_MINUTE = 10;

    /** Uploads one user may start per minute. */
    @Transform(toInteger)
    @IsInt()
    @Min(1)
    UPLOAD_RATE_LIMIT_PER_MINUTE = 30;

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
  }
  return LimitSettings;
}
