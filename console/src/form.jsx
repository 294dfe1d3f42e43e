// A form drawn from an action's input schema (the catalogue's JSON Schema), so every action a
// person may call has a page without a form written by hand. Each field carries its path
// (`data-field`), so a problem naming a field is shown at that field.
import { useMemo, useRef, useState } from 'preact/hooks';
import { act, newIntent, plain } from './api.js';

const types = (s) => (Array.isArray(s.type) ? s.type : [s.type]);
const nullable = (s) => types(s).includes('null');
const main = (s) => types(s).find((t) => t !== 'null');

/** Drops empty values so optional fields left blank are not sent. */
export function prune(v) {
  if (Array.isArray(v)) return v.length ? v : undefined;
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === '' || v === null ? undefined : v;
}

function Help({ schema }) {
  return schema.description ? <small class="help">{schema.description.replace(/`/g, '')}</small> : null;
}

function ErrorAt({ errors, path }) {
  const e = errors[path];
  return e ? <p class="field-error" role="alert" data-error-for={path}>{e}</p> : null;
}

function Scalar({ schema, path, value, set }) {
  const t = main(schema);
  const id = `f-${path}`;
  if (schema.enum) {
    const options = schema.enum.filter((o) => o !== null);
    return (
      <select id={id} data-field={path} value={value ?? ''} onChange={(e) => set(e.target.value || undefined)}>
        <option value="">—</option>
        {options.map((o) => <option value={o}>{o}</option>)}
      </select>
    );
  }
  if (t === 'boolean') {
    return (
      <select id={id} data-field={path} value={value === undefined ? '' : String(value)} onChange={(e) => set(e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">—</option>
        <option value="true">yes</option>
        <option value="false">no</option>
      </select>
    );
  }
  if (t === 'integer' || t === 'number') {
    return (
      <input id={id} data-field={path} type="number" min={schema.minimum} max={schema.maximum} step={t === 'integer' ? 1 : 'any'} value={value ?? ''}
        onInput={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))} />
    );
  }
  if (schema.contentEncoding === 'base64') {
    const read = (file) => {
      const r = new FileReader();
      r.onload = () => set(String(r.result).split(',')[1]);
      r.readAsDataURL(file);
    };
    return <input id={id} data-field={path} type="file" accept="image/*" onChange={(e) => e.target.files[0] && read(e.target.files[0])} />;
  }
  const kind = schema.format === 'date' ? 'date' : 'text';
  const hint = schema.format === 'date-time' ? '2026-12-01T09:00:00Z' : schema.pattern === '^[A-Z]{2}$' ? 'US' : undefined;
  return <input id={id} data-field={path} type={kind} maxLength={schema.maxLength} placeholder={hint} value={value ?? ''} onInput={(e) => set(e.target.value)} />;
}

/** Arrays of plain values are typed as a comma-separated list; anything deeper as JSON. */
function ListOrJson({ schema, path, value, set, setError }) {
  const items = schema.items || {};
  const simple = schema.type && main(schema) === 'array' && ['string', 'integer', 'number'].includes(main(items));
  const [text, setText] = useState(value === undefined ? '' : simple ? value.join(', ') : JSON.stringify(value, null, 1));
  if (simple) {
    const parse = (t) => t.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (main(items) === 'string' ? x : Number(x)));
    const hint = items.enum ? items.enum.filter(Boolean).join(', ') : items.pattern === '^[A-Z]{2}$' ? 'US, CA' : 'comma-separated';
    return <input data-field={path} type="text" placeholder={hint} value={text} onInput={(e) => { setText(e.target.value); set(e.target.value.trim() ? parse(e.target.value) : undefined); }} />;
  }
  return (
    <textarea data-field={path} rows={4} placeholder={main(schema) === 'array' ? '[ ... ]' : '{ ... }'} value={text}
      onInput={(e) => {
        setText(e.target.value);
        if (!e.target.value.trim()) return set(undefined), setError(path, null);
        try {
          set(JSON.parse(e.target.value));
          setError(path, null);
        } catch {
          setError(path, 'is not valid JSON');
        }
      }} />
  );
}

export function Field({ name, schema, path, value, set, errors, setError, required }) {
  const t = main(schema);
  if (t === 'object' && schema.properties) {
    return (
      <fieldset data-field={path}>
        <legend>{name}{required ? ' *' : ''}</legend>
        <Help schema={schema} />
        <ErrorAt errors={errors} path={path} />
        <Fields schema={schema} path={path} value={value || {}} set={set} errors={errors} setError={setError} />
      </fieldset>
    );
  }
  const deep = t === 'object' || t === 'array';
  return (
    <label class="field" for={`f-${path}`}>
      <span>{name}{required ? ' *' : ''}</span>
      {deep ? <ListOrJson schema={schema} path={path} value={value} set={set} setError={setError} /> : <Scalar schema={schema} path={path} value={value} set={set} />}
      <Help schema={schema} />
      <ErrorAt errors={errors} path={path} />
    </label>
  );
}

export function Fields({ schema, path, value, set, errors, setError }) {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties || {}).map(([k, s]) => {
    const p = path ? `${path}.${k}` : k;
    return <Field key={p} name={k} schema={s} path={p} value={value[k]} required={required.has(k) && !nullable(s)}
      set={(x) => set({ ...value, [k]: x })} errors={errors} setError={setError} />;
  });
}

/** Where a problem's field goes: the field itself, else its nearest enclosing field. */
export function placeFor(field, paths) {
  if (!field) return null;
  const norm = field.replace(/\[(\d+)\]/g, '.$1').replace(/^input\./, '');
  let best = null;
  for (const p of paths) if ((norm === p || norm.startsWith(`${p}.`)) && (!best || p.length > best.length)) best = p;
  return best;
}

const pathsOf = (schema, path = '') =>
  Object.entries(schema.properties || {}).flatMap(([k, s]) => {
    const p = path ? `${path}.${k}` : k;
    return [p, ...pathsOf(s, p)];
  });

/**
 * One catalogue action as a form. A mutation carries one idempotency key per intended change:
 * the same key until the input changes, so a double click or a retry acts once.
 */
export function ActionForm({ entry, initial, fixed, submitLabel, onDone, onChange, hidden = [] }) {
  const [value, setValue] = useState(initial || {});
  const [errors, setErrors] = useState({});
  const [top, setTop] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const intent = useRef(newIntent());
  const paths = useMemo(() => pathsOf(entry.input_schema), [entry]);
  const mutation = entry.requires_idempotency_key;
  const edit = (v) => {
    intent.current = newIntent();
    setValue(v);
    onChange?.(v);
  };
  const setError = (p, e) => setErrors((old) => ({ ...old, [p]: e }));
  const submit = async (ev) => {
    ev.preventDefault();
    setErrors({});
    setTop(null);
    setBusy(true);
    try {
      const r = await act(entry.router, entry.action, { ...(prune(value) || {}), ...(fixed || {}) }, mutation ? intent.current : undefined);
      setResult(r);
      onDone?.(r, value);
    } catch (e) {
      const at = placeFor(e.field, paths);
      if (at) setErrors({ [at]: `${e.field === at ? '' : `${e.field}: `}${(e.body.detail || '').replace(`${e.field}: `, '')}` });
      else setTop(plain(e));
    } finally {
      setBusy(false);
    }
  };
  const gone = [...hidden, ...Object.keys(fixed || {})];
  const schema = { ...entry.input_schema, properties: Object.fromEntries(Object.entries(entry.input_schema.properties || {}).filter(([k]) => !gone.includes(k))) };
  return (
    <form class="action-form" data-form={`${entry.router}/${entry.action}`} onSubmit={submit}>
      <Fields schema={schema} path="" value={value} set={edit} errors={errors} setError={setError} />
      {top && <p class="form-error" role="alert">{top}</p>}
      <button type="submit" disabled={busy} class={entry.risk_tier === 'read' ? '' : 'primary'}>
        {busy ? 'Working…' : submitLabel || (mutation ? 'Run' : 'Show')}
      </button>
      {result && !onDone && <Result r={result} router={entry.router} />}
    </form>
  );
}

/** An answer; a suggestion offers its apply, and an applied change its undo (one intent each). */
export function Result({ r, router }) {
  const held = r.status === 202 && r.body?.status === 'pending_approval';
  const [follow, setFollow] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const intent = useRef(newIntent());
  const next = r.body?.apply_with ? ['Apply', r.body.apply_with] : r.body?.rollback_with ? ['Undo', r.body.rollback_with] : null;
  const go = async () => {
    setBusy(true);
    try {
      setFollow(await act(router, next[1].action, next[1].input, intent.current));
    } catch (e) {
      setError(plain(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="result" data-status={r.status}>
      {held && <p class="held" data-testid="held">Waiting for approval: {(r.body.approval?.reasons || []).join('; ') || 'this change needs a second person'}.</p>}
      {r.body?.freshness && <Freshness body={r.body} />}
      <pre>{JSON.stringify(r.body, null, 2)}</pre>
      {next && router && !follow && <button class="primary" data-follow={next[1].action} disabled={busy} onClick={go}>{busy ? 'Working…' : `${next[0]} (${next[1].action})`}</button>}
      {error && <p class="form-error" role="alert">{error}</p>}
      {follow && <Result r={follow} router={router} />}
    </div>
  );
}

/** "Last updated" and "may still change" for any answer read from the mirrors. */
export function Freshness({ body }) {
  const at = body.freshness?.insights_synced_at;
  return (
    <p class="freshness" data-testid="freshness">
      Last updated {at ? new Date(at).toLocaleString() : 'never'}
      {body.may_change_from && <> · figures from {body.may_change_from} may still change (attribution window)</>}
    </p>
  );
}
