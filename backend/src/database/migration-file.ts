import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A migration class running `up` and `down`, as migration:generate writes it. */
export function renderMigration(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) =>
    queries.map((query) => `    await queryRunner.query(\`${query.replace(/[`\\]/g, '\\$&').replace(/\$\{/g, '\\${')}\`);`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

/** Rewrites migrations/index.ts so that every migration file is registered, in timestamp order. */
export function writeMigrationIndex(migrationsDir: string): void {
  const files = readdirSync(migrationsDir)
    .filter((file) => /^\d+-[A-Za-z0-9]+\.ts$/.test(file))
    .sort();
  const classes = files.map((file) => {
    const [timestamp, name] = file.replace(/\.ts$/, '').split('-');
    return { file, className: `${name}${timestamp}` };
  });
  const imports = classes.map(({ file, className }) => `import { ${className} } from './${file.replace(/\.ts$/, '.js')}';`);
  writeFileSync(
    join(migrationsDir, 'index.ts'),
    `${imports.join('\n')}\n\nexport const migrations = [${classes.map((c) => c.className).join(', ')}];\n`,
  );
}
