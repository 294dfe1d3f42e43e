// Pieces every page uses: the catalogue's actions as collapsible forms, a table of rows, and the
// ad account picker.
import { useEffect, useState } from 'preact/hooks';
import { act, plain } from './api.js';
import { ActionForm } from './form.jsx';

/** Every action of a page the role may call, each as its own form (`data-action` names it). */
export function ActionList({ s, names, skip = [] }) {
  const shown = names.filter((n) => s.may(n) && !skip.includes(n));
  if (!shown.length) return null;
  return (
    <section class="actions">
      <h3>Actions</h3>
      {shown.map((n) => {
        const e = s.byName.get(n);
        return (
          <details data-action={n} key={n}>
            <summary><code>{e.action}</code> <span class={`tier tier-${e.risk_tier}`}>{e.risk_tier.replace('_', ' ')}</span> {e.summary}</summary>
            <ActionForm entry={e} />
          </details>
        );
      })}
    </section>
  );
}

export function Table({ rows, columns, actions, testid }) {
  if (!rows?.length) return <p class="empty">Nothing yet.</p>;
  const cols = columns || Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object');
  return (
    <table data-testid={testid}>
      <thead><tr>{cols.map((c) => <th>{c}</th>)}{actions && <th />}</tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr data-row={r.id || r.object_id}>
            {cols.map((c) => <td data-col={c}>{r[c] === null || r[c] === undefined ? '' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c])}</td>)}
            {actions && <td class="row-actions">{actions(r)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Dates as the recruiter reads them. */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : 'never');

/** The workspace's bound ad accounts and the one chosen (the first until the person picks). */
export function useAccounts() {
  const [accounts, setAccounts] = useState(null);
  const [error, setError] = useState(null);
  const [account, setAccount] = useState('');
  useEffect(() => {
    act('recruiter_paid_media', 'list_ad_accounts', {}).then(
      (r) => {
        setAccounts(r.body.data || []);
        setAccount((chosen) => chosen || r.body.data?.[0]?.id || '');
      },
      (e) => setError(plain(e)),
    );
  }, []);
  return { accounts, error, account, setAccount };
}

export function AccountPicker({ accounts, value, set }) {
  return (
    <label class="field inline">
      <span>Ad account</span>
      <select data-field="ad_account_id" value={value} onChange={(e) => set(e.target.value)}>
        {(accounts || []).map((a) => <option value={a.id}>{a.name || a.id} ({a.currency})</option>)}
      </select>
    </label>
  );
}
