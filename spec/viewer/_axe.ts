import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { z } from 'zod';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** One axe-core violation, as much of it as a failure message needs. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: readonly string[];
}

const violationsSchema = z.array(z.object({ id: z.string(), impact: z.string().nullable(), help: z.string(), targets: z.array(z.string()) }));

/** Run axe-core in the page (injected from node_modules, no network) and return the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: axePath });
  // A string, evaluated in the page: this file is compiled without the DOM's types.
  const raw: unknown = await page.evaluate(
    `axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')) })))`,
  );
  const found = violationsSchema.parse(raw);
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
