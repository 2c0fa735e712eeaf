import { open, readFile, rm } from 'node:fs/promises';
import { RltaskError } from '../errors.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take `file` as an exclusive lock holding our pid, so two calibrations never write one output directory at
 * once (they would run the same attempts twice). A lock left by a process that no longer exists is taken over.
 * Returns the release function.
 */
export async function acquireLock(file: string, what: string): Promise<() => Promise<void>> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const h = await open(file, 'wx', 0o644);
      await h.writeFile(String(process.pid));
      await h.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new RltaskError('E_USAGE', `${what} is in use by another calibration (pid ${pid}); wait for it or use another --out`);
      }
      await rm(file, { force: true });
    }
  }
  throw new RltaskError('E_USAGE', `${what}: cannot take the lock ${file}`);
}
