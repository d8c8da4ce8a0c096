/**
 * Span attribute names tracetape writes. They are the contract between capture, storage and the
 * tape builder: rows written by any pipeline that carries these attributes can be replayed.
 */

/** What kind of boundary call a span records: one of {@link BOUNDARY_KINDS} (`http`, `postgres`…). */
export const ATTR_TRACETAPE_KIND = 'tracetape.kind';
/**
 * `true` or `false`: whether the call changes something outside the process (a database write),
 * as the door that recorded it judged; replay reports served ones as suppressed side effects.
 * Absent (HTTP): any method but GET, HEAD and OPTIONS is a side effect.
 */
export const ATTR_TRACETAPE_SIDE_EFFECT = 'tracetape.side_effect';
/** Hex SHA-256 of the normalised request: the key playback matches on. */
export const ATTR_TRACETAPE_INPUT_HASH = 'tracetape.input.hash';
/** JSON of the captured request ({@link CapturedRequest}), redacted. */
export const ATTR_TRACETAPE_REQUEST = 'tracetape.request';
/** JSON of the recorded response ({@link RecordedResponse}), redacted. */
export const ATTR_TRACETAPE_RESPONSE = 'tracetape.response';
/**
 * The normalised request's operation (`POST`, `INSERT`, `GET` for Redis, `tools/call`), beside the
 * payload so SQL can group calls without reading payloads: what `tracetape inventory` reads.
 */
export const ATTR_TRACETAPE_REQUEST_METHOD = 'tracetape.request.method';
/** The normalised request's target, redacted (`https://shop.example/refunds`, `postgres://db:5432/orders`). */
export const ATTR_TRACETAPE_REQUEST_TARGET = 'tracetape.request.target';
/**
 * JSON array of the names, never the values, of the credentials a call carried: `header:authorization`
 * for a header redaction replaced, `query:api_key` for a query parameter, `user:app` for a database user.
 */
export const ATTR_TRACETAPE_CREDENTIALS = 'tracetape.credentials';
/**
 * Hex SHA-256 of the request with its volatile fields (idempotency keys, timestamps, request IDs)
 * set aside ({@link repeatKey}): two side effects of a run with the same one did the same thing twice.
 * Only on side effects that are not model calls: the only calls repeat detection counts.
 */
export const ATTR_TRACETAPE_REPEAT_KEY = 'tracetape.repeat.key';
/** The request's `Idempotency-Key` header, when it sent one: a repeat carrying the same key was safely retried. */
export const ATTR_TRACETAPE_IDEMPOTENCY_KEY = 'tracetape.idempotency_key';
/** Set when capture could not complete (the call itself still went through). */
export const ATTR_TRACETAPE_CAPTURE_ERROR = 'tracetape.capture.error';
/** On a root span: how the run was delimited (`process`, `run`). */
export const ATTR_TRACETAPE_RUN = 'tracetape.run';
/** On a root span: JSON of the run's clock, random and ID reads ({@link NondeterminismRecord}). */
export const ATTR_TRACETAPE_NONDETERMINISM = 'tracetape.nondeterminism';
/** On the root span of a replay continued live (`--then-live`), or of a stored replay: the trace ID of the run it replayed. */
export const ATTR_TRACETAPE_REPLAY_OF = 'tracetape.replay.of';
/** On the root span of a run: what made it. `replay` for a replay that `tracetape replay` stored; absent: a recording. */
export const ATTR_TRACETAPE_RUN_TYPE = 'tracetape.run.type';
/** On a stored replay's span: `passed`, or `diverged` when a call was blocked or the command failed. */
export const ATTR_TRACETAPE_REPLAY_OUTCOME = 'tracetape.replay.outcome';
/** On a stored replay's span: JSON of what the replay observed ({@link StoredReplay}: the report, the command, its exit code). */
export const ATTR_TRACETAPE_REPLAY_REPORT = 'tracetape.replay.report';
/** On a stored `tracetape check` run: the ID of the fixture checked (its contract's `fixture`). */
export const ATTR_TRACETAPE_FIXTURE_ID = 'tracetape.fixture.id';
/** On a stored `tracetape check` run: `pass`, `fail` or `inconclusive`. */
export const ATTR_TRACETAPE_CHECK_VERDICT = 'tracetape.check.verdict';
/** On a stored `tracetape check` run: `cassette`, `strict` or `live-read`. */
export const ATTR_TRACETAPE_CHECK_MODE = 'tracetape.check.mode';
/** On a stored `tracetape check` run: the fixture's interval in seconds; a fixture not checked within it is stale. */
export const ATTR_TRACETAPE_CHECK_INTERVAL_S = 'tracetape.check.interval_s';
/** On a call span of a replay continued live: the step of the original tape that answered it (absent: it went live). */
export const ATTR_TRACETAPE_REPLAY_STEP = 'tracetape.replay.step';
/** On a server span: JSON of the inbound request ({@link InboundRequest}), headers redacted. */
export const ATTR_TRACETAPE_INBOUND_REQUEST = 'tracetape.inbound.request';
/** On a server span: JSON of the response the server sent ({@link RecordedResponse}), headers redacted. */
export const ATTR_TRACETAPE_INBOUND_RESPONSE = 'tracetape.inbound.response';
/**
 * Resource attribute: which process of a run made the spans, as a path from the run's first process
 * (`0`) through the children and workers each one started (`0.1`, `0.w1`, `0.1.2`). Replay serves
 * each process the calls its own counterpart recorded. Absent: `0`.
 */
