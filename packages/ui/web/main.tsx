import { render } from 'preact';
import { ErrorBox } from './components/error-box.js';
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
        </nav>
      </header>
      <main>
        {route.page === 'runs' ? (
          <RunsPage key={route.query.toString()} query={route.query} />
        ) : route.page === 'run' ? (
          <RunPage key={route.traceId} traceId={route.traceId} step={route.step} />
        ) : (
          <ErrorBox title="Not found" error={`This page (${location.pathname}) is not built yet.`} />
        )}
      </main>
    </>
  );
}

interceptLinks(document);
render(<App />, document.getElementById('app')!);
