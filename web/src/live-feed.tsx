import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api } from './api.client.js';
import type { LiveMessage } from './api.types.js';

export type LiveStatus = 'connecting' | 'live' | 'offline';

interface LiveFeed {
  status: LiveStatus;
  subscribe(listener: (message: LiveMessage) => void): () => void;
}

const LiveContext = createContext<LiveFeed>({ status: 'offline', subscribe: () => () => undefined });

/** WebSocket close code the server uses when the session the feed stood on ended. */
const SESSION_ENDED = 1008;

/**
 * One WebSocket per signed-in tab, authenticated by the session cookie the browser sends with the
 * upgrade (the server checks its Origin); reconnects with capped backoff.
 */
export function LiveFeedProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const listeners = useRef(new Set<(message: LiveMessage) => void>());

  useEffect(() => {
    let socket: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setStatus('connecting');
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
      socket = new WebSocket(url, ['paylens']);
      socket.onmessage = (event) => {
        let message: LiveMessage;
        try {
          message = JSON.parse(String(event.data)) as LiveMessage;
        } catch {
          return;
        }
        if (message.type === 'ready') {
          attempt = 0;
          setStatus('live');
        }
        for (const listener of listeners.current) listener(message);
      };
      socket.onclose = (event) => {
        if (stopped) return;
        setStatus('offline');
        // The session ended (signed out elsewhere, disabled, role changed): asking who we are answers 401,
        // which takes the dashboard back to sign-in.
        if (event.code === SESSION_ENDED) void api('/v1/me').catch(() => undefined);
        attempt += 1;
        timer = setTimeout(connect, Math.min(15_000, 500 * 2 ** attempt));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, []);

  const subscribe = useCallback((listener: (message: LiveMessage) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo(() => ({ status, subscribe }), [status, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** Calls `onMessage` for every live message while the component is mounted. */
export function useLive(onMessage: (message: LiveMessage) => void): void {
  const { subscribe } = useContext(LiveContext);
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => subscribe((m) => handler.current(m)), [subscribe]);
}
