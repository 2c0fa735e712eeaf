import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The directory holding rltask's package.json, found by walking up from this module: the same answer whether it
 * runs from src/ under tsx or from the bundle in dist/, whose import.meta.url sits at a different depth.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return (root = dir);
    if (path.dirname(dir) === dir) return (root = path.dirname(start));
  }
}
