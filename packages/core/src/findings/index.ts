export { idempotencyKeyOf } from './idempotency-key.js';
export { repeatKey } from './repeat-key.js';
export { findRepeatedSideEffects, hasRepeatedSideEffect, type RepeatedSideEffect } from './repeated-side-effects.js';
