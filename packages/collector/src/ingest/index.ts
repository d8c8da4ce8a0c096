/**
 * The recording log's ingester on its own (`@tracetape/collector/ingest`): what a command that
 * reads the store needs before it reads, without the OTLP receiver and its protobuf schema, which
 * take longer to load than the ingester and which such a command never uses.
 */
export { LogIngester, type IngestReport, type LogIngesterOptions } from './log-ingester.js';
