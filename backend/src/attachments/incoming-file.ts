import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { fileRequired, multipartError } from './errors.js';
import type { IncomingFile } from './upload.service.js';

/**
 * The one file part (field `file`) of a multipart request, with the check, for once it is read, that no
 * other part follows it. At most `maxBytes`; no fields.
 */
export async function incomingFile(request: FastifyRequest, maxBytes: number): Promise<IncomingFile> {
  if (!request.isMultipart()) throw multipartError({ code: 'FST_INVALID_MULTIPART_CONTENT_TYPE' })!;
  const parts = request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 0, parts: 1, headerPairs: 100 } });
  const next = () =>
    parts.next().catch((error: unknown) => {
      throw multipartError(error) ?? error;
    });
  const first = await next();
  const part = first.done ? undefined : first.value;
  if (!part || part.type !== 'file' || part.fieldname !== 'file') {
    throw fileRequired();
  }
  return {
    part,
    assertLastPart: async () => {
      // A second file would otherwise be dropped without a word while the first is kept.
      if (!(await next()).done) throw multipartError({ code: 'FST_FILES_LIMIT' })!;
    },
  };
}
