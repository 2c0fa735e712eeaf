#!/usr/bin/env node
// Starts the CLI from the bundle `npm run build` writes (run by `npm ci`/`npm install` through `prepare`): it
// starts without tsx's loader. Without a build (e.g. a fresh checkout before `npm install`), the TypeScript
// source runs through tsx as before.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/rltask.mjs', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/run.ts');
}
