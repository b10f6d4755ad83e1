import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { type SectionBase, toBoolean } from './section.js';

/** Web Push: the server's VAPID identity and the push services it may POST to. */
export function PushSettings<TBase extends SectionBase>(Base: TBase) {
  class PushSettings extends Base {
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

    get pushEndpointHosts(): string[] {
      return this.PUSH_ENDPOINT_HOSTS.split(',')
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host !== '');
    }
  }
  return PushSettings;
}
