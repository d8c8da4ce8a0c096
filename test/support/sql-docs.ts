import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from './cli.js';

/** The one ```sql block under a heading of docs/sql-recipes.md (up to the next heading of any level). */
export function sqlRecipe(heading: string): string {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/sql-recipes.md'), 'utf8');
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const section = doc.slice(start + heading.length + 2).split(/^#+ /m)[0]!;
  const blocks = [...section.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  expect(blocks, heading).toHaveLength(1);
  return blocks[0]!;
}

/** A panel of a provisioned Grafana dashboard, as far as the tests read it. */
export interface DashboardPanel {
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { rawSql?: string }[];
  fieldConfig?: { overrides?: { matcher: { id: string; options: unknown }; properties: { id: string; value: unknown }[] }[] };
}

/** The panels of grafana/dashboards/tracetape-runs.json, row headers included. */
export function runsDashboardPanels(): DashboardPanel[] {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'grafana/dashboards/tracetape-runs.json'), 'utf8')) as { panels: DashboardPanel[] }).panels;
}
