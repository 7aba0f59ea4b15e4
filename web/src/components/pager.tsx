import { useState } from 'react';

interface CursorPages {
  /** The cursor of the page shown; undefined on the first. */
  cursor: string | undefined;
  /** 1-based. */
  page: number;
  newer(): void;
  older(nextCursor: string): void;
  first(): void;
}

/** Pages of a forward-only cursor API with a way back: the cursors of the pages before the current one. */
export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length + 1,
    newer: () => setCursors((c) => c.slice(0, -1)),
    older: (nextCursor) => setCursors((c) => [...c, nextCursor]),
    first: () => setCursors([]),
  };
}

/** "← Newer · Page n · Older →"; `onMove` runs before either move. */
export function Pager({
  pages,
  nextCursor,
  onMove,
}: {
  pages: CursorPages;
  nextCursor: string | null;
  onMove?: () => void;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button
        type="button"
        disabled={pages.page === 1}
        onClick={() => {
          onMove?.();
          pages.newer();
        }}
      >
        ← Newer
      </button>
      <span className="muted">Page {pages.page}</span>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => {
          onMove?.();
          if (nextCursor) pages.older(nextCursor);
        }}
      >
        Older →
      </button>
    </nav>
  );
}
