import { render } from 'preact';
import type { RunDetail } from '../src/api.js';
import { api } from './api-client.js';
import { ErrorBox } from './components/error-box.js';
import { ComparePage } from './pages/compare-page.js';
import { InventoryPage } from './pages/inventory-page.js';
import { ReplayPage } from './pages/replay-page.js';
import { RunPage } from './pages/run-page.js';
import { RunsPage } from './pages/runs-page.js';
import { prefetch } from './prefetch.js';
import { interceptLinks, parseRoute, useRoute } from './router.js';

function App() {
  const route = useRoute();
  return (
    <>
      <header class="topbar">
        <a class="brand" href="/">
          ▣ tracetape
        </a>
        <nav>
          <a href="/">Runs</a>
          <a href="/inventory" data-testid="nav-inventory">
            Inventory
          </a>
          <a href="/compare">Compare</a>
        </nav>
      </header>
      <main>
        {route.page === 'runs' ? (
          <RunsPage key={route.query.toString()} query={route.query} />
        ) : route.page === 'run' ? (
          <RunPage key={route.traceId} traceId={route.traceId} step={route.step} />
        ) : route.page === 'replay' ? (
          <ReplayPage key={route.replayTraceId} replayTraceId={route.replayTraceId} />
        ) : route.page === 'compare' ? (
          <ComparePage key={`${route.a}/${route.b}`} a={route.a} b={route.b} />
        ) : route.page === 'inventory' ? (
          <InventoryPage key={route.query.toString()} query={route.query} />
        ) : (
          <ErrorBox title="Not found" error={`There is no page at ${route.path}.`} />
        )}
      </main>
    </>
  );
}

// A run's page asks for the run before the app's first render (whose effects run only after it
// has painted), and for the detail of the step it opens on as soon as the run's steps are in.
const opening = parseRoute(location.pathname, location.search);
if (opening.page === 'run') {
  const { traceId, step } = opening;
  prefetch<RunDetail>(api.run(traceId)).then(
    ({ steps }) => {
      const first = step !== undefined && steps.some((s) => s.step === step) ? step : steps[0]?.step;
      if (first !== undefined) prefetch(api.step(traceId, first));
    },
    () => {},
  );
}

interceptLinks(document);
render(<App />, document.getElementById('app')!);
