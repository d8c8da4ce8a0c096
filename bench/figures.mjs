// The one table every figure of the suite is printed in. A figure is
//   { name, value, unit, baseline?: { label, value, unit }, ratio?, target?, met?, detail? }
// whichever section measured it, so one function prints them all.

/** A correctness check of a section failed: its numbers describe something broken, not slow. */
export class BenchCheckFailed extends Error {
  code = 'BENCH_CHECK_FAILED';
  constructor(problems) {
    super(problems.join('; '));
    this.name = 'BenchCheckFailed';
    this.problems = problems;
  }
}

/** Rounds to a precision that suits the magnitude: 1234, 123.4, 12.34, 1.234. */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return '-';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : 3;
  return value.toFixed(digits);
}

const withUnit = (value, unit) => `${formatNumber(value)}${unit ? ` ${unit}` : ''}`;
const ratioText = (ratio) => (Number.isFinite(ratio) ? `×${ratio.toFixed(2)}` : '-');

function metText(figure, judged) {
  if (!judged) return figure.target ? 'not judged' : '-';
  if (figure.met === undefined) return '-';
  return figure.met ? 'yes' : 'NO';
}

function table(header, rows) {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 || i === 2 || i === 4 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Prints the sections' figures as one table, then each figure's detail as a numbered note. A
 * section that is not available or failed gets one row saying so. `judged` false (smoke mode)
 * leaves the met? column empty: tiny sizes say nothing about targets.
 */
export function formatFigures(sections, { judged }) {
  const rows = [];
  const notes = [];
  for (const section of sections) {
    if (section.status !== 'ok') {
      const why = section.status === 'not-available' ? 'not available' : 'FAILED';
      rows.push([`${section.title}: ${why}`, '-', section.error?.split('\n')[0].slice(0, 100) ?? '', '-', '', '-']);
      continue;
    }
    for (const figure of section.figures) {
      let name = figure.name;
      if (figure.detail) {
        notes.push(`[${notes.length + 1}] ${figure.name}: ${figure.detail}`);
        name += ` [${notes.length}]`;
      }
      rows.push([
        name,
        withUnit(figure.value, figure.unit),
        figure.baseline ? `${figure.baseline.label}: ${withUnit(figure.baseline.value, figure.baseline.unit)}` : '',
        ratioText(figure.ratio),
        figure.target ?? '',
        metText(figure, judged),
      ]);
    }
  }
  const lines = [table(['figure', 'measured', 'baseline (same run)', 'ratio', 'target', 'met?'], rows)];
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}

/** Why a figure cannot go into the table, or undefined if it can. */
export function figureProblem(figure) {
  if (typeof figure?.name !== 'string' || figure.name === '') return 'a figure has no name';
  if (typeof figure.value !== 'number') return `${figure.name}: value is not a number`;
  if (typeof figure.unit !== 'string') return `${figure.name}: unit is not a string`;
  if (figure.baseline && (typeof figure.baseline.label !== 'string' || typeof figure.baseline.value !== 'number')) {
    return `${figure.name}: baseline needs a label and a numeric value`;
  }
  return undefined;
}
