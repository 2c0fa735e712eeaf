import Anthropic from '@anthropic-ai/sdk';
import { RltaskError } from '../errors.ts';

export interface ClientOptions {
  /** The API key (the CLI reads it from ANTHROPIC_API_KEY). Required: there is no other credential lookup. */
  readonly apiKey: string | undefined;
  /** A gateway or a compatible server; default the Anthropic API. */
  readonly baseUrl?: string | undefined;
  /**
   * The SDK's own retries, for callers other than the agent loop (which turns them off per request and retries
   * transport faults itself, so that waiting is not charged to the model).
   */
  readonly maxRetries?: number;
  /** Per-request timeout (each retry gets its own). */
  readonly requestTimeoutMs?: number;
  /** Where the SDK's warnings go (e.g. a deprecated model); by default they are dropped. */
  readonly onLog?: (line: string) => void;
}

/**
 * An Anthropic client that reads nothing from the environment: key and base URL come from the caller, and
 * tracing is off.
 * Throws E_API when there is no key, before anything is sent.
 */
export function createClient(options: ClientOptions): Anthropic {
  const apiKey = options.apiKey?.trim();
  if (apiKey === undefined || apiKey === '') {
    throw new RltaskError('E_API', 'no API key: set ANTHROPIC_API_KEY (for a gateway or a compatible server, also --base-url or ANTHROPIC_BASE_URL)');
  }
  if (options.baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new RltaskError('E_USAGE', `--base-url: "${options.baseUrl}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RltaskError('E_USAGE', `--base-url: "${options.baseUrl}" must be an http(s) URL`);
  }
  const log = (level: string) => (message: string, ...rest: unknown[]) => options.onLog?.(`anthropic-sdk ${level}: ${[message, ...rest.map((r) => (r instanceof Error ? r.message : typeof r === 'string' ? r : JSON.stringify(r)))].join(' ')}`);
  return new Anthropic({
    apiKey,
    baseURL: options.baseUrl ?? null,
    maxRetries: options.maxRetries ?? 6,
    timeout: options.requestTimeoutMs ?? 300_000,
    openTelemetry: false,
    logLevel: 'warn',
    logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') },
  });
}
