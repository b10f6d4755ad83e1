import { BadRequestException, NotFoundException } from '@nestjs/common';

export type PushErrorCode = 'INVALID_PUSH_ENDPOINT' | 'INVALID_PUSH_KEYS' | 'PUSH_SUBSCRIPTION_NOT_FOUND';

export const invalidPushEndpoint = () =>
  new BadRequestException({ code: 'INVALID_PUSH_ENDPOINT', message: 'The endpoint is not a push service this server sends to' });
export const invalidPushKeys = () =>
  new BadRequestException({ code: 'INVALID_PUSH_KEYS', message: 'keys.p256dh must be a P-256 public key and keys.auth 16 bytes' });
export const pushSubscriptionNotFound = () =>
  new NotFoundException({ code: 'PUSH_SUBSCRIPTION_NOT_FOUND', message: 'You have no push subscription with this endpoint' });
