import type { FixtureCheck } from './fixture-check.js';

/**
 * The checks as JUnit XML, the report format every CI reads: one testcase per fixture, a failed
 * one with a <failure>, an inconclusive one with an <error> (it could not be judged, which is not
 * the code's fault but still stops the build), each with the reasons as its text.
 */
export function junitReport(checks: readonly FixtureCheck[], suiteName = 'tracetape check'): string {
  const failures = checks.filter((check) => check.verdict === 'fail').length;
  const errors = checks.filter((check) => check.verdict === 'inconclusive').length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = checks.reduce((sum, check) => sum + (check.endedMs - check.startedMs), 0);
  const cases = checks.map((check) => {
    const attributes = `classname="${xml(check.tape.serviceName || 'tracetape')}" name="${xml(`${check.contract.fixture} (${check.mode})`)}" file="${xml(check.contractFile)}" time="${seconds(check.endedMs - check.startedMs)}"`;
    if (check.verdict === 'pass') return `  <testcase ${attributes}/>`;
    const tag = check.verdict === 'fail' ? 'failure' : 'error';
    const summary = check.reasons[0] ?? check.verdict;
    return `  <testcase ${attributes}>\n    <${tag} message="${xml(summary)}" type="${check.verdict}">${xml(check.reasons.join('\n'))}</${tag}>\n  </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${xml(suiteName)}" tests="${checks.length}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds(total)}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
}

/** Text and attribute values escaped; characters XML 1.0 cannot hold at all are dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
