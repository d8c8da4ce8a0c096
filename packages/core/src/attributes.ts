/**
 * Span attribute names tracetape writes. They are the contract between capture, storage and the
 * tape builder: rows written by any pipeline that carries these attributes can be replayed.
 */

/** What kind of boundary call a span records (`http`). */
export const ATTR_TRACETAPE_KIND = 'tracetape.kind';
/** Hex SHA-256 of the normalised request: the key playback matches on. */
export const ATTR_TRACETAPE_INPUT_HASH = 'tracetape.input.hash';
/** JSON of the captured request ({@link CapturedRequest}), redacted. */
export const ATTR_TRACETAPE_REQUEST = 'tracetape.request';
/** JSON of the recorded response ({@link RecordedResponse}), redacted. */
export const ATTR_TRACETAPE_RESPONSE = 'tracetape.response';
/** Set when capture could not complete (the call itself still went through). */
export const ATTR_TRACETAPE_CAPTURE_ERROR = 'tracetape.capture.error';
/** On a root span: how the run was delimited (`process`, `run`). */
export const ATTR_TRACETAPE_RUN = 'tracetape.run';
/** Version of the attribute encoding, so readers can refuse what they do not understand. */
export const ATTR_TRACETAPE_FORMAT = 'tracetape.format';

export const TRACETAPE_FORMAT_VERSION = '1';

/** Value of a payload attribute that was moved to the payload table: prefix + hex SHA-256. */
export const PAYLOAD_REF_PREFIX = 'tracetape-payload:sha256:';

/** Attributes whose values may be large and are offloaded to the payload table. */
export const PAYLOAD_ATTRIBUTES: readonly string[] = [ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE];

/** Header tracetape's own outbound traffic carries, so capture and playback let it through. */
export const INTERNAL_REQUEST_HEADER = 'x-tracetape-internal';
