import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import type { FieldErrorDto } from './api-error.dto.js';
import { validationFailed } from './errors.js';

function flatten(errors: ValidationError[], prefix = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return validationFailed(details.map((d) => d.messages.join(', ')).join('; ') || 'Invalid input', { details });
    },
  });
}

/** Like @IsOptional(), but only for a missing field: an explicit null is validated (and refused) like any value. */
export const OptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);
