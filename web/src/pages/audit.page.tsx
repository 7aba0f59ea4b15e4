import { useState } from 'react';
import { api, withQuery } from '../api.client.js';
import type { AuditEntry, ChainReport, Page } from '../api.types.js';
import { DataTable } from '../components/data-table.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { ErrorNote, Loaded } from '../components/states.js';
import { time } from '../format.js';
import { useAction, useApi } from '../use-api.js';

/** Who changed what: the tenant's audit log, and a check of its hash chain. */
export function AuditPage() {
  const pages = useCursorPages();
  const log = useApi<Page<AuditEntry>>(withQuery('/v1/audit', { limit: 50, cursor: pages.cursor }));
  const [report, setReport] = useState<ChainReport | null>(null);
  const action = useAction();
  const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;
  const verify = () => {
    setReport(null);
    return action.run(async () => setReport(await api<ChainReport>('/v1/audit/verify')));
  };
  return (
    <section aria-labelledby="audit-title">
      <header className="page-header">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" onClick={() => void verify()}>
          Verify chain
        </button>
      </header>
      {report ? (
        <p className={`notice ${report.valid ? 'ok' : 'error'}`} role="status">
          {report.valid
            ? `Chain intact: ${entries(report.entries)}, last #${report.last?.seq ?? 0} ${report.last?.hash.slice(0, 12) ?? ''}…`
            : `Chain broken at entry #${report.broken?.seq}: ${report.broken?.reason} (${entries(report.entries)} verified before it).`}
        </p>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
      <Loaded state={log} what="Audit log">
        {(p) =>
          p.data.length === 0 ? (
            <p className="muted">No changes recorded yet.</p>
          ) : (
            <>
              <DataTable
                caption="Audit entries, newest first"
                columns={['#', 'When', 'Action', 'Target', 'By (API key)', 'Hash']}
              >
                {p.data.map((e) => (
                  <tr key={e.id} data-audit-seq={e.seq}>
                    <td className="num">{e.seq}</td>
                    <td>{time(e.at)}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>{e.target ? <code>{e.target}</code> : '—'}</td>
                    <td>
                      <code>{e.actor}</code>
                    </td>
                    <td>
                      <code title={e.hash}>{e.hash.slice(0, 12)}…</code>
                    </td>
                  </tr>
                ))}
              </DataTable>
              <Pager pages={pages} nextCursor={p.nextCursor} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}
