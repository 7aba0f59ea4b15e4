import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/platform/net/address-policy.js';
import { OutboundClient, OutboundError } from '../../src/platform/net/outbound-client.js';
import { startListener, type Listener } from './outbound-listener.js';

/** What the internal service answers: it must never come back in an error. */
const INTERNAL_MARKER = 'INTERNAL-ONLY-c0ffee';
/** This machine's own name: resolved by the system resolver (here to 127.0.0.1), so only the connect-time check can refuse it. */
const LOCAL_NAME = hostname();

describe('outbound address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private 10/8'],
    ['172.16.5.4', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'metadata (link-local)'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['240.0.0.1', 'reserved 240/4'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'documentation'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'unique local fc00::/7'],
    ['fd12:3456::1', 'unique local fc00::/7'],
    ['fe80::1', 'link-local fe80::/10'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['ff02::1', 'multicast ff00::/8'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata, hex form'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
    ['64:ff9b:1::a00:1', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 of loopback'],
    ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['2001:db8::1', 'documentation'],
    ['not-an-ip', 'not an address'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['2001:4860:4860::8888'],
    ['::ffff:8.8.8.8'],
    ['64:ff9b::808:808'],
    ['2002:808:808::1'],
  ])('allows public %s (and public IPv4 behind NAT64/6to4/mapped forms)', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('the outbound client against a real loopback listener', () => {
  let listener: Listener;
  const strict = new OutboundClient({ allowHttp: true, allowPrivate: false });
  const httpsOnly = new OutboundClient({ allowHttp: false, allowPrivate: true });
  const open = new OutboundClient({ allowHttp: true, allowPrivate: true });

  beforeAll(async () => {
    listener = await startListener((req, res) => {
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/landed' }).end(INTERNAL_MARKER);
      if (req.url === '/large') return void res.writeHead(200).end('x'.repeat(4096));
      if (req.url === '/silent') return;
      res.writeHead(500).end(INTERNAL_MARKER);
    });
  });
  afterAll(async () => {
    await listener.close();
    await Promise.all([strict.close(), httpsOnly.close(), open.close()]);
  });

  it('never connects to loopback by address, in any spelling, nor by a name that resolves there', async () => {
    const port = listener.port;
    const spellings = [
      `http://127.0.0.1:${port}/`,
      `http://127.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f.0.0.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
      `http://localhost:${port}/`,
      `http://api.localhost:${port}/`,
      `http://${LOCAL_NAME}:${port}/`,
    ];
    for (const url of spellings) {
      const error = await strict.request(url).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(OutboundError);
      expect((error as OutboundError).reason, url).toBe('refused');
      expect((error as OutboundError).message, url).toMatch(/^refused: /);
    }
    expect(listener.connections()).toBe(0);
  });

  it('refuses plain http unless the operator allows it', async () => {
    await expect(httpsOnly.request(`${listener.url}/`)).rejects.toMatchObject({
      reason: 'refused',
      message: expect.stringContaining('OUTBOUND_ALLOW_HTTP'),
    });
    await expect(strict.request('ftp://example.com/')).rejects.toMatchObject({ reason: 'refused' });
    await expect(strict.request('https://user:pass@example.com/')).rejects.toMatchObject({ reason: 'refused' });
    expect(listener.connections()).toBe(0);
  });

  it('when private addresses are allowed: no redirect is followed, the size is capped, a silent server times out, and no remote text leaks', async () => {
    const redirect = await open.request(`${listener.url}/redirect`);
    expect(redirect.status).toBe(302);
    expect(listener.requests.map((r) => r.url)).not.toContain('/landed');
    await expect(open.request(`${listener.url}/large`, { maxResponseBytes: 1024 })).rejects.toMatchObject({
      reason: 'too_large',
    });
    const started = performance.now();
    await expect(open.request(`${listener.url}/silent`, { timeoutMs: 300 })).rejects.toMatchObject({
      reason: 'timeout',
      message: 'the request timed out',
    });
    expect(performance.now() - started).toBeLessThan(5000);
    const failed = await open.request(`${listener.url}/error`);
    expect(failed.status).toBe(500);
    await expect(open.request('http://127.0.0.1:1/')).rejects.toMatchObject({
      reason: 'unreachable',
      message: 'could not connect or the connection failed',
    });
  });
});
