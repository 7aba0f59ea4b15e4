import { describe, expect, it } from 'vitest';
import { LocalLiveBus } from './live-bus.js';
import { LiveHub, type LiveSocket } from './live-hub.js';

class FakeSocket implements LiveSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly received: unknown[] = [];
  send(data: string): void {
    this.received.push(JSON.parse(data));
  }
}

describe('LiveHub', () => {
  it('delivers a message only to the sockets of its tenant', () => {
    const hub = new LiveHub(new LocalLiveBus());
    const mine = new FakeSocket();
    const theirs = new FakeSocket();
    hub.subscribe('t1', mine);
    hub.subscribe('t2', theirs);
    hub.publish('t1', { type: 'event', data: { id: 'evt_1' } });
    expect(mine.received).toEqual([{ type: 'event', data: { id: 'evt_1' } }]);
    expect(theirs.received).toEqual([]);
  });

  it('stops delivering after detach and forgets empty tenants', () => {
    const hub = new LiveHub(new LocalLiveBus());
    const socket = new FakeSocket();
    const detach = hub.subscribe('t1', socket);
    expect(hub.stats().connections).toBe(1);
    detach();
    hub.publish('t1', { type: 'alert', data: {} });
    expect(socket.received).toEqual([]);
    expect(hub.stats().connections).toBe(0);
  });

  it('drops messages for a slow client beyond its buffer, then reports how many it missed', () => {
    const fanOuts: Array<[number, number]> = [];
    const hub = new LiveHub(new LocalLiveBus(), { maxBufferedBytes: 1000, onFanOut: (delivered, dropped) => fanOuts.push([delivered, dropped]) });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.subscribe('t1', slow);
    hub.subscribe('t1', fast);
    slow.bufferedAmount = 5000;
    for (let i = 0; i < 3; i++) hub.publish('t1', { type: 'event', data: { i } });
    expect(fanOuts).toEqual([[1, 1], [1, 1], [1, 1]]);
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
    hub.subscribe('t1', closing);
    hub.subscribe('t1', broken);
    hub.subscribe('t1', healthy);
    expect(() => hub.publish('t1', { type: 'risk', data: { score: 0.4 } })).not.toThrow();
    expect(closing.received).toEqual([]);
    expect(healthy.received).toEqual([{ type: 'risk', data: { score: 0.4 } }]);
    expect(hub.stats()).toMatchObject({ delivered: 1, dropped: 1 });
  });
});
