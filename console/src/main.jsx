// The console's shell: sign-in with a workspace key, the surfaces the key's role may use, and
// a page per hash route (`#/analytics/dashboard`), so no key or id ever rides in a URL path.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import '../style.css';
import { plain, session } from './api.js';
import { actionsOf, PAGES, SURFACES } from './pages.js';
import { loadSession } from './state.js';
import { Campaigns, Wizard } from './pages/outreach.jsx';
import { Dashboard } from './pages/analytics.jsx';
import { Approvals, Audit, Generic, Keys } from './pages/admin.jsx';

const VIEWS = { wizard: Wizard, campaigns: Campaigns, dashboard: Dashboard, approvals: Approvals, audit: Audit, keys: Keys };

function SignIn({ onIn, error }) {
  const [key, setKey] = useState('');
  return (
    <form class="signin" onSubmit={(e) => { e.preventDefault(); session.set(key.trim()); onIn(); }}>
      <h1>adgate</h1>
      <label class="field"><span>Workspace API key</span><input type="password" name="key" autocomplete="off" value={key} onInput={(e) => setKey(e.target.value)} /></label>
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="submit" class="primary">Sign in</button>
    </form>
  );
}

const route = () => (location.hash.replace(/^#\/?/, '') || '').split('/');

function App() {
  const [s, setS] = useState(null);
  const [error, setError] = useState(null);
  const [at, setAt] = useState(route());
  const start = () => {
    if (!session.key()) return setS(null);
    loadSession().then(setS, (e) => { session.clear(); setS(null); setError(plain(e)); });
  };
  useEffect(() => {
    start();
    const onHash = () => setAt(route());
    const onOut = () => setS(null);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('adgate-signed-out', onOut);
    return () => { window.removeEventListener('hashchange', onHash); window.removeEventListener('adgate-signed-out', onOut); };
  }, []);
  if (!s) return <SignIn onIn={start} error={error} />;
  if (s.role === 'bootstrap') return <p class="form-error">The bootstrap key belongs to the platform operator: sign in with a workspace key.</p>;
  const catalogue = [...s.byName.values()];
  // A page shows when the role may call one of its actions (the admin pages: admins only).
  const visible = PAGES.filter((p) => (p.admin ? s.role === 'admin' : actionsOf(p, catalogue).some(s.may)));
  const page = visible.find((p) => p.surface === at[0] && p.id === at[1]) || visible[0];
  const View = VIEWS[page.id] || Generic;
  const signOut = () => { session.clear(); setS(null); };
  return (
    <div class="app">
      <nav>
        <strong class="brand">adgate</strong>
        {SURFACES.filter((su) => visible.some((p) => p.surface === su.id)).map((su) => (
          <div class="surface" data-surface={su.id}>
            <span>{su.title}</span>
            {visible.filter((p) => p.surface === su.id).map((p) => <a href={`#/${p.surface}/${p.id}`} data-page={p.id} class={p === page ? 'active' : ''}>{p.title}</a>)}
          </div>
        ))}
        <div class="who" data-testid="who">{s.me.member_name || s.me.member_id} · {s.role}<button onClick={signOut}>Sign out</button></div>
      </nav>
      <main data-current-page={page.id}>
        <h2>{page.title}</h2>
        <View key={page.id} s={s} names={actionsOf(page, catalogue)} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app'));
