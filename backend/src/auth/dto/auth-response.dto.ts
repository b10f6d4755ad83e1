import { UserDto } from '../../users/dto/user.dto.js';

export class AuthResponseDto {
  /** Bearer token for the API and the socket handshake. */
  accessToken: string;
  /**
   * Single-use refresh token. Browsers (requests with `Sec-Fetch-Site` and `Sec-Fetch-Dest`) get null here and receive it
   * only as an httpOnly cookie; other clients get it here as well.
   */
  refreshToken: string | null;
  /** Seconds until `accessToken` expires. */
  expiresIn: number;
  user: UserDto;
}
