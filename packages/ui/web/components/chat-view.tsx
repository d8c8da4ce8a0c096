import type { ChatMessage, ChatToolCall, ChatView as Chat } from '../../src/api.js';

export function ChatView({ chat }: { chat: Chat }) {
  const answeredBy = chat.responseModel && chat.responseModel !== chat.requestModel ? ` → ${chat.responseModel}` : '';
  return (
    <div>
      <dl class="chat-meta">
        <div>
          <dt>Provider</dt>
          <dd>
            {chat.provider} {chat.operation}
          </dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd class="mono">{(chat.requestModel ?? '?') + answeredBy}</dd>
        </div>
        <div>
          <dt>Tokens in/out</dt>
          <dd>
            {chat.inputTokens ?? '?'} / {chat.outputTokens ?? '?'}
          </dd>
        </div>
        <div>
          <dt>Finish reason</dt>
          <dd data-testid="finish-reason">{chat.finishReason ?? '?'}</dd>
        </div>
        {chat.offeredTools.length > 0 && (
          <div>
            <dt>Tools offered</dt>
            <dd class="mono">{chat.offeredTools.join(', ')}</dd>
          </div>
        )}
      </dl>
      <div class="chat" data-testid="chat">
        {chat.messages.map((message, i) => (
          <Message key={i} message={message} />
        ))}
      </div>
    </div>
  );
}

function Message({ message }: { message: ChatMessage }) {
  const role = /^[a-z_-]+$/i.test(message.role) ? message.role.toLowerCase() : 'other';
  return (
    <div class={`msg role-${role}`} data-testid="chat-message" data-role={message.role}>
      <div>
        <span class="msg-role">{message.role}</span>
        {message.toolCallId && <span class="muted"> · answers call <span class="mono">{message.toolCallId}</span></span>}
      </div>
      {message.text && <div class="msg-text">{message.text}</div>}
      {message.toolCalls?.map((call, i) => <ToolCall key={i} call={call} />)}
    </div>
  );
}

function ToolCall({ call }: { call: ChatToolCall }) {
  return (
    <div class="tool-call" data-testid="tool-call">
      <div>
        ⚙ <strong class="mono">{call.name}</strong>
        {call.id && <span class="muted"> · call {call.id}</span>}
      </div>
      <pre>{prettyArguments(call.arguments)}</pre>
    </div>
  );
}

/** Arguments as the model wrote them, indented when they are JSON so nested ones stay readable. */
function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
