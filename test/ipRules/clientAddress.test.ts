import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { clientAddress, trustedProxies, UNKNOWN_ADDRESS } from '../../app/domain/clientAddress.ts';
import { clientAddressMiddleware } from '../../app/http/clientAddress.ts';
import type { ParleyState } from '../../app/http/context.ts';

// The one place the client address is derived, for HTTP and sockets alike.

const none = trustedProxies([]);
const lb = trustedProxies(['10.0.0.5', '10.1.0.0/16', 'fd00:1::/64']);

describe('client address without trusted proxies', () => {
  it('is the peer, whatever X-Forwarded-For says', () => {
    expect(clientAddress('198.51.100.7', '203.0.113.9', none)).toBe('198.51.100.7');
    expect(clientAddress('198.51.100.7', ['203.0.113.9', '10.0.0.1'], none)).toBe('198.51.100.7');
  });

  it('writes an IPv4-mapped IPv6 peer as IPv4 and IPv6 in its canonical form', () => {
    expect(clientAddress('::ffff:198.51.100.7', undefined, none)).toBe('198.51.100.7');
    expect(clientAddress('::FFFF:C633:6407', undefined, none)).toBe('198.51.100.7');
    expect(clientAddress('2001:DB8:0:0:0:0:0:1', undefined, none)).toBe('2001:db8::1');
    expect(clientAddress('fe80::1%eth0', undefined, none)).toBe('fe80::1');
  });

  it('is unknown when there is no usable peer address', () => {
    expect(clientAddress(undefined, '203.0.113.9', none)).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress('not-an-ip', undefined, none)).toBe(UNKNOWN_ADDRESS);
  });
});

describe('client address behind trusted proxies', () => {
  it('takes the rightmost entry that is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.5', '203.0.113.9', lb)).toBe('203.0.113.9');
    // client → 10.1.2.3 (trusted) → 10.0.0.5 (peer, trusted)
    expect(clientAddress('10.0.0.5', '203.0.113.9, 10.1.2.3', lb)).toBe('203.0.113.9');
  });

  it('ignores spoofed entries left of the first untrusted hop', () => {
    // The client sent "X-Forwarded-For: 10.0.0.99, 192.0.2.1"; the proxy appended what it saw.
    expect(clientAddress('10.0.0.5', '10.0.0.99, 192.0.2.1, 198.51.100.20', lb)).toBe(
      '198.51.100.20',
    );
    // A forged entry that names a trusted proxy is still to the left of the real client.
    expect(clientAddress('10.0.0.5', '10.1.9.9, 198.51.100.20, 10.1.2.3', lb)).toBe(
      '198.51.100.20',
    );
  });

  it('joins several X-Forwarded-For headers in order', () => {
    expect(clientAddress('10.0.0.5', ['192.0.2.1', '198.51.100.20, 10.1.2.3'], lb)).toBe(
      '198.51.100.20',
    );
  });

  it('reads IPv6 and IPv4-mapped entries, and entries with a port', () => {
    expect(clientAddress('fd00:1::2', '2001:DB8::7', lb)).toBe('2001:db8::7');
    expect(clientAddress('::ffff:10.0.0.5', '::ffff:203.0.113.9', lb)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.5', '203.0.113.9:51234', lb)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.5', '[2001:db8::7]:443', lb)).toBe('2001:db8::7');
  });

  it('is the peer when the proxy sent no header, the leftmost when every hop is trusted', () => {
    expect(clientAddress('10.0.0.5', undefined, lb)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', ' , ', lb)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', '10.1.0.1, 10.1.0.2', lb)).toBe('10.1.0.1');
  });

  it('is unknown when a hop it has to believe is not an address', () => {
    expect(clientAddress('10.0.0.5', 'unknown', lb)).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress('10.0.0.5', '203.0.113.9, 127.1', lb)).toBe(UNKNOWN_ADDRESS);
    // Garbage left of the real client is never reached.
    expect(clientAddress('10.0.0.5', '<script>, 203.0.113.9', lb)).toBe('203.0.113.9');
  });

  it('trusts only the configured ranges', () => {
    expect(clientAddress('10.2.0.1', '203.0.113.9', lb)).toBe('10.2.0.1');
    expect(clientAddress('fd00:2::1', '203.0.113.9', lb)).toBe('fd00:2::1');
  });

  it('refuses a trusted-proxy list it cannot read', () => {
    expect(() => trustedProxies(['10.0.0.1/8'])).toThrow(/host bits/);
    expect(() => trustedProxies(['proxy.example'])).toThrow(/not an IPv4 or IPv6/);
  });
});

describe('the client address middleware', () => {
  it('puts the address on ctx.state.clientIp and on ctx.ip, so nothing reads the raw peer', async () => {
    const app = (trusted: string[]) => {
      const koa = new Koa<ParleyState>();
      koa.use(clientAddressMiddleware(trustedProxies(trusted)));
      koa.use((ctx) => {
        ctx.body = { state: ctx.state.clientIp, ip: ctx.ip, ips: ctx.ips };
      });
      return koa.callback();
    };
    const behindProxy = await request(app(['127.0.0.1', '::1']))
      .get('/')
      .set('X-Forwarded-For', '192.0.2.1, 203.0.113.9');
    expect(behindProxy.body).toEqual({ state: '203.0.113.9', ip: '203.0.113.9', ips: [] });
    const direct = await request(app([])).get('/').set('X-Forwarded-For', '203.0.113.9');
    expect(direct.body.ip).toBe(direct.body.state);
    expect(['127.0.0.1', '::1']).toContain(direct.body.state);
  });
});
