import { useState } from 'preact/hooks';
import type { StepDetail as Detail } from '../../src/api.js';
import { formatDuration } from '../format.js';
import { memo } from '../memo.js';
import { useStepDetail } from '../use-step-detail.js';
import { BodyView, HeadersTable } from './body-view.js';
import { ChatView } from './chat-view.js';
import { ErrorBox } from './error-box.js';
import { KindBadge, SideEffectBadge } from './kind-badge.js';
import { OverrideEditor } from './override-editor.js';

export const StepDetailPanel = memo(function StepDetailPanel({ traceId, step, command }: { traceId: string; step: number; command: string[] | undefined }) {
  const { detail, error, loading } = useStepDetail(traceId, step);
  const stale = detail !== undefined && detail.summary.step !== step;
  return (
    <section class={`step-detail${stale ? ' stale' : ''}`} data-testid="step-detail" data-step={detail?.summary.step} aria-busy={loading}>
      {error && !loading && <ErrorBox title={`Step ${step}`} error={error} />}
      {loading && !detail && <p class="muted">Loading step {step}…</p>}
      {stale && loading && <p class="muted">Loading step {step}…</p>}
      {detail && <DetailBody key={`${traceId}/${detail.summary.step}`} traceId={traceId} detail={detail} command={command} />}
    </section>
  );
});

type Tab = 'chat' | 'request' | 'response';

// Rendered again only when another step's detail arrives, not on every move of the selection.
const DetailBody = memo(function DetailBody({ traceId, detail, command }: { traceId: string; detail: Detail; command: string[] | undefined }) {
  const [tab, setTab] = useState<Tab>('chat');
  const [editing, setEditing] = useState(false);
  const { summary, request, response } = detail;
  return (
    <>
      <div class="detail-head">
        <strong>Step {summary.step}</strong>
        <KindBadge kind={summary.kind} />
        {summary.sideEffect && <SideEffectBadge />}
        <span class="mono">{request.method}</span>
        <span class="url" data-testid="request-url">
          {request.url}
        </span>
        <span class={response.status >= 400 || response.status === 0 ? 'badge badge-error' : 'badge badge-ok'}>
          {response.status === 0 ? 'no response' : `${response.status} ${response.statusText}`}
        </span>
        <span class="muted">
          +{formatDuration(summary.startOffsetMs)} · took {formatDuration(summary.durationMs)}
          {summary.process && ` · process ${summary.process}`}
        </span>
      </div>
      <div class="detail-head muted">
        <span>
          input hash <code data-testid="input-hash">{detail.inputHash}</code>
        </span>
        <span>span {detail.spanName}</span>
        {detail.previousSideEffect !== undefined && <span>previous side effect: step {detail.previousSideEffect}</span>}
      </div>
      {(response.error ?? summary.error) && <div class="note">✗ {response.error ?? summary.error}</div>}
      {response.truncated && <div class="note">The recorded body was truncated: the recorder kept only its start.</div>}
      {!response.complete && <div class="note">The response did not complete while recording.</div>}
      {detail.chat ? (
        <>
          <div class="tabs" role="tablist">
            {(['chat', 'request', 'response'] as const).map((name) => (
              <button key={name} type="button" role="tab" data-testid={`tab-${name}`} aria-selected={tab === name} onClick={() => setTab(name)}>
                {name === 'chat' ? 'Chat' : name === 'request' ? 'Request' : 'Response'}
              </button>
            ))}
          </div>
          {tab === 'chat' && <ChatView chat={detail.chat} />}
          {tab === 'request' && <RequestSection request={request} />}
          {tab === 'response' && <ResponseSection response={response} />}
        </>
      ) : (
        // Without a conversation to show, request and response fit side by side.
        <div class="two-col">
          <div>
            <h2>Request</h2>
            <RequestSection request={request} />
          </div>
          <div>
            <h2>Response</h2>
            <ResponseSection response={response} />
          </div>
        </div>
      )}
      <p>
        <button type="button" data-testid="override-button" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          ✎ Answer this step differently
        </button>
      </p>
      {editing && <OverrideEditor traceId={traceId} detail={detail} command={command} />}
    </>
  );
});

function RequestSection({ request }: { request: Detail['request'] }) {
  return (
    <div>
      <h3>Headers</h3>
      <HeadersTable headers={request.headers} />
      <h3>Body</h3>
      <BodyView body={request.body} testid="request-body" />
    </div>
  );
}

function ResponseSection({ response }: { response: Detail['response'] }) {
  return (
    <div>
      <h3>Status</h3>
      <div class="mono">{response.status === 0 ? '(none: the call failed before any response)' : `${response.status} ${response.statusText}`}</div>
      <h3>Headers</h3>
      <HeadersTable headers={response.headers} />
      <h3>{response.chunks ? `Body, streamed in ${response.chunks.length} chunks` : 'Body'}</h3>
      {response.chunks ? (
        <div class="body" data-testid="response-body">
          {response.chunks.map((chunk, i) => (
            <div class="chunk" key={i}>
              <span class="muted">+{formatDuration(chunk.offsetMs)}</span>
              <BodyView body={chunk.body} />
            </div>
          ))}
        </div>
      ) : (
        <BodyView body={response.body} testid="response-body" />
      )}
    </div>
  );
}
