// Helpers for the server specs: a server on port 0 over the real task files, requests with the token, and the
// dropout task's reference fix and bug as submissions.
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import type { ServerLimits } from '../../src/server/ServerContext.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';

export const TOKEN = 'spec-token';
export const TASKS = path.join(ROOT, 'tasks');

export function serve(o: { token?: string | null; limits?: Partial<ServerLimits>; warmUp?: boolean; log?: string[] } = {}): Promise<RunningServer> {
  return startServer({
    tasksDir: TASKS,
    host: '127.0.0.1',
    port: 0,
    token: o.token === null ? undefined : (o.token ?? TOKEN),
    warmUp: o.warmUp ?? false,
    ...(o.limits === undefined ? {} : { limits: o.limits }),
    ...(o.log === undefined ? {} : { log: { write: (line: string) => o.log?.push(line) } }),
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json(): unknown;
}

export async function call(url: string, method: string, body?: unknown, o: { token?: string | null; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (o.token !== null) headers['authorization'] = `Bearer ${o.token ?? TOKEN}`;
  if (body !== undefined || o.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(o.raw !== undefined ? { body: o.raw } : body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** A request whose body may be refused before it is read (413): node:http reads the answer whatever happens to the upload. */
export function rawPost(url: string, body: Buffer, token = TOKEN): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function dropoutFiles(spec: TaskSpec, kind: 'reference' | 'bug'): Record<string, string> {
  const c = taskCases(spec).find((t) => t.kind === kind);
  if (c === undefined) throw new Error(`no ${kind} case`);
  const contents = caseContents(spec, c);
  return { 'dropout.ts': contents.get('dropout.ts') ?? '' };
}
