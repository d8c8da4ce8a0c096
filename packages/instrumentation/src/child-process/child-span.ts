import path from 'node:path';
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_PROCESS_COMMAND_ARGS,
  ATTR_PROCESS_EXECUTABLE_NAME,
  ATTR_PROCESS_EXIT_CODE,
  ATTR_PROCESS_PID,
  type Redactor,
} from '@tracetape/core';
import { TRACER_NAME } from '../tracer-name.js';
import type { ChildOutcome } from './child-process-call.js';
import type { ChildStart } from './child-start.js';

/** The tracer of this door's spans: no official instrumentation makes spans for child processes. */
export function childProcessTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * The span of one child process, as the OpenTelemetry conventions for a CLI program's caller have
 * it: named after the executable (the shell, for a command line), kind CLIENT, with the command
 * and its arguments (redacted), then the PID and exit code when it ends.
 */
export function startChildSpan(tracer: Tracer, start: ChildStart, redactor: Redactor): Span {
  const shell = start.shell === true ? '/bin/sh' : start.shell;
  const executable = shell ?? start.command;
  const commandArgs = shell ? [shell, '-c', [start.command, ...start.args].join(' ')] : [start.command, ...start.args];
  const name = path.basename(executable);
  return tracer.startSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_PROCESS_EXECUTABLE_NAME]: name,
        [ATTR_PROCESS_COMMAND_ARGS]: commandArgs.map((arg) => redactor.text(arg)),
      },
    },
    context.active(),
  );
}

/** Ends the span with what the child did; a non-zero exit, a signal or a failed start is an error. */
export function endChildSpan(span: Span, outcome: ChildOutcome): void {
  if (outcome.pid) span.setAttribute(ATTR_PROCESS_PID, outcome.pid);
  if (outcome.exitCode !== null) span.setAttribute(ATTR_PROCESS_EXIT_CODE, outcome.exitCode);
  const errorType = outcome.error?.code ?? outcome.signal ?? (outcome.exitCode !== 0 && outcome.exitCode !== null ? String(outcome.exitCode) : undefined);
  if (errorType !== undefined) {
    span.setAttribute(ATTR_ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error?.message ?? `exit ${outcome.exitCode ?? outcome.signal}` });
  }
  span.end();
}
