import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCidrs, parseCidr } from '../../src/config/cidr.js';

const VALID: { input: string; text: string; family: 4 | 6; prefix: number; hostBitsSet?: boolean }[] = [
  { input: '10.0.0.0/8', text: '10.0.0.0/8', family: 4, prefix: 8 },
  { input: '10.1.2.3/8', text: '10.0.0.0/8', family: 4, prefix: 8, hostBitsSet: true },
  { input: '192.168.1.7', text: '192.168.1.7/32', family: 4, prefix: 32 },
  { input: '0.0.0.0/0', text: '0.0.0.0/0', family: 4, prefix: 0 },
  { input: '1.2.3.4/0', text: '0.0.0.0/0', family: 4, prefix: 0, hostBitsSet: true },
  { input: '255.255.255.255/32', text: '255.255.255.255/32', family: 4, prefix: 32 },
  { input: '172.16.0.0/12', text: '172.16.0.0/12', family: 4, prefix: 12 },
  { input: '::1', text: '::1/128', family: 6, prefix: 128 },
  { input: '::1/128', text: '::1/128', family: 6, prefix: 128 },
  { input: '::/0', text: '::/0', family: 6, prefix: 0 },
  { input: '::', text: '::/128', family: 6, prefix: 128 },
  { input: 'fd00::/8', text: 'fd00::/8', family: 6, prefix: 8 },
  { input: 'FD12:3456:789A::/48', text: 'fd12:3456:789a::/48', family: 6, prefix: 48 },
  { input: '2001:0db8:0000:0000:0000:0000:0000:0001', text: '2001:db8::1/128', family: 6, prefix: 128 },
  { input: '2001:db8:0:1:0:0:0:1', text: '2001:db8:0:1::1/128', family: 6, prefix: 128 },
  { input: '2001:db8::/33', text: '2001:db8::/33', family: 6, prefix: 33 },
  { input: '2001:db8:ffff::/33', text: '2001:db8:8000::/33', family: 6, prefix: 33, hostBitsSet: true },
  { input: '1::', text: '1::/128', family: 6, prefix: 128 },
  { input: '1:2:3:4:5:6:7:8', text: '1:2:3:4:5:6:7:8/128', family: 6, prefix: 128 },
  { input: '::ffff:10.0.0.0/104', text: '::ffff:a00:0/104', family: 6, prefix: 104 },
  { input: '::ffff:127.0.0.1', text: '::ffff:7f00:1/128', family: 6, prefix: 128 },
];

describe('parseCidr: valid', () => {
  for (const c of VALID) {
    it(`parses ${c.input}`, () => {
      const got = parseCidr(c.input);
      assert.ok(got.ok, `expected ${c.input} to parse`);
      assert.equal(got.cidr.text, c.text);
      assert.equal(got.cidr.family, c.family);
      assert.equal(got.cidr.prefix, c.prefix);
      assert.equal(got.cidr.hostBitsSet, c.hostBitsSet ?? false);
    });
  }
});

const INVALID: { input: string; reason: string }[] = [
  { input: '', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: 'localhost', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '10.0.0', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '10.0.0.0.0', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '256.0.0.0', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '010.0.0.1', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '10..0.1', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: ' 10.0.0.1', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '10.0.0.0/33', reason: 'the prefix length must be 0-32 for IPv4, got 33' },
  { input: '10.0.0.0/', reason: 'the prefix length must be a decimal number' },
  { input: '10.0.0.0/08', reason: 'the prefix length must be a decimal number' },
  { input: '10.0.0.0/-1', reason: 'the prefix length must be a decimal number' },
  { input: '10.0.0.0/8/8', reason: 'the prefix length must be a decimal number' },
  { input: '/8', reason: 'not an IPv4 address (four decimal octets 0-255, no leading zeros)' },
  { input: '::1/129', reason: 'the prefix length must be 0-128 for IPv6, got 129' },
  { input: ':::', reason: 'not an IPv6 address' },
  { input: '1::2::3', reason: 'not an IPv6 address' },
  { input: '1:2:3:4:5:6:7:8:9', reason: 'not an IPv6 address' },
  { input: '1:2:3:4:5:6:7', reason: 'not an IPv6 address' },
  { input: '1:2:3:4:5:6:7:8::', reason: 'not an IPv6 address' },
  { input: '12345::', reason: 'not an IPv6 address' },
  { input: 'g::1', reason: 'not an IPv6 address' },
  { input: '1:', reason: 'not an IPv6 address' },
  { input: ':1', reason: 'not an IPv6 address' },
  { input: '::ffff:300.0.0.1', reason: 'not an IPv6 address' },
  { input: '1.2.3.4::', reason: 'not an IPv6 address' },
  { input: 'fe80::1%eth0', reason: 'not an IPv6 address' },
  { input: '[::1]', reason: 'not an IPv6 address' },
];

describe('parseCidr: invalid', () => {
  for (const c of INVALID) {
    it(`rejects ${JSON.stringify(c.input)}`, () => {
      assert.deepEqual(parseCidr(c.input), { ok: false, reason: c.reason });
    });
  }
});

