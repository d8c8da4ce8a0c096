export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Splits `a b -- c d` into the options before `--` and the command after it. */
export function splitAtDoubleDash(args: string[]): { options: string[]; command: string[] } {
  const index = args.indexOf('--');
  if (index === -1) return { options: args, command: [] };
  return { options: args.slice(0, index), command: args.slice(index + 1) };
}
