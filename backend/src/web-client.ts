import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build -w frontend` puts the app, seen from backend/dist (or backend/src in tests). */
export const WEB_CLIENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../frontend/dist/iris/browser');

/** Paths the web client never answers: the API, the socket and the docs keep their own 404s. */
const SERVER_PATHS = /^\/(?:api|socket\.io|apidocs)(?:[/?-]|$)/;
/** The build names its bundles `name-HASH.ext`; their content never changes under that name. */
const HASHED_FILE = /-[A-Z0-9]{8,}\.(?:js|css|mjs)$/;

/**
 * Serves the built Angular app at `/` when `dir` holds one (returns whether it does): files as they
 * are, hashed bundles with a year-long immutable cache, and index.html, never cached, for any other
 * GET path without a file extension (the client's routes).
 */
export async function serveWebClient(app: NestFastifyApplication, dir: string = WEB_CLIENT_DIR): Promise<boolean> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html'))) return false;
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // Encapsulated, so the sendFile decorator does not clash with the one Swagger UI registers.
  await fastify.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false });
    scope.get('/*', (request, reply) => {
      const path = decodePath(request.url.split('?')[0]);
      if (path === null || SERVER_PATHS.test(path)) return reply.callNotFound();
      const file = path === '/' ? null : fileIn(root, path);
      if (file !== null) {
        const cache = HASHED_FILE.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
        return send(reply, file, cache);
      }
      // A missing file (anything with an extension) is a 404, not the app.
      if (extname(path) !== '') return reply.callNotFound();
      return send(reply, 'index.html', 'no-cache');
    });
  });
  return true;
}

function send(reply: FastifyReply, file: string, cacheControl: string): FastifyReply {
  return reply
    .header('cache-control', cacheControl)
    .sendFile(file, { cacheControl: false });
}

/** The file under root that path names, relative to root, or null when there is none (or it escapes). */
function fileIn(root: string, path: string): string | null {
  const full = resolve(root, `.${path}`);
  if (!full.startsWith(root + sep)) return null;
  try {
    return statSync(full).isFile() ? full.slice(root.length + 1) : null;
  } catch {
    return null;
  }
}

function decodePath(path: string): string | null {
  try {
    const decoded = decodeURIComponent(path);
    return decoded.includes('\0') ? null : decoded;
  } catch {
    return null;
  }
}
