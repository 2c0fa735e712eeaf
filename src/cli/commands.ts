import { audit } from './audit.ts';
import { calibrate } from './calibrate.ts';
import { check } from './check.ts';
import type { Command } from './Command.ts';
import { demo } from './demo.ts';
import { grade } from './grade.ts';
import { init } from './init.ts';
import { list } from './list.ts';
import { serve } from './serve.ts';
import { test } from './test.ts';
import { view } from './view.ts';

/** Every verb, in the order `rltask --help` and docs/cli.md list them. */
export const commands: readonly Command[] = [init, check, list, grade, test, demo, audit, calibrate, serve, view];
