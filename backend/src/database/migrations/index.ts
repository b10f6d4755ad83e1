import { Init1795240433176 } from './1795240433176-Init.js';

export const migrations = [Init1795240433176];
