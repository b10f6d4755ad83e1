import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ApiErrorDto } from './api-error.dto.js';

/**
 * Documents the error responses of a route with the stable `code`s it can answer with:
 * `@ApiErrors({ 400: ['VALIDATION_FAILED'], 409: ['USERNAME_TAKEN'] })`.
 */
export function ApiErrors(codes: Record<number, string[]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ApiErrorDto),
    ...Object.entries(codes).map(([status, list]) =>
      ApiResponse({
        status: Number(status),
        description: `${STATUS_CODES[Number(status)]}; code: ${list.map((code) => `\`${code}\``).join(', ')}`,
        // Always JSON, also on routes that produce something else (downloads) when they succeed.
        content: { 'application/json': { schema: { $ref: getSchemaPath(ApiErrorDto) } } },
      }),
    ),
  );
}
