import { ConfigError } from '@tracetape/core';

export const RETENTION_ENV = 'TRACETAPE_TTL';

const DAY_SECONDS = 86400;

/**
 * ClickHouse's DateTime ends in 2106 and a TTL expression past it wraps around to the 1970s,
 * which would expire everything at once. Ten years keeps far from that edge.
 */
export const MAX_RETENTION_SECONDS = 3650 * DAY_SECONDS;

const UNIT_SECONDS: Record<string, number> = { d: DAY_SECONDS, h: 3600, m: 60, '': 1 };

const ACCEPTED_FORMS = 'days (30d), hours (72h), minutes (90m) or whole seconds (2592000)';

/** @throws ConfigError unless `seconds` is a retention the schema can express safely. */
export function checkRetentionSeconds(seconds: number, source = 'retention'): number {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(`Invalid ${source} ${seconds}: the TTL must be a positive whole number of seconds.`);
  }
  if (seconds > MAX_RETENTION_SECONDS) {
    throw new ConfigError(
      `Invalid ${source} ${seconds}s: at most ${MAX_RETENTION_SECONDS / DAY_SECONDS}d is supported (ClickHouse dates end in 2106). Leave the TTL unset to keep data forever.`,
    );
  }
  return seconds;
}

/**
 * Seconds from a retention as a user writes it: `30d`, `72h`, `90m`, or a plain number of seconds.
 * @throws ConfigError naming `source` (the setting or flag) and the accepted forms.
 */
export function parseRetention(text: string, source: string = RETENTION_ENV): number {
  const match = /^(\d+)([dhm]?)$/.exec(text.trim());
  if (!match) {
    throw new ConfigError(`${source} must be a retention in ${ACCEPTED_FORMS}, not "${text}".`);
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  if (seconds <= 0) throw new ConfigError(`${source} must be longer than zero, not "${text}"; leave it unset to keep data forever.`);
  return checkRetentionSeconds(seconds, source);
}
