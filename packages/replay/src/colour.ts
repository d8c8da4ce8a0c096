/**
 * ANSI colour for what the CLI prints, only where a person reads it: on a terminal, unless
 * NO_COLOR says otherwise (https://no-color.org), or anywhere when FORCE_COLOR asks for it. Output
 * to a pipe or a file stays plain, so scripts and tests read the same text as before.
 */
export interface Palette {
  enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  // NO_COLOR wins: it is the user's standing wish, FORCE_COLOR often a tool's default.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR.toLowerCase() !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function palette(enabled: boolean): Palette {
  const sgr = (open: number, close: number) => (text: string) => (enabled && text !== '' ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { enabled, red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) };
}

/** The palette for what is written to `stream` (process.stdout or process.stderr). */
export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Palette {
  return palette(colourWanted(stream, env));
}

/** No colour: for text that is returned rather than printed (test helpers, JSON reports). */
export const PLAIN: Palette = palette(false);
