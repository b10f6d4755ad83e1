import { e2eeFunctions } from './e2ee-functions.js';
import { messagingFunctions } from './messaging-functions.js';
import { profileFunctions } from './profile-functions.js';

/**
 * The database functions, as they should be: the one source of their text. A migration applies them
 * (CREATE OR REPLACE); `npm run migration:check` and test/database.e2e-spec.ts fail when a migrated
 * database holds other definitions, and `npm run migration:generate` writes the migration that brings
 * it in line. Listed in creation order: a LANGUAGE sql body is checked against what exists already.
 */
export interface SchemaFunction {
  /** The name and argument types, as DROP FUNCTION takes them. */
  readonly signature: string;
  readonly sql: string;
}

/** In creation order; each group's file holds its functions' texts and the rules they keep. */
export const schemaFunctions: readonly SchemaFunction[] = [...messagingFunctions, ...e2eeFunctions, ...profileFunctions];
