// Admin Platform: the approvals queue (another person decides), the audit timeline with each
// row's before and after, members and keys (a key shown once), and the governance actions.
import { useEffect, useState } from 'preact/hooks';
import { act, call, plain } from '../api.js';
import { ActionList, Table, when } from '../widgets.jsx';

const G = 'admin_meta_ads_governance';
const parse = (t) => { try { return JSON.parse(t); } catch { return t; } };

export function Approvals({ s, names }) {
  const ws = s.me.workspace_id;
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(null);
  const load = () => call('GET', `/v1/workspaces/${ws}/approvals`).then((r) => setRows(r.body.data), (e) => setError(plain(e)));
  useEffect(() => { load(); }, []);
  const decide = async (id, verdict) => {
    setBusy(id);
    setError(null);
    try {
      await call('POST', `/v1/approvals/${id}/${verdict}`, {});
    } catch (e) {
      setError(plain(e));
    }
    setBusy(null);
    load();
  };
  const pending = (rows || []).filter((r) => r.status === 'pending');
  return (
    <div>
      {error && <p class="form-error" role="alert">{error}</p>}
      <h3>Waiting ({pending.length})</h3>
      {pending.length ? pending.map((r) => (
        <article class="approval" data-approval={r.id} key={r.id}>
          <header><strong>{r.router}/{r.action}</strong> asked by <code>{r.requested_by}</code> {when(r.created_at)} · expires {when(r.expires_at)}</header>
          <p>Why: {(parse(r.reasons_json) || []).join('; ')}</p>
          <details open><summary>The change</summary><pre>{JSON.stringify(parse(r.input_json), null, 2)}</pre></details>
          <button class="primary" disabled={busy === r.id} onClick={() => decide(r.id, 'approve')}>Approve</button>{' '}
          <button disabled={busy === r.id} onClick={() => decide(r.id, 'reject')}>Reject</button>
        </article>
      )) : <p class="empty">Nothing waits for a decision.</p>}
      <h3>Decided</h3>
      <Table testid="decided" rows={(rows || []).filter((r) => r.status !== 'pending')} columns={['id', 'action', 'status', 'requested_by', 'decided_by', 'decided_at']} />
      <ActionList s={s} names={names} />
    </div>
  );
}

export function Audit({ s }) {
  const [filter, setFilter] = useState({ actor: '', action: '', ad_account_id: '', since: '' });
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    const input = Object.fromEntries(Object.entries(filter).filter(([, v]) => v));
    try {
      setRows((await act(G, 'get_audit_events', { ...input, limit: 200 })).body.data);
      setError(null);
    } catch (e) {
      setError(plain(e));
    }
  };
  useEffect(() => { load(); }, []);
  const field = (k, label, type = 'text') => (
    <label class="field inline"><span>{label}</span><input type={type} data-field={k} value={filter[k]} onInput={(e) => setFilter({ ...filter, [k]: e.target.value })} /></label>
  );
  return (
    <div data-action={`${G}/get_audit_events`}>
      <form class="controls" onSubmit={(e) => { e.preventDefault(); load(); }}>
        {field('actor', 'Actor')}{field('action', 'Action')}{field('ad_account_id', 'Ad account')}{field('since', 'Since')}
        <button type="submit">Filter</button>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      <ol class="timeline" data-testid="audit">
        {(rows || []).map((r) => (
          <li data-audit-action={r.action} data-outcome={r.outcome}>
            <time>{when(r.occurred_at)}</time> <strong>{r.action}</strong> by <code>{r.actor}</code> · {r.outcome}{r.ad_account_id ? ` · act_${r.ad_account_id}` : ''}
            {(r.before || r.after) && <Diff before={parse(r.before)} after={parse(r.after)} />}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Before and after side by side, the keys that changed marked. */
function Diff({ before, after }) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  const text = (v) => (v === undefined ? '' : JSON.stringify(v));
  return (
    <table class="diff">
      <thead><tr><th /><th>before</th><th>after</th></tr></thead>
      <tbody>{keys.map((k) => <tr class={text(before?.[k]) === text(after?.[k]) ? '' : 'changed'}><th>{k}</th><td>{text(before?.[k])}</td><td>{text(after?.[k])}</td></tr>)}</tbody>
    </table>
  );
}

export function Keys({ s }) {
  const ws = s.me.workspace_id;
  const [keys, setKeys] = useState(null);
  const [members, setMembers] = useState(null);
  const [shown, setShown] = useState(null);
  const [error, setError] = useState(null);
  const [form, setForm] = useState({ name: '', email: '', role: 'recruiter' });
  // Adding a member is not idempotent on the server: one call at a time, the button held.
  const [busy, setBusy] = useState(false);
  const load = () => Promise.all([call('GET', `/v1/workspaces/${ws}/api-keys`), call('GET', `/v1/workspaces/${ws}/members`)]).then(([k, m]) => { setKeys(k.body.data); setMembers(m.body.data); }, (e) => setError(plain(e)));
  useEffect(() => { load(); }, []);
  const add = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      const r = await call('POST', `/v1/workspaces/${ws}/members`, form);
      setShown(r.body.key?.key || null);
      load();
    } catch (err) {
      setError(plain(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (id) => {
    try {
      await call('POST', `/v1/workspaces/${ws}/api-keys/${id}/revoke`, {});
      load();
    } catch (err) {
      setError(plain(err));
    }
  };
  return (
    <div>
      {error && <p class="form-error" role="alert">{error}</p>}
      {shown && <p class="once" data-testid="new-key">The new key, shown once: <code>{shown}</code></p>}
      <form class="controls" onSubmit={add}>
        <label class="field inline"><span>Name</span><input data-field="name" value={form.name} onInput={(e) => setForm({ ...form, name: e.target.value })} /></label>
        <label class="field inline"><span>Email</span><input data-field="email" value={form.email} onInput={(e) => setForm({ ...form, email: e.target.value })} /></label>
        <label class="field inline"><span>Role</span><select data-field="role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}><option>recruiter</option><option>admin</option></select></label>
        <button type="submit" class="primary" disabled={busy}>Add member with a key</button>
      </form>
      <h3>Members</h3>
      <Table testid="members" rows={members} columns={['id', 'name', 'email', 'role', 'live_keys']} />
      <h3>Keys</h3>
      <Table testid="keys" rows={keys} columns={['id', 'prefix', 'member_id', 'role', 'created_at', 'revoked_at']}
        actions={(k) => (!k.revoked_at && k.id !== s.me.key_id ? <button onClick={() => revoke(k.id)}>Revoke</button> : null)} />
    </div>
  );
}

export function Generic({ s, names }) {
  return <ActionList s={s} names={names} />;
}
