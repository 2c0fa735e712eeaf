/**
 * Used only by scripts/build.ts: `node <dist>/rltask-record.mjs <verb> …` runs the bundle beside it like
 * dist/rltask.mjs does, then writes the V8 code caches of everything it compiled into <dist>/v8-cache.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBundle } from './runBundle.ts';

runBundle(path.dirname(fileURLToPath(import.meta.url)), 'record');
