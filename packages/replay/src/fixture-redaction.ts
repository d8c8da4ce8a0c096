import { REDACTED, Redactor, redactionOptionsFromEnv, type CapturedRequest, type Tape } from '@tracetape/core';

/** One header value the fixture redaction pass replaced: the recording still carried it. */
export interface RedactedHeader {
  /** The tape step it was found in, or `inbound` for the exchange that started a server trace. */
  step: number | 'inbound';
  where: 'request' | 'request.normalized' | 'response';
  header: string;
}

export interface FixtureRedaction {
  tape: Tape;
  redacted: RedactedHeader[];
}

/** The redaction settings a fixture is redacted over: those the register hook reads (TRACETAPE_REDACT_*). */
export function fixtureRedactor(env: NodeJS.ProcessEnv = process.env): Redactor {
  return new Redactor(redactionOptionsFromEnv(env));
}

/**
 * Redacts every header of a tape again before it is committed as a fixture. Capture already does
 * this, but a trace recorded by an older or differently configured recorder (or written into the
 * store by a Collector pipeline) may still carry a secret, and a fixture lives in version control.
 *
 * Input hashes are left as they are: a hash is one-way, and playback hashes the live request the
 * same way the recorder did, so changing it would only make the fixture stop matching.
 */
export function redactTape(tape: Tape, redactor: Redactor): FixtureRedaction {
  const redacted: RedactedHeader[] = [];
  const pass = (step: RedactedHeader['step'], where: RedactedHeader['where'], headers: Array<[string, string]>) =>
    headers.map(([name, value]): [string, string] => {
      if (!redactor.isRedactedHeader(name) || value === REDACTED) return [name, value];
      redacted.push({ step, where, header: name.toLowerCase() });
      return [name, REDACTED];
    });
  const exchange = <T extends { headers: Array<[string, string]> }>(step: RedactedHeader['step'], where: RedactedHeader['where'], part: T): T => ({
    ...part,
    headers: pass(step, where, part.headers),
  });

  const request = <T extends CapturedRequest>(step: RedactedHeader['step'], part: T): T => ({
    ...exchange(step, 'request', part),
    // Only hash-listed headers are here; someone who hashes on a credential must not commit it.
    normalized: {
      ...part.normalized,
      headers: Object.fromEntries(pass(step, 'request.normalized', Object.entries(part.normalized.headers))),
    },
  });

  const entries = tape.entries.map((entry) => ({
    ...entry,
    request: request(entry.step, entry.request),
    response: exchange(entry.step, 'response', entry.response),
  }));
  const result: Tape = { ...tape, entries };
  if (tape.inbound) {
    result.inbound = {
      request: request('inbound', tape.inbound.request),
      response: exchange('inbound', 'response', tape.inbound.response),
    };
  }
  return { tape: result, redacted };
}
