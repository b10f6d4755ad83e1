import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, ValidateIf } from 'class-validator';
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
  keepValidationRules();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    // What the pipe sets anyway (an error never carries the object it was found in), given here so that
    // its per-input copy of these options already has the property: added to that copy on every
    // input, it gave V8 a new hidden class each time, allocated in the old generation (docs/performance.md).
    validationError: { target: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return validationFailed(details.map((d) => d.messages.join(', ')).join('; ') || 'Invalid input', { details });
    },
  });
}

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadatas = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;
const kept = new WeakSet<MetadataStorage>();

/**
 * class-validator works a class's rules out again for every input it validates: it scans the rules of
 * every decorated class for those the class inherits, filters them and groups them by property, all of
 * it allocated anew for each input, on every route and every send (docs/performance.md). The rules are
 * fixed once the classes are loaded, so the answer is kept for each class and options, and a rule added
 * later (a class loaded later) forgets what was kept. The storage is the one global class-validator
 * keeps, shared by every pipe and validation; installing twice changes nothing.
 */
export function keepValidationRules(storage: MetadataStorage = getMetadataStorage()): void {
  if (kept.has(storage)) return;
  kept.add(storage);
  const targetRules = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const addRule = storage.addValidationMetadata.bind(storage);
  let byTarget = new WeakMap<object, Map<string, ValidationMetadatas>>();
  let grouped = new WeakMap<ValidationMetadatas, ReturnType<MetadataStorage['groupByPropertyName']>>();
  storage.addValidationMetadata = (metadata) => {
    addRule(metadata);
    byTarget = new WeakMap();
    grouped = new WeakMap();
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (typeof target !== 'function') return targetRules(target, schema, always, strictGroups, groups);
    const options = JSON.stringify([schema, always, strictGroups, groups]);
    let forTarget = byTarget.get(target);
    if (!forTarget) byTarget.set(target, (forTarget = new Map()));
    let rules = forTarget.get(options);
    if (!rules) forTarget.set(options, (rules = targetRules(target, schema, always, strictGroups, groups)));
    return rules;
  };
  // Called with what the lookup above returned, so the kept array is the key.
  storage.groupByPropertyName = (rules) => {
    let byProperty = grouped.get(rules);
    if (!byProperty) grouped.set(rules, (byProperty = group(rules)));
    return byProperty;
  };
}

/** Like @IsOptional(), but only for a missing field: an explicit null is validated (and refused) like any value. */
export const OptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

const MAX_INPUT_DEPTH = 32;

/**
 * What every input is checked for before its validation, on every way in (a route's body, query and
 * path, a socket's `message.send`): PostgreSQL cannot store U+0000 in text, so it is refused up front
 * rather than failing in SQL (where it would also fail every send batched with it); nesting deeper than
 * MAX_INPUT_DEPTH is refused before class-transformer recurses into it; and the keys a JSON parser must
 * not turn into prototypes, which Fastify's parser already refuses in a request body.
 * Walks the input without recursion, so hostile nesting cannot exhaust the stack.
 */
export function checkInput(input: unknown): void {
  const pending: [unknown, number][] = [[input, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        throw new BadRequestException({ code: 'INVALID_CHARACTERS', message: 'Text must not contain the NUL character (U+0000)' });
      }
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_INPUT_DEPTH) {
        throw validationFailed(`Input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
      }
      for (const [key, item] of Object.entries(value)) {
        if (key === '__proto__' || (key === 'constructor' && item !== null && typeof item === 'object' && 'prototype' in item)) {
          throw new BadRequestException({ code: 'INVALID_JSON', message: 'The input has a forbidden prototype property' });
        }
        pending.push([key, depth + 1], [item, depth + 1]);
      }
    }
  }
}
