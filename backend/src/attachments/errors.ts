import {
  BadRequestException,
  HttpException,
  HttpStatus,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { MediaError } from './media-error.js';

export type AttachmentsErrorCode =
  | 'ATTACHMENT_NOT_FOUND'
  | 'EMPTY_FILE'
  | 'FILE_TOO_LARGE'
  | 'MULTIPART_REQUIRED'
  | 'TOO_MANY_PARTS'
  | 'INVALID_MULTIPART'
  | 'FILE_REQUIRED'
  | 'STORAGE_UNAVAILABLE'
  | 'SERVER_BUSY'
  | 'IMAGE_QUEUE_FULL';

export const attachmentNotFound = () => new NotFoundException({ code: 'ATTACHMENT_NOT_FOUND', message: 'Attachment not found' });
export const emptyFile = () => new BadRequestException({ code: 'EMPTY_FILE', message: 'The file is empty' });
export const storageUnavailable = () =>
  new ServiceUnavailableException({ code: 'STORAGE_UNAVAILABLE', message: 'The file could not be stored; try again later' });
export const unreadableUpload = () => new BadRequestException({ code: 'INVALID_MULTIPART', message: 'The upload could not be read' });
export const fileRequired = () => new BadRequestException({ code: 'FILE_REQUIRED', message: 'Send the file in a form field named "file"' });
export const notAnImage = () =>
  new UnsupportedMediaTypeException({ code: 'NOT_AN_IMAGE', message: 'A profile picture must be an image (JPEG, PNG, WebP, GIF, AVIF or TIFF)' });
export const accountGone = () => new UnauthorizedException({ code: 'UNAUTHORIZED', message: 'The account no longer exists' });
const malformedMultipart = () => new BadRequestException({ code: 'INVALID_MULTIPART', message: 'The multipart body is malformed or incomplete' });

export function fileTooLarge(maxMb: number): PayloadTooLargeException {
  return new PayloadTooLargeException({ code: 'FILE_TOO_LARGE', message: `Files may be at most ${maxMb} MB` });
}

/** @fastify/multipart's and busboy's errors as the API's 4xx errors; null for anything else. */
export function multipartError(error: unknown): Error | null {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLargeException({ code: 'FILE_TOO_LARGE', message: (error as Error).message });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new UnsupportedMediaTypeException({ code: 'MULTIPART_REQUIRED', message: 'Send the file as multipart/form-data' });
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new BadRequestException({ code: 'TOO_MANY_PARTS', message: 'Send exactly one file per upload' });
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
      return malformedMultipart();
  }
  // @fastify/busboy reports a malformed body with plain Errors.
  if (
    error instanceof Error &&
    /^(Unexpected end of (multipart data|form)|Part terminated early|Malformed|Multipart: Boundary not found|The needle|.*bigger than 256)/.test(error.message)
  ) {
    return malformedMultipart();
  }
  return null;
}

/** A MediaError as the API's error; anything else is thrown as it is. */
export function mediaHttpError(error: unknown): never {
  if (!(error instanceof MediaError)) throw error;
  if (error.reason === 'IMAGE_TOO_LARGE') throw new PayloadTooLargeException({ code: error.reason, message: error.message });
  if (error.reason === 'QUEUE_FULL') throw new HttpException({ code: 'IMAGE_QUEUE_FULL', message: error.message }, HttpStatus.TOO_MANY_REQUESTS);
  if (error.reason === 'BUSY') throw new ServiceUnavailableException({ code: 'SERVER_BUSY', message: error.message });
  throw new UnsupportedMediaTypeException({ code: error.reason, message: error.message });
}
