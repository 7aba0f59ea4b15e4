import type { ReactNode } from 'react';

/** A column heading; a `hidden` one is named for screen readers only (a column of buttons). */
type Column = string | { label: string; hidden?: boolean; className?: string };

/** The dashboard's tables: scrollable wrapper, a caption for screen readers, headings, then the rows given. */
export function DataTable({
  caption,
  columns,
  className,
  children,
}: {
  caption: string;
  columns: Column[];
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const column = typeof c === 'string' ? { label: c } : c;
              return (
                <th key={column.label} scope="col" className={column.className}>
                  {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
