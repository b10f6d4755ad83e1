/** Why a file was refused while typing or processing it; errors.ts turns it into the API's error. */
export class MediaError extends Error {
  constructor(
    readonly reason: 'NOT_AN_IMAGE' | 'INVALID_IMAGE' | 'IMAGE_TOO_LARGE' | 'UNSUPPORTED_IMAGE' | 'INVALID_VIDEO' | 'QUEUE_FULL' | 'BUSY',
    message: string,
  ) {
    super(message);
  }
}
