// Recruiter Outreach: the campaign wizard (a draft built step by step, checked by Meta, then
// launched, perhaps into an approval) and the campaigns with their pause and resume.
import { useEffect, useState } from 'preact/hooks';
import { act, plain } from '../api.js';
import { ActionForm, Result } from '../form.jsx';
import { AccountPicker, ActionList, Table, useAccounts } from '../widgets.jsx';

const R = 'recruiter_paid_media';

const EMPLOYMENT_LIMITS = [
  'Ages stay 18 to 65+: a job ad may not narrow by age.',
  'No gender targeting.',
  'Places at least 15 miles (25 km) around a city or address; no postal codes.',
  'No lookalike audiences; detailed targeting without demographics or behaviours tied to protected traits.',
];

export function Wizard({ s }) {
  const { accounts, error, account, setAccount } = useAccounts();
  const [draft, setDraft] = useState(null); // { id, revision }
  const [creative, setCreative] = useState({});
  const [done, setDone] = useState({});
  const [check, setCheck] = useState(null);
  const [launch, setLaunch] = useState(null);
  const entry = (a) => s.byName.get(`${R}/${a}`);
  const next = (what) => (r) => {
    setDraft({ id: r.body.draft_id, revision: r.body.revision });
    setDone((d) => ({ ...d, [what]: (d[what] || 0) + 1 }));
    setCheck(null);
  };
  if (error) return <p class="form-error">{error}</p>;
  if (!accounts) return <p>Loading…</p>;
  if (!accounts.length) return <p class="empty">No ad account is bound to this workspace yet: an admin binds one under Integrations.</p>;
  const fixed = draft && { draft_id: draft.id, revision: draft.revision };
  return (
    <div class="wizard">
      <ol class="steps">
        <li class={draft ? 'done' : 'current'}>Campaign</li>
        <li class={done.creative ? 'done' : draft ? 'current' : ''}>Creative</li>
        <li class={done.adset ? 'done' : done.creative ? 'current' : ''}>Ad set</li>
        <li class={check?.valid ? 'done' : done.adset ? 'current' : ''}>Check</li>
        <li class={launch ? 'done' : check?.valid ? 'current' : ''}>Launch</li>
      </ol>
      <section data-step="campaign">
        <h3>1. Campaign {draft && <span class="badge" data-testid="draft-id">draft {draft.id}, revision {draft.revision}</span>}</h3>
        <AccountPicker accounts={accounts} value={account} set={setAccount} />
        <ActionForm entry={entry('create_campaign_draft')} fixed={{ ad_account_id: account, ...(fixed || {}) }} hidden={['draft_id', 'revision']}
          initial={{ campaign: { objective: 'OUTCOME_LEADS', special_ad_categories: ['EMPLOYMENT'] } }} submitLabel={draft ? 'Save campaign' : 'Start draft'} onDone={next('campaign')} />
      </section>
      {draft && (
        <section data-step="creative">
          <h3>2. Creative</h3>
          <details data-action={`${R}/upload_ad_image`}><summary>Upload an image (its hash goes in the creative)</summary><ActionForm entry={entry('upload_ad_image')} fixed={{ ad_account_id: account }} /></details>
          <ActionForm entry={entry('create_creative_draft')} fixed={fixed} initial={{ key: 'main', creative: { call_to_action: 'APPLY_NOW' } }} submitLabel="Save creative" onDone={next('creative')} onChange={(v) => setCreative(v.creative || {})} />
          <Preview creative={creative} />
        </section>
      )}
      {done.creative && (
        <section data-step="adset">
          <h3>3. Ad set</h3>
          <aside class="limits"><strong>Job ads (EMPLOYMENT) on Meta:</strong><ul>{EMPLOYMENT_LIMITS.map((l) => <li>{l}</li>)}</ul></aside>
          <details data-action={`${R}/estimate_audience_reach`}><summary>Estimate the audience's reach</summary><ActionForm entry={entry('estimate_audience_reach')} fixed={{ ad_account_id: account }} initial={{ special_ad_category: 'EMPLOYMENT' }} /></details>
          <details data-action={`${R}/get_targeting_suggestions`}><summary>Targeting suggestions</summary><ActionForm entry={entry('get_targeting_suggestions')} /></details>
          <ActionForm entry={entry('create_ad_set_draft')} fixed={fixed} initial={{ key: 'main', ads: [{ key: 'main-1', name: 'Ad 1', creative_key: 'main' }] }} submitLabel="Save ad set" onDone={next('adset')} />
        </section>
      )}
      {done.adset && (
        <section data-step="check">
          <h3>4. Check with Meta</h3>
          <ActionForm entry={entry('validate_campaign_draft')} fixed={{ draft_id: draft.id }} submitLabel="Validate" onDone={(r) => setCheck(r.body)} />
          {check && (check.valid ? <p class="ok" data-testid="valid">Meta accepts every object of this draft.</p> : (
            <ul class="problems" data-testid="problems">{check.problems.map((p) => <li data-object={p.object}><strong>{p.object}{p.field ? ` · ${p.field}` : ''}</strong>: {p.reason}</li>)}</ul>
          ))}
        </section>
      )}
      {check?.valid && (
        <section data-step="launch">
          <h3>5. Launch</h3>
          <ActionForm entry={entry('launch_campaign_draft')} fixed={fixed} submitLabel="Launch" onDone={(r) => setLaunch(r)} />
          {launch && <Result r={launch} router={R} />}
        </section>
      )}
    </div>
  );
}

/** How the ad reads, from the creative form's fields as typed. */
function Preview({ creative: c }) {
  return (
    <figure class="preview" aria-label="Preview">
      <p>{c.message || 'Primary text'}</p>
      <div class="image">image</div>
      <figcaption><small>{c.link}</small><strong>{c.headline || 'Headline'}</strong><span class="cta">{(c.call_to_action || 'APPLY_NOW').replace(/_/g, ' ')}</span></figcaption>
    </figure>
  );
}

export function Campaigns({ s, names }) {
  const { accounts, account, setAccount } = useAccounts();
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const load = () => account && act(R, 'list_campaigns', { ad_account_id: account }).then((r) => setRows(r.body.data), (e) => setError(plain(e)));
  useEffect(() => { load(); }, [account]);
  const flip = async (row, what) => {
    try {
      await act(R, `${what}_campaign`, { ad_account_id: account, campaign_id: row.id }, crypto.randomUUID());
      load();
    } catch (e) {
      setError(plain(e));
    }
  };
  return (
    <div>
      <AccountPicker accounts={accounts} value={account} set={setAccount} />
      {error && <p class="form-error" role="alert">{error}</p>}
      <div data-action={`${R}/list_campaigns`}>
      <Table testid="campaigns" rows={rows} columns={['id', 'name', 'status', 'objective', 'daily_budget']}
        actions={(r) => (r.status === 'ACTIVE' ? <button onClick={() => flip(r, 'pause')}>Pause</button> : r.status === 'PAUSED' ? <button onClick={() => flip(r, 'resume')}>Resume</button> : null)} />
      </div>
      <ActionList s={s} names={names} skip={[`${R}/list_campaigns`]} />
    </div>
  );
}
