import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the queue gauges read when Prometheus scrapes. */
export interface QueueState {
  readonly depth: number;
  readonly running: number;
}

/**
 * The server's Prometheus metrics (`GET /metrics`), on a registry of its own so that two servers in one process
 * (tests) do not share counters. The queue's gauges are read from the queue at each scrape, not kept in step.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly grades = new Counter({ name: 'rltask_grades_total', help: 'Grades by task and status (passed, failed, error)', labelNames: ['task', 'status'] as const, registers: [this.registry] });
  readonly gradeSeconds = new Histogram({
    name: 'rltask_grade_duration_seconds',
    help: 'Wall time of one grade, from its slot to its verdict',
    labelNames: ['task'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  readonly queueDepth: Gauge;
  readonly gradesRunning: Gauge;
  readonly sessions = new Gauge({ name: 'rltask_sessions_active', help: 'Open environment sessions (WebSockets)', registers: [this.registry] });
  readonly sandboxStarts = new Counter({ name: 'rltask_sandbox_starts_total', help: 'Sandboxed children started', registers: [this.registry] });
  readonly sandboxFailures = new Counter({ name: 'rltask_sandbox_failures_total', help: 'Grades whose sandbox broke (status error)', registers: [this.registry] });
  readonly requests = new Counter({ name: 'rltask_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'method', 'status'] as const, registers: [this.registry] });

  constructor(queue: QueueState) {
    this.queueDepth = new Gauge({
      name: 'rltask_queue_depth',
      help: 'Grades waiting for a slot',
      registers: [this.registry],
      collect() {
        this.set(queue.depth);
      },
    });
    this.gradesRunning = new Gauge({
      name: 'rltask_grades_running',
      help: 'Grade jobs holding slots (grades, batches, sessions running their tests)',
      registers: [this.registry],
      collect() {
        this.set(queue.running);
      },
    });
  }
}
