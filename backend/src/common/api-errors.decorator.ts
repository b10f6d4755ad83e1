import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ApiErrorDto } from './api-error.dto.js';

/**
 * Documents the error responses of a route with the stable `code`s it can answer with:
 * `@ApiErrors({ 400: ['VALIDATION_FAILED'], 409: ['USERNAME_TAKEN'] })`.
 */
export function ApiErrors(codes: Record<number, string[]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(codes).map(([status, list]) =>
      ApiResponse({
        status: Number(status),
        type: ApiErrorDto,
        description: `${STATUS_CODES[Number(status)]}; code: ${list.map((code) => `\`${code}\``).join(', ')}`,
      }),
    ),
  );
}
