import { describe, expect, it } from 'vitest';
import { LocalLiveBus } from './live-bus.js';
import { CLOSE_KEY_ENDED, LiveHub, type LiveSocket } from './live-hub.js';

class FakeSocket implements LiveSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly received: unknown[] = [];
  closed: { code?: number; reason?: string } | null = null;
  send(data: string): void {
    this.received.push(JSON.parse(data));
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }
}

describe('LiveHub', () => {
  it('delivers a message only to the sockets of its tenant', () => {
    const hub = new LiveHub(new LocalLiveBus());
    const mine = new FakeSocket();
    const theirs = new FakeSocket();
    hub.subscribe('t1', mine, 'key_1', 'api_key');
    hub.subscribe('t2', theirs, 'key_2', 'api_key');
    hub.publish('t1', { type: 'event', data: { id: 'evt_1' } });
    expect(mine.received).toEqual([{ type: 'event', data: { id: 'evt_1' } }]);
    expect(theirs.received).toEqual([]);
  });

  it('stops delivering after detach and forgets empty tenants', () => {
    const hub = new LiveHub(new LocalLiveBus());
    const socket = new FakeSocket();
    const detach = hub.subscribe('t1', socket, 'key_1', 'api_key');
    expect(hub.stats().connections).toBe(1);
    detach();
    hub.publish('t1', { type: 'alert', data: {} });
    expect(socket.received).toEqual([]);
    expect(hub.stats().connections).toBe(0);
  });

  it('drops messages for a slow client beyond its buffer, then reports how many it missed', () => {
    const fanOuts: Array<[number, number]> = [];
    const hub = new LiveHub(new LocalLiveBus(), {
      maxBufferedBytes: 1000,
      onFanOut: (delivered, dropped) => fanOuts.push([delivered, dropped]),
    });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.subscribe('t1', slow, 'key_1', 'api_key');
    hub.subscribe('t1', fast, 'key_1', 'api_key');
    slow.bufferedAmount = 5000;
    for (let i = 0; i < 3; i++) hub.publish('t1', { type: 'event', data: { i } });
    expect(fanOuts).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(slow.received).toEqual([]);
    expect(fast.received).toHaveLength(3);
    expect(hub.stats()).toMatchObject({ dropped: 3, delivered: 3 });

    slow.bufferedAmount = 0;
    hub.publish('t1', { type: 'event', data: { i: 3 } });
    expect(slow.received).toEqual([
      { type: 'lagged', data: { dropped: 3 } },
      { type: 'event', data: { i: 3 } },
    ]);
  });

  it('skips sockets that are not open and survives a throwing send', () => {
    const hub = new LiveHub(new LocalLiveBus());
    const closing = new FakeSocket();
    closing.readyState = 2;
    const broken = new FakeSocket();
    broken.send = () => {
      throw new Error('socket gone');
    };
    const healthy = new FakeSocket();
    hub.subscribe('t1', closing, 'key_1', 'api_key');
    hub.subscribe('t1', broken, 'key_1', 'api_key');
    hub.subscribe('t1', healthy, 'key_1', 'api_key');
    expect(() => hub.publish('t1', { type: 'risk', data: { score: 0.4 } })).not.toThrow();
    expect(closing.received).toEqual([]);
    expect(healthy.received).toEqual([{ type: 'risk', data: { score: 0.4 } }]);
    expect(hub.stats()).toMatchObject({ delivered: 1, dropped: 1 });
  });

  it("closes an ended key's sessions only, and tells the key-ended listeners", () => {
    const hub = new LiveHub(new LocalLiveBus());
    const ended: string[] = [];
    hub.onKeyEnded((keyId) => ended.push(keyId));
    const revoked = new FakeSocket();
    const other = new FakeSocket();
    hub.subscribe('t1', revoked, 'key_a', 'api_key');
    hub.subscribe('t1', other, 'key_b', 'api_key');
    hub.endKey('t1', 'key_a');
    expect(revoked.closed).toEqual({ code: CLOSE_KEY_ENDED, reason: 'api key revoked' });
    expect(other.closed).toBeNull();
    expect(ended).toEqual(['key_a']);
    hub.publish('t1', { type: 'event', data: { id: 'evt_2' } });
    expect(revoked.received).toEqual([]);
    expect(other.received).toEqual([{ type: 'event', data: { id: 'evt_2' } }]);
    expect(hub.stats().connections).toBe(1);
  });

  it('closes the sessions whose key the key check no longer finds working', async () => {
    const active = new Set(['key_b']);
    const asked: string[][] = [];
    const hub = new LiveHub(new LocalLiveBus(), {
      maxBufferedBytes: 1000,
      keyCheck: {
        intervalMs: 60_000,
        activeIds: async (ids) => {
          asked.push([...ids].sort());
          return new Set(ids.filter((id) => active.has(id)));
        },
      },
    });
    const expired = new FakeSocket();
    const alive = new FakeSocket();
    hub.subscribe('t1', expired, 'key_a', 'api_key');
    hub.subscribe('t2', alive, 'key_b', 'api_key');
    await hub.checkKeys();
    expect(asked).toEqual([['key_a', 'key_b']]);
    expect(expired.closed).toEqual({ code: CLOSE_KEY_ENDED, reason: 'api key expired or revoked' });
    expect(alive.closed).toBeNull();
    expect(hub.stats().connections).toBe(1);
    await hub.close();
  });

  it("closes a session's feed saying the session ended, whether told or found by the check", async () => {
    const hub = new LiveHub(new LocalLiveBus(), {
      maxBufferedBytes: 1000,
      keyCheck: { intervalMs: 60_000, activeIds: async (ids) => new Set(ids.filter((id) => id !== 'ses_idle')) },
    });
    const signedOut = new FakeSocket();
    const idle = new FakeSocket();
    hub.subscribe('t1', signedOut, 'ses_out', 'session');
    hub.subscribe('t1', idle, 'ses_idle', 'session');
    hub.endKey('t1', 'ses_out');
    expect(signedOut.closed).toEqual({ code: CLOSE_KEY_ENDED, reason: 'session ended' });
    expect(idle.closed).toBeNull();
    await hub.checkKeys();
    expect(idle.closed).toEqual({ code: CLOSE_KEY_ENDED, reason: 'session ended' });
    expect(hub.stats().connections).toBe(0);
    await hub.close();
  });
});
