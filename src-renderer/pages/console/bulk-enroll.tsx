/**
 * Bulk enrollment: N devices named `<prefix><number>`, or the keys of an uploaded CSV (first column; a header
 * line is skipped), into a group, with a token lifetime. Sent in chunks so a batch of thousands shows progress;
 * the answer becomes one CSV download of keys and one-time tokens, held only until this dialog closes.
 */
import { useId, useState } from 'react';
import { useApi, useQuery, settle } from '../../api/context.js';
import type { UiError } from '../../api/context.js';
import type { BulkEnrolledDevice } from '../../../src-shared/api/inventory.js';
import { BULK_MAX } from '../../../src-shared/api/inventory.js';
import { DEVICE_KEY_PATTERN } from '../../../src-shared/codes.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';
import { downloadText } from '../../lib/download.js';

const CHUNK = 1000;

/** Keys from a CSV: the first field of each line, quotes dropped; lines that are not a key (a header) skipped. */
export function keysFromCsv(text: string): string[] {
  const keys: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const first = line.split(',')[0]?.trim().replace(/^"|"$/g, '') ?? '';
    if (DEVICE_KEY_PATTERN.test(first)) keys.push(first);
  }
  return [...new Set(keys)];
}

export function generatedKeys(prefix: string, count: number): string[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
}

export function enrolledCsv(rows: BulkEnrolledDevice[]): string {
  return (
    [
      'device_key,token_code,token_expires_at',
      ...rows.map((r) => `${r.device_key},${r.token_code},${r.token_expires_at}`),
    ].join('\n') + '\n'
  );
}

export function BulkEnroll({ onDone }: { onDone: () => void }) {
  const api = useApi();
  const ids = { count: useId(), prefix: useId(), file: useId(), group: useId(), ttl: useId() };
  const groups = useQuery(() => api.admin.groups.list());
  const [mode, setMode] = useState<'count' | 'csv'>('count');
  const [count, setCount] = useState('10');
  const [prefix, setPrefix] = useState('kiosk-');
  const [fileKeys, setFileKeys] = useState<string[] | null>(null);
  const [group, setGroup] = useState('');
  const [ttlHours, setTtlHours] = useState('24');
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [result, setResult] = useState<BulkEnrolledDevice[] | null>(null);

  const onFile = async (f: File | undefined) => setFileKeys(f ? keysFromCsv(await f.text()) : null);

  const run = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    const n = Number(count);
    if (mode === 'count' && !(Number.isInteger(n) && n >= 1 && n <= BULK_MAX)) {
      setError({ code: 'VALIDATION_ERROR', message: `Count: a whole number from 1 to ${BULK_MAX}` });
      return;
    }
    const keys = mode === 'count' ? generatedKeys(prefix.trim(), n) : (fileKeys ?? []);
    if (keys.length === 0) {
      setError({
        code: 'VALIDATION_ERROR',
        message: 'The file has no device keys (3–64 of A-Z a-z 0-9 . _ -)',
      });
      return;
    }
    const ttl = Math.round(Number(ttlHours) * 3600);
    const out: BulkEnrolledDevice[] = [];
    setProgress({ done: 0, total: keys.length });
    for (let i = 0; i < keys.length; i += CHUNK) {
      const r = await settle(() =>
        api.admin.devices.bulk({
          keys: keys.slice(i, i + CHUNK),
          ...(group ? { group: Number(group) } : {}),
          ...(Number.isFinite(ttl) && ttl > 0 ? { token_ttl_sec: ttl } : {}),
        }),
      );
      if (!r.ok) {
        setError({
          ...r.error,
          message: `${r.error.message} (after ${out.length} of ${keys.length} devices)`,
        });
        break;
      }
      out.push(...r.value.devices);
      setProgress({ done: out.length, total: keys.length });
    }
    setProgress(null);
    if (out.length > 0) {
      setResult(out);
      downloadText('enrollment-tokens.csv', enrolledCsv(out));
    }
  };

  return (
    <div className="card" aria-labelledby="bulk-title" data-testid="bulk-enroll">
      <h3 id="bulk-title">Bulk enrollment</h3>
      {result ? (
        <div className="alert alert-ok" role="alert" data-testid="bulk-result">
          <p>
            {result.length} devices created. Their one-time tokens are in <code>enrollment-tokens.csv</code>,
            shown this once: the server keeps only their hashes.
          </p>
          <div className="row">
            <button type="button" onClick={() => downloadText('enrollment-tokens.csv', enrolledCsv(result))}>
              Download the tokens again
            </button>
            <button
              type="button"
              onClick={() => {
                setResult(null);
                onDone();
              }}
            >
              Done, forget the tokens
            </button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={(e) => void run(e)} aria-label="Bulk enrollment">
          <div className="row" role="radiogroup" aria-label="Devices from">
            <label>
              <input type="radio" checked={mode === 'count'} onChange={() => setMode('count')} /> A number of
              new keys
            </label>
            <label>
              <input type="radio" checked={mode === 'csv'} onChange={() => setMode('csv')} /> Keys from a CSV
              file
            </label>
          </div>
          <div className="row wrap">
            {mode === 'count' ? (
              <>
                <div className="field">
                  <label htmlFor={ids.count}>Number of devices</label>
                  <input
                    id={ids.count}
                    inputMode="numeric"
                    value={count}
                    onChange={(e) => setCount(e.target.value)}
                  />
                </div>
                <div className="field">
                  <label htmlFor={ids.prefix}>Key prefix</label>
                  <input
                    id={ids.prefix}
                    value={prefix}
                    spellCheck={false}
                    onChange={(e) => setPrefix(e.target.value)}
                  />
                </div>
              </>
            ) : (
              <div className="field">
                <label htmlFor={ids.file}>CSV of device keys</label>
                <input
                  id={ids.file}
                  type="file"
                  accept=".csv,text/csv,text/plain"
                  onChange={(e) => void onFile(e.target.files?.[0])}
                />
                {fileKeys && <span className="muted">{fileKeys.length} keys found</span>}
              </div>
            )}
            <div className="field">
              <label htmlFor={ids.group}>Into group</label>
              <select id={ids.group} value={group} onChange={(e) => setGroup(e.target.value)}>
                <option value="">Default group</option>
                {(groups.data?.groups ?? []).map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={ids.ttl}>Token lifetime (hours)</label>
              <input
                id={ids.ttl}
                inputMode="decimal"
                value={ttlHours}
                onChange={(e) => setTtlHours(e.target.value)}
              />
            </div>
          </div>
          <button type="submit" className="primary" disabled={progress !== null}>
            Create devices and download tokens
          </button>
        </form>
      )}
      <div aria-live="polite">
        {progress && <Busy label="Creating devices" done={progress.done} total={progress.total} />}
      </div>
      <ErrorMessage error={error} title="Bulk enrollment stopped" />
    </div>
  );
}
