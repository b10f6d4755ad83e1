// `npm start`: builds what changed since the last build, then runs the server in this same process,
// which spares a start the second Node.js boot.
import { ensureBuilt } from './build-if-stale.mjs';

ensureBuilt(['backend', 'frontend']);
await import('../backend/dist/main.js');
