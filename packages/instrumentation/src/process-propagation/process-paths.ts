/**
 * Hands out the process paths of what this process starts: children `<own>.1`, `<own>.2`…, workers
 * `<own>.w1`, `<own>.w2`…, each counted in the order they are started. A replay that starts them in
 * the same order gives each the same path, which is how it finds its own part of the tape.
 */
export class ProcessPaths {
  private children = 0;
  private workers = 0;

  constructor(readonly own: string) {}

  nextChild(): string {
    this.children += 1;
    return `${this.own}.${this.children}`;
  }

  nextWorker(): string {
    this.workers += 1;
    return `${this.own}.w${this.workers}`;
  }
}
