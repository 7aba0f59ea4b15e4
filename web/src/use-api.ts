import { useCallback, useEffect, useRef, useState } from 'react';
import { api, asApiError, type ApiError } from './api.client.js';

export interface Loadable<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/** Fetches `path` (null = nothing to fetch) and refetches when it changes or on reload(). */
export function useApi<T>(path: string | null): Loadable<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (path === null) return;
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => id === latest.current && setState({ data, error: null, loading: false }),
      (error: unknown) => id === latest.current && setState({ data: null, error: asApiError(error), loading: false }),
    );
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Calls `fn` at most once per `ms` while triggered: coalesces bursts of live messages into one refetch. */
export function useThrottled(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      fnRef.current();
    }, ms);
  }, [ms]);
}

export interface Action {
  /** The last failure, for an ErrorNote; cleared when the next action starts. */
  error: ApiError | null;
  /** Reports a failure found before calling the API (an unparsable form, say). */
  fail(error: ApiError): void;
  /** Runs the action; true when it succeeded, false when it failed (and `error` says why). */
  run(action: () => Promise<void>): Promise<boolean>;
}

/** A user action that calls the API, with its failure kept for display. */
export function useAction(): Action {
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(asApiError(err));
      return false;
    }
  }, []);
  return { error, fail: setError, run };
}
