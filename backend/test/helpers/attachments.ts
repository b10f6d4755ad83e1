import type TestAgent from 'supertest/lib/agent.js';
import { binary } from './binary.js';
import { bearer, type Registered } from './users.js';

/** `POST /api/attachments` as `who`, the file in the form field `file`. */
export function uploadFile(http: TestAgent, who: Registered, content: Buffer, filename: string, contentType = 'application/octet-stream') {
  return http.post('/api/attachments').set(bearer(who.accessToken)).attach('file', content, { filename, contentType });
}

/** GET `path` as `who`, the body collected as a Buffer whatever its type. */
export function downloadFile(http: TestAgent, who: Registered, path: string, headers: Record<string, string> = {}) {
  return http.get(path).set({ ...bearer(who.accessToken), ...headers }).buffer(true).parse(binary);
}
