import { useEffect, useMemo, useState } from 'preact/hooks';
import type { StepDetail } from '../../src/api.js';
import { overrideCommand, overrideEnvelope, overrideFileName, validateEnvelope } from '../override.js';

export function OverrideEditor({ traceId, detail, command }: { traceId: string; detail: StepDetail; command: string[] | undefined }) {
  const step = detail.summary.step;
  const [text, setText] = useState(() => overrideEnvelope(detail));
  const [copied, setCopied] = useState(false);
  const problem = validateEnvelope(text);
  const href = useMemo(() => (problem ? undefined : URL.createObjectURL(new Blob([text.endsWith('\n') ? text : `${text}\n`], { type: 'application/json' }))), [text, problem]);
  useEffect(() => () => (href ? URL.revokeObjectURL(href) : undefined), [href]);
  const commandLine = overrideCommand(traceId, step, command);
  const fileName = overrideFileName(step);

  const copy = (): void => {
    navigator.clipboard?.writeText(commandLine).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };

  return (
    <div class="override">
      <h3>Answer step {step} differently</h3>
      <p class="muted">
        Edit the response the replay serves for this step: <code>status</code>, <code>headers</code>, and <code>body</code> (a JSON value or text).
      </p>
      <textarea
        data-testid="override-editor"
        spellcheck={false}
        aria-invalid={problem ? 'true' : undefined}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setCopied(false);
        }}
      />
      {problem && <div class="field-error" data-testid="override-error">{problem}</div>}
      <div class="actions">
        <a
          data-testid="override-download"
          class={problem ? 'disabled' : undefined}
          aria-disabled={problem ? 'true' : undefined}
          href={href}
          download={fileName}
        >
          ↓ Download {fileName}
        </a>
        <span class="muted">then run it in the app's directory:</span>
      </div>
      <div class="command">
        <code data-testid="override-command">{commandLine}</code>
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
