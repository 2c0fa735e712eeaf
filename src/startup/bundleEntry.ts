#!/usr/bin/env node
/**
 * The entry of dist/rltask.mjs (scripts/build.ts): starts the CommonJS bundle beside it with its V8 code caches
 * (./runBundle.ts). `bin/rltask.js` imports this file; `node dist/rltask.mjs …` runs it directly.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBundle } from './runBundle.ts';

runBundle(path.dirname(fileURLToPath(import.meta.url)), 'use');
