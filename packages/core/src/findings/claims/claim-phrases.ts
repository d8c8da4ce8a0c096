/*
 * Where an answer makes a claim: the phrases of a claim found in a text, as whole words, each
 * with the words just before it read for a negation. A heuristic and meant to look like one: every
 * match keeps the phrase, the text as written and the sentence around it, so whoever reads a
 * finding can judge it.
 */

/** One place in the text where a phrase of a claim was found. */
export interface PhraseMatch {
  /** The phrase as the claims file gives it. */
  phrase: string;
  /** The text as the answer wrote it (case, apostrophes and spacing its own). */
  matched: string;
  /** Offset of the match in the text. */
  index: number;
  /** The sentence around the match, whitespace collapsed, cut to about 80 characters each side. */
  excerpt: string;
  /** The negation just before the match (`couldn't`, `unable to`), when there is one. */
  negatedBy?: string;
}

/** Straight, left and right single quotes, the modifier apostrophe and the prime: one apostrophe to a reader. */
const APOSTROPHES = "'\u2018\u2019\u02BC\u2032";
const WORD_CHAR = String.raw`[\p{L}\p{N}_]`;
/** How many words before a phrase are read for a negation. */
const NEGATION_WINDOW = 5;
/**
 * Where a negation stops reaching: the end of a sentence or clause, and words that turn the
 * sentence around (`I couldn't call, but I've submitted your refund`).
 */
const CLAUSE_BREAK = /[.!?;:\n]|\b(?:but|however|although|though|instead)\b/giu;
/** Single words that negate what follows: `not`, `never`, `cannot`, and any `…n't`. */
const NEGATING_WORD = /^(?:not|never|cannot)$|n't$/iu;
/** Two words that do: `unable to`, `failed to`. */
const NEGATING_PAIR = /^(?:unable|failed) to$/iu;
const EXCERPT_SIDE = 80;

/**
 * The match that decides a claim in `text`: its first phrase match that is not negated, else its
 * first negated one (so the finding can say why it was skipped); undefined when no phrase occurs.
 * Where phrases overlap ("I've refunded" and "refunded") the longer one is taken.
 */
export function findClaimPhrase(text: string, phrases: readonly string[]): PhraseMatch | undefined {
  const matches = nonOverlapping(phrases.flatMap((phrase) => phraseMatches(text, phrase)));
  const read = matches.map((match) => withNegation(text, match));
  return read.find((match) => match.negatedBy === undefined) ?? read[0];
}

interface Span {
  phrase: string;
  index: number;
  end: number;
}

function phraseMatches(text: string, phrase: string): Span[] {
  const words = phrase.trim().split(/\s+/u).map((word) => [...word].map(charPattern).join(''));
  const pattern = new RegExp(`(?<!${WORD_CHAR})${words.join(String.raw`\s+`)}(?!${WORD_CHAR})`, 'giu');
  return [...text.matchAll(pattern)].map((match) => ({ phrase, index: match.index, end: match.index + match[0].length }));
}

function charPattern(char: string): string {
  if (APOSTROPHES.includes(char)) return `[${APOSTROPHES}]`;
  return char.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
}

/** In text order, each match kept unless it overlaps one kept before it; at one offset the longest first. */
function nonOverlapping(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.index - b.index || b.end - a.end);
  const kept: Span[] = [];
  for (const span of sorted) if (!kept.some((k) => span.index < k.end && k.index < span.end)) kept.push(span);
  return kept;
}

function withNegation(text: string, span: Span): PhraseMatch {
  const match: PhraseMatch = {
    phrase: span.phrase,
    matched: text.slice(span.index, span.end),
    index: span.index,
    excerpt: excerptOf(text, span.index, span.end),
  };
  const negatedBy = negationBefore(text.slice(0, span.index));
  if (negatedBy !== undefined) match.negatedBy = negatedBy;
  return match;
}

/** The negation among the last few words before a phrase, in the same clause; undefined when none. */
function negationBefore(before: string): string | undefined {
  let clauseStart = 0;
  for (const brk of before.matchAll(CLAUSE_BREAK)) clauseStart = brk.index + brk[0].length;
  const words = before
    .slice(clauseStart)
    .replace(new RegExp(`[${APOSTROPHES}]`, 'gu'), "'")
    .split(/\s+/u)
    .map((word) => word.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, ''))
    .filter((word) => word !== '')
    .slice(-NEGATION_WINDOW);
  // The nearest negation is the one that governs the phrase.
  for (let i = words.length - 1; i >= 0; i--) {
    // "Not only did I …" affirms what follows.
    if (NEGATING_WORD.test(words[i]!) && !/^only$/iu.test(words[i + 1] ?? '')) return words[i];
    const pair = `${words[i]} ${words[i + 1] ?? ''}`;
    if (NEGATING_PAIR.test(pair)) return pair;
  }
  return undefined;
}

/** The sentence holding text[start, end), cut to EXCERPT_SIDE characters each side of it. */
function excerptOf(text: string, start: number, end: number): string {
  let from = 0;
  for (let i = start - 1; i >= 0; i--) {
    if (text[i] === '\n' || (/[.!?]/u.test(text[i]!) && /\s/u.test(text[i + 1] ?? ''))) {
      from = i + 1;
      break;
    }
  }
  let to = text.length;
  for (let j = end; j < text.length; j++) {
    if (text[j] === '\n') {
      to = j;
      break;
    }
    if (/[.!?]/u.test(text[j]!) && (j + 1 === text.length || /\s/u.test(text[j + 1]!))) {
      to = j + 1;
      break;
    }
  }
  const head = start - from > EXCERPT_SIDE ? `…${text.slice(start - EXCERPT_SIDE, start).trimStart()}` : text.slice(from, start);
  const tail = to - end > EXCERPT_SIDE ? `${text.slice(end, end + EXCERPT_SIDE).trimEnd()}…` : text.slice(end, to);
  return `${head}${text.slice(start, end)}${tail}`.replace(/\s+/gu, ' ').trim();
}
