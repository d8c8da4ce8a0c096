import { render } from 'preact';
import { ErrorBox } from './components/error-box.js';
import { ComparePage } from './pages/compare-page.js';
import { ReplayPage } from './pages/replay-page.js';
import { RunPage } from './pages/run-page.js';
import { RunsPage } from './pages/runs-page.js';
import { interceptLinks, useRoute } from './router.js';

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
        ) : (
          <ErrorBox title="Not found" error={`There is no page at ${route.path}.`} />
        )}
      </main>
    </>
  );
}

interceptLinks(document);
render(<App />, document.getElementById('app')!);
