/**
 * The order of attempts the run page last showed (its filter and sort), so that j/k on an attempt page step
 * through the same list the user was looking at.
 */
const orders = new Map<string, readonly number[]>();

export function setAttemptOrder(run: string, attempts: readonly number[]): void {
  orders.set(run, attempts);
}

/** The attempt `delta` places from `attempt` in the run's last shown order (all attempts by number if none). */
export function neighbour(run: string, attempt: number, delta: number, all: readonly number[]): number | undefined {
  const order = orders.get(run) ?? all;
  const i = order.indexOf(attempt);
  return i === -1 ? order[0] : order[i + delta];
}