const MATCHES: { name: string; cidrs: string[]; yes: string[]; no: string[] }[] = [
  {
    name: 'defaults: loopback only',
    cidrs: ['127.0.0.1/32', '::1/128'],
    yes: ['127.0.0.1', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', '::FFFF:127.0.0.1'],
    no: ['127.0.0.2', '10.0.0.1', '::2', '::ffff:127.0.0.2', '::127.0.0.1', ''],
  },
  {
    name: '/8 block',
    cidrs: ['10.0.0.0/8'],
    yes: ['10.0.0.0', '10.255.255.255', '10.1.2.3', '::ffff:10.9.9.9', '::ffff:a01:203'],
    no: ['11.0.0.0', '9.255.255.255', '::a01:203', '2001:db8::1'],
  },
  { name: '/0 matches every IPv4 address, not IPv6', cidrs: ['0.0.0.0/0'], yes: ['0.0.0.0', '255.255.255.255', '8.8.8.8', '::ffff:1.2.3.4'], no: ['::1', '2001:db8::1'] },
  { name: '::/0 matches every IPv6 address, and IPv4 as mapped', cidrs: ['::/0'], yes: ['::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '1.2.3.4'], no: ['nope'] },
  { name: '/32 is one address', cidrs: ['192.168.1.7/32'], yes: ['192.168.1.7'], no: ['192.168.1.6', '192.168.1.8'] },
  { name: 'bare address is /32', cidrs: ['192.168.1.7'], yes: ['192.168.1.7'], no: ['192.168.1.70'] },
  { name: '/31', cidrs: ['192.168.1.6/31'], yes: ['192.168.1.6', '192.168.1.7'], no: ['192.168.1.5', '192.168.1.8'] },
  { name: '/128 is one address', cidrs: ['2001:db8::7/128'], yes: ['2001:db8::7', '2001:DB8:0:0:0:0:0:7'], no: ['2001:db8::6', '2001:db8::8'] },
  {
    name: '/33 crosses a word boundary',
    cidrs: ['2001:db8:8000::/33'],
    yes: ['2001:db8:8000::1', '2001:db8:ffff:ffff::'],
    no: ['2001:db8:7fff:ffff:ffff:ffff:ffff:ffff', '2001:db9::'],
  },
  { name: '/64', cidrs: ['fd00:1:2:3::/64'], yes: ['fd00:1:2:3::1', 'fd00:1:2:3:ffff:ffff:ffff:ffff'], no: ['fd00:1:2:4::1'] },
  { name: '/96 boundary', cidrs: ['64:ff9b::/96'], yes: ['64:ff9b::1.2.3.4', '64:ff9b::ffff:ffff'], no: ['64:ff9b::1:0:0'] },
  { name: 'mapped CIDR matches plain IPv4 too', cidrs: ['::ffff:10.0.0.0/104'], yes: ['10.1.1.1', '::ffff:10.1.1.1'], no: ['11.1.1.1'] },
  { name: 'zone id ignored', cidrs: ['fe80::/10'], yes: ['fe80::1%eth0', 'febf::1'], no: ['fec0::1', 'fe8'] },
  { name: 'empty list matches nothing', cidrs: [], yes: [], no: ['127.0.0.1', '::1'] },
  {
    name: 'garbage never matches, even with /0',
    cidrs: ['0.0.0.0/0', '::/0'],
    yes: [],
    no: ['', ' ', 'localhost', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1.2.3.4 ', ':::', '1::2::3', '[::1]', '::1/128', '1.2.3.4/32', 'x'.repeat(100), '%', '::%', 'g::'],
  },
];

describe('compileCidrs: table', () => {
  for (const c of MATCHES) {
    it(c.name, () => {
      const match = compileCidrs(c.cidrs);
      for (const ip of c.yes) assert.equal(match(ip), true, `${ip} should match ${c.cidrs.join(',')}`);
      for (const ip of c.no) assert.equal(match(ip), false, `${ip} should not match ${c.cidrs.join(',')}`);
    });
  }
});

describe('compileCidrs: robustness', () => {
  it('does not throw for non-string input', () => {
    const match = compileCidrs(['0.0.0.0/0']);
    for (const bad of [undefined, null, 1, {}] as unknown[]) assert.equal(match(bad as string), false);
  });

  it('throws a TypeError on an invalid CIDR at compile time', () => {
    assert.throws(() => compileCidrs(['10.0.0.0/8', 'nope']), { name: 'TypeError', message: 'invalid CIDR "nope": not an IPv4 address (four decimal octets 0-255, no leading zeros)' });
  });

  it('agrees with a slow reference matcher on random addresses', () => {
    const cidrs = ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12', '100.64.0.0/10'];
    const match = compileCidrs(cidrs);
    const inRef = (a: number): boolean => cidrs.some((c) => {
      const [net, p] = c.split('/') as [string, string];
      const n = net.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
      const size = 2 ** (32 - Number(p));
      return Math.floor(a / size) === Math.floor(n / size);
    });
    let seed = 12345;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // Half of the addresses start inside one of the blocks' first octets, so both answers are exercised.
      const first = i % 2 === 0 ? [10, 192, 172, 100][(i / 2) % 4]! : seed % 256;
      const a = first * 2 ** 24 + (seed % 2 ** 24);
      const ip = `${Math.floor(a / 2 ** 24)}.${Math.floor(a / 2 ** 16) % 256}.${Math.floor(a / 256) % 256}.${a % 256}`;
      assert.equal(match(ip), inRef(a), ip);
    }
  });
});