export const ATTR_TRACETAPE_PROCESS_PATH = 'tracetape.process.path';
/** The process path of a run's first process, and of every span recorded without one. */
export const ROOT_PROCESS_PATH = '0';
/** Version of the attribute encoding, so readers can refuse what they do not understand. */
export const ATTR_TRACETAPE_FORMAT = 'tracetape.format';

export const TRACETAPE_FORMAT_VERSION = '1';
/**
 * The format of a span whose recorded response is a call unanswered when its process ended
 * (`unanswered`): a reader of format 1 alone would serve it as a failed call.
 */
export const TRACETAPE_FORMAT_UNANSWERED = '2';
/** Every tracetape.format this tracetape reads; a span of another was recorded by a newer one. */
export const READABLE_TRACETAPE_FORMATS: readonly string[] = [TRACETAPE_FORMAT_VERSION, TRACETAPE_FORMAT_UNANSWERED];

/** Value of a payload attribute that was moved to the payload table: prefix + hex SHA-256. */
export const PAYLOAD_REF_PREFIX = 'tracetape-payload:sha256:';

/** Attributes whose values may be large and are offloaded to the payload table. */
export const PAYLOAD_ATTRIBUTES: readonly string[] = [ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, ATTR_TRACETAPE_NONDETERMINISM, ATTR_TRACETAPE_INBOUND_REQUEST, ATTR_TRACETAPE_INBOUND_RESPONSE];

/** Header tracetape's own outbound traffic carries, so capture and playback let it through. */
export const INTERNAL_REQUEST_HEADER = 'x-tracetape-internal';

// OpenTelemetry GenAI semantic conventions, set on the client span of a recognised LLM API call
// so trace UIs and SQL see the model and token counts without parsing the payloads.
/** `openai`, `anthropic`, `gcp.gemini`… */
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** `chat`, `generate_content`… */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';

// OpenTelemetry semantic conventions for a CLI program run by the app (the caller's span of a
// child process that is a boundary call).
/** Base name of the executable the app started (`git`, `sh`): also the span's name. */
export const ATTR_PROCESS_EXECUTABLE_NAME = 'process.executable.name';
/** The command and its arguments as started, redacted with the recording's secret patterns. */
export const ATTR_PROCESS_COMMAND_ARGS = 'process.command_args';
/** The exit code of a child process that exited (absent when it was killed by a signal or never started). */
export const ATTR_PROCESS_EXIT_CODE = 'process.exit.code';
/** The child process's PID. */
export const ATTR_PROCESS_PID = 'process.pid';
/** Why the call failed: the exit code as text, the signal, or the spawn error's code (`ENOENT`). */
export const ATTR_ERROR_TYPE = 'error.type';

// OpenTelemetry semantic conventions for a DNS question the app asked (the dns door's spans).
/** The name asked about. */
export const ATTR_DNS_QUESTION_NAME = 'dns.question.name';

// OpenTelemetry semantic conventions for RPC client spans (the grpc door's spans).
/** `grpc`. */
export const ATTR_RPC_SYSTEM = 'rpc.system';
/** The full name of the service called (`vectors.VectorStore`). */
export const ATTR_RPC_SERVICE = 'rpc.service';
/** The method called (`Search`). */
export const ATTR_RPC_METHOD = 'rpc.method';
/** The gRPC status code the call ended with (0 is OK). */
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';

// OpenTelemetry semantic conventions for Model Context Protocol client spans, and the GenAI ones
// for tool execution that MCP tool calls share (the mcp door's spans).
/** The JSON-RPC method of an MCP request (`initialize`, `tools/call`, `resources/read`). */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
/** The URI of the resource a `resources/read` (or subscribe) asks for. */
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
/** The MCP protocol version the client asked for in `initialize`. */
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
/** The tool a `tools/call` runs; with `gen_ai.operation.name` = `execute_tool`. */
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
/** The arguments of a tool call, as JSON, redacted with the recording's secret patterns and body paths. */
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
/** The prompt a `prompts/get` asks for. */
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
/** The JSON-RPC `id` of the request and of its response, as text. */
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
/** The JSON-RPC error code a request was answered with. */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
/** `pipe` for a stdio transport. */
export const ATTR_NETWORK_TRANSPORT = 'network.transport';

// OpenTelemetry semantic conventions for the client span of a WebSocket step (the websocket door's
// spans: `websocket open`, `websocket send`, `websocket close`); OpenTelemetry has none of WebSocket's own.
/** The URL the connection was opened to, redacted (secret query parameters replaced). */
export const ATTR_URL_FULL = 'url.full';
/** The host the connection was opened to. */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** The port the connection was opened to. */
export const ATTR_SERVER_PORT = 'server.port';
/** On the step span the connection closed in: the close code the app was told (1000, 1006…). */
export const ATTR_TRACETAPE_WEBSOCKET_CLOSE_CODE = 'tracetape.websocket.close_code';
/** On a step span: how many messages the server sent within the step. */
export const ATTR_TRACETAPE_WEBSOCKET_MESSAGES = 'tracetape.websocket.messages';
