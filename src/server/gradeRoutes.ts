import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RltaskError } from '../errors.ts';
import type { GradeResult } from '../grading/GradeResult.ts';
import { HttpError } from './HttpError.ts';
import type { ServerContext } from './ServerContext.ts';
import type { CatalogEntry } from './TaskCatalog.ts';
import { submissionFiles, writeSubmission } from './_submissionFiles.ts';

const seed = z.int().min(0).max(0x7fffffff);
const gradeBody = z.strictObject({ task: z.string(), files: z.unknown(), seed: seed.optional(), failFast: z.boolean().optional() });
const batchBody = z.strictObject({
  task: z.string(),
  submissions: z.array(z.strictObject({ id: z.string().min(1), files: z.unknown() })).min(1),
  seed: seed.optional(),
  failFast: z.boolean().optional(),
});

/** The first problem of a body that does not validate, as a 400 naming the field. */
function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : String(k))).join('.').replace(/\.\[/g, '[');
  throw new HttpError(400, `${at}: ${issue?.message ?? 'invalid'}`);
}

function entryOf(ctx: ServerContext, task: string, field = 'task'): CatalogEntry {
  const entry = ctx.catalog.get(task);
  if (entry === undefined) throw new HttpError(404, `${field}: no task "${task}" (served: ${ctx.catalog.ids().join(', ')})`);
  return entry;
}

/** A grader fault as a grade: status `error` with the reason, never a reward of 0 that looks like a verdict. */
function errorGrade(entry: CatalogEntry, label: string, seed: number, e: unknown): GradeResult {
  const code = e instanceof RltaskError ? e.code : 'E_INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  return { workspace: label, task: entry.spec.id, taskVersion: entry.spec.version, passed: false, reward: 0, status: 'error', feedback: `the grader broke: ${message}`, output: '', checks: [], seed, durationMs: 0, error: { code, message } };
}

/**
 * The stateless grading API: `GET /v1/tasks`, `GET /v1/tasks/:id` (prompt, variants, the workspace's files with
 * their roles; never the solution or the decoys), `POST /v1/grade` (one submission → the GradeResult plus its
 * provenance) and `POST /v1/grade/batch` (NDJSON, one line per submission as it finishes).
 */
export function registerGradeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/v1/tasks', async () => ({
    tasks: ctx.catalog.list().map(({ spec }) => ({ id: spec.id, version: spec.version, title: spec.title, runtime: spec.runtime, variants: Object.keys(spec.variants) })),
  }));

  app.get<{ Params: { id: string } }>('/v1/tasks/:id', async (req) => {
    const { spec, sha256 } = entryOf(ctx, req.params.id, 'id');
    return {
      id: spec.id,
      version: spec.version,
      title: spec.title,
      runtime: spec.runtime,
      sha256,
      prompt: spec.prompt,
      variants: Object.fromEntries(Object.entries(spec.variants).map(([name, v]) => [name, { prompt: v.prompt }])),
      tests: spec.tests?.file ?? null,
      files: spec.files.map((f) => ({ path: f.path, role: f.role, content: f.content })),
      grader: { subject: spec.grader.subject, seed: spec.grader.seed },
    };
  });

  app.post('/v1/grade', async (req) => {
    const body = parse(gradeBody, req.body);
    const entry = entryOf(ctx, body.task);
    const files = submissionFiles(entry.spec, body.files, 'files');
    let remove: (() => Promise<void>) | undefined;
    try {
      const written = await writeSubmission(entry.spec, files);
      remove = written.remove;
      return await ctx.gradeDir(entry, written.dir, { seed: body.seed, failFast: body.failFast, label: 'submission' });
    } catch (e) {
      if (e instanceof HttpError) throw e;
      const seed = body.seed ?? entry.spec.grader.seed;
      return { ...errorGrade(entry, 'submission', seed, e), provenance: await ctx.provenance(entry, seed) };
    } finally {
      await remove?.();
    }
  });

  app.post('/v1/grade/batch', async (req, reply) => {
    const body = parse(batchBody, req.body);
    const entry = entryOf(ctx, body.task);
    const ids = new Set<string>();
    const checked = body.submissions.map((s, i) => {
      if (ids.has(s.id)) throw new HttpError(400, `submissions[${i}].id: "${s.id}" is used twice`);
      ids.add(s.id);
      return { id: s.id, files: submissionFiles(entry.spec, s.files, `submissions[${i}].files`) };
    });
    const written: { id: string; dir: string; remove: () => Promise<void> }[] = [];
    try {
      for (const s of checked) written.push({ id: s.id, ...(await writeSubmission(entry.spec, s.files)) });
      // A full queue is a 429, decided before the 200 and the stream start.
      ctx.queue.admit(written.length);
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
      const answered = new Set<string>();
      const emit = (id: string, r: GradeResult & { readonly provenance?: unknown }): void => {
        answered.add(id);
        reply.raw.write(`${JSON.stringify({ id, ...r, workspace: id })}\n`);
      };
      try {
        await ctx.gradeDirs(entry, written.map((w) => w.dir), { seed: body.seed, failFast: body.failFast, onResult: (i, r) => emit(written[i]?.id ?? '?', r) });
      } catch (e) {
        // The stream has started: a submission not graded gets its own line, as the grader's fault.
        for (const w of written) if (!answered.has(w.id)) emit(w.id, errorGrade(entry, w.id, body.seed ?? entry.spec.grader.seed, e));
      }
      for (const w of written) if (!answered.has(w.id)) emit(w.id, errorGrade(entry, w.id, body.seed ?? entry.spec.grader.seed, new RltaskError('E_INTERNAL', 'the server stopped before this submission was graded (draining)')));
      reply.raw.end();
      return reply;
    } finally {
      await Promise.all(written.map((w) => w.remove()));
    }
  });
}
