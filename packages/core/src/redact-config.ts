import { DEFAULT_REDACTED_HEADERS, Redactor, type RedactionOptions } from './redact.js';
import { DEFAULT_SECRET_PATTERNS, parsePatternList } from './redact-patterns.js';
import { DEFAULT_REDACTED_QUERY_PARAMS } from './redact-url.js';

/**
 * The redaction settings: the defaults plus TRACETAPE_REDACT_HEADERS, _QUERY, _BODY_PATHS and
 * _PATTERNS. One reading for the register hook and `tracetape fixture`, so a fixture is redacted
 * at least as a current capture would be. A bad path or pattern throws here, not per call.
 */
export function redactionOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Required<RedactionOptions> {
  const redaction: Required<RedactionOptions> = {
    headers: [...DEFAULT_REDACTED_HEADERS, ...list(env.TRACETAPE_REDACT_HEADERS)],
    query: [...DEFAULT_REDACTED_QUERY_PARAMS, ...list(env.TRACETAPE_REDACT_QUERY)],
    bodyPaths: list(env.TRACETAPE_REDACT_BODY_PATHS),
    patterns: [...DEFAULT_SECRET_PATTERNS, ...parsePatternList(env.TRACETAPE_REDACT_PATTERNS)],
  };
  // Compiling throws a RedactionConfigError naming the bad setting.
  void new Redactor(redaction);
  return redaction;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
