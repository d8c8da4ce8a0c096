// Claims without actions: the run's final answer read for claims no call of the run backs.
export {
  CLAIMS_FORMAT,
  CLAIMS_VERSION,
  DEFAULT_CLAIMS_FILE,
  parseClaimsConfig,
  type ClaimExpectation,
  type ClaimRule,
  type ClaimsConfig,
} from './claims-config.js';
export { finalAssistantText, type AssistantText } from './final-assistant-text.js';
export { checkClaims, hasUnbackedClaim, type ClaimFinding, type ClaimsCheck } from './check-claims.js';
