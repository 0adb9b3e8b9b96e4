// A small hand-made capture whose every byte this file chooses, so the test
// knows the true value of each column without asking peerscope: u32 fields at
// their maximum (do they stay positive once widened to signed int64?), u16
// ports at 65535 (int32), an IPv6 endpoint, nanosecond timestamps (time must
// be truncated to µs), malformed frames (error rows with their raw bytes), a
// header cut short (null channel → __HIVE_DEFAULT_PARTITION__), an undefined
// type code, unrecognised traffic, the uus signature, pps and VoD rows.
// Layouts: ../../shared/spec/wire-format.md (the reference protocol).
import { writeFileSync } from 'node:fs';

const le16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const le32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
const be16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const be32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
const hex = (s) => Buffer.from(s, 'hex');

// ppl frame: magic e9 03, type as written (big-endian bytes), version 1,
// body_len, channel guid, body.
function ppl(type, channel, body, bodyLen = body.length) {
	return Buffer.concat([hex('e903'), be16(type), le16(1), le16(bodyLen), hex(channel), body]);
}

// pps frame: length of the whole payload, type as written, session, channel.
function pps(type, session, channel, body) {
	return Buffer.concat([le16(12 + body.length), be16(type), le32(session), le32(channel), body]);
}

function csum(buf) {
	let s = 0;
	for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
	if (buf.length % 2) s += buf[buf.length - 1] << 8;
	while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
	return ~s & 0xffff;
}

const ip4 = (s) => Buffer.from(s.split('.').map(Number));
function ip6(s) { // full form only: eight groups
	return Buffer.concat(s.split(':').map((g) => be16(parseInt(g, 16))));
}

function ether(type, payload) {
	return Buffer.concat([hex('020000000002'), hex('020000000001'), be16(type), payload]);
}

function udp4(src, sport, dst, dport, payload) {
	const u = Buffer.concat([be16(sport), be16(dport), be16(8 + payload.length), be16(0), payload]);
	const h = Buffer.concat([hex('4500'), be16(20 + u.length), hex('00004000'), hex('4011'), be16(0), ip4(src), ip4(dst)]);
	h.writeUInt16BE(csum(h), 10);
	return ether(0x0800, Buffer.concat([h, u]));
}

function udp6(src, sport, dst, dport, payload) {
	const u = Buffer.concat([be16(sport), be16(dport), be16(8 + payload.length), be16(0), payload]);
	const pseudo = Buffer.concat([ip6(src), ip6(dst), be32(u.length), hex('00000011'), u]);
	u.writeUInt16BE(csum(pseudo) || 0xffff, 6);
	const h = Buffer.concat([hex('60000000'), be16(u.length), hex('1140'), ip6(src), ip6(dst)]);
	return ether(0x86dd, Buffer.concat([h, u]));
}

// The channels: G1 is an ordinary guid; the digits guid looks like a number
// to a hive reader that infers partition types.
export const G1 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const G3 = 'f00dfeedf00dfeedf00dfeedf00dfeed';
export const DIGITS = '00000000000000000000000000000042';
export const PPS_CHANNEL = 4294967295;

const peerID = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const start = 1767225600n; // 2026-01-01T00:00:00Z

// The payloads, in capture order; each becomes one packet at start + i s
// + 123456789 + i ns. `frame` is what the UDP payload is (the raw bytes an
// error row must keep).
export const frames = [
	{ what: 'tracker offsets at u32 max', l4: (p) => udp4('192.0.2.10', 5041, '172.16.0.1', 4004, p),
		payload: ppl(0x0300, G1, Buffer.concat([le32(4294967000), le32(4294967295)])) },
	{ what: 'handshake, u32 client version and u16 ports at max', l4: (p) => udp4('10.1.0.2', 4004, '172.16.0.1', 4004, p),
		payload: ppl(0x4901, G1, Buffer.concat([hex(peerID), le16(65535), le16(65534), le32(4294967295)])) },
	{ what: 'buffer map over IPv6, offset near u32 max', l4: (p) => udp6('2001:0db8:0000:0000:0000:0000:0000:0001', 4004, '2001:0db8:0000:0000:0000:0000:0000:0002', 4004, p),
		payload: ppl(0x4400, G1, Buffer.concat([le32(4294967280), le16(13), le32(4294967295), le32(7), le16(65535), le16(0), hex('f50e')])) },
	{ what: 'chunk request at u32 max', l4: (p) => udp4('172.16.0.1', 4004, '10.1.0.2', 4004, p),
		payload: ppl(0x5200, G1, Buffer.concat([le32(4294967295), le16(65535), le16(1)])) },
	{ what: 'buffer map whose body_len disagrees', l4: (p) => udp4('10.1.0.3', 4004, '172.16.0.1', 4004, p),
		payload: ppl(0x4400, G1, Buffer.concat([le32(1), le16(8), le32(0), le32(0), le16(0), le16(0), hex('ff')]), 99) },
	{ what: 'ppl header cut short', l4: (p) => udp4('10.1.0.4', 4004, '172.16.0.1', 4004, p),
		payload: hex('e9034400010000000000') },
	{ what: 'buffer map with pad bits set', l4: (p) => udp4('10.1.0.5', 4004, '172.16.0.1', 4004, p),
		payload: ppl(0x4400, G1, Buffer.concat([le32(100), le16(4), le32(0), le32(0), le16(0), le16(0), hex('ff')])) },
	{ what: 'undefined ppl type 0x7700', l4: (p) => udp4('10.1.0.6', 4004, '172.16.0.1', 4004, p),
		payload: ppl(0x7700, G3, hex('0102030405')) },
	{ what: 'IPv4 header cut short', raw: ether(0x0800, hex('45000054000040004011')) },
	{ what: 'unrecognised UDP payload', l4: (p) => udp4('198.51.100.7', 53, '172.16.0.1', 53000, p),
		payload: hex('00ff00ff00ff') },
	{ what: 'pps buffer map, channel u32 max', l4: (p) => udp4('10.2.0.9', 17788, '172.16.0.1', 17788, p),
		// start 77, sub 4, nchunks 3: sub-chunks 0-3 and 8-11 set, 4-7 half → chunks 0 and 2 held.
		payload: pps(0x4322, 7, PPS_CHANNEL, Buffer.concat([le32(77), Buffer.from([4]), le16(3), hex('3f0f')])) },
	{ what: 'pps peer list of two', l4: (p) => udp4('10.2.0.9', 17788, '172.16.0.1', 17788, p),
		payload: pps(0x4309, 7, PPS_CHANNEL, Buffer.concat([le16(2), ip4('10.2.0.10'), le16(17788), le16(0), ip4('10.2.0.11'), le16(65535), le16(65535)])) },
	{ what: 'VoD bitfield', l4: (p) => udp4('10.3.0.1', 4004, '172.16.0.1', 4004, p),
		payload: ppl(0x1400, G3, Buffer.concat([le32(0), le16(10), hex('0f02')])) },
	{ what: 'uus signature', l4: (p) => udp4('10.4.0.1', 5000, '172.16.0.1', 5000, p),
		payload: Buffer.concat([hex('09090801'), Buffer.alloc(20, 0x5a)]) },
];

// The digits capture: one buffer map on a channel whose guid is all digits.
export const digitFrames = [
	{ what: 'buffer map on a digit-only guid', l4: (p) => udp4('10.1.0.2', 4004, '172.16.0.1', 4004, p),
		payload: ppl(0x4400, DIGITS, Buffer.concat([le32(5), le16(8), le32(0), le32(0), le16(0), le16(0), hex('01')])) },
];

export function timeNs(i) {
	return (start + BigInt(i)) * 1000000000n + 123456789n + BigInt(i);
}

// A pcap with nanosecond timestamps (magic a1b23c4d), link type Ethernet.
export function writePcap(path, list) {
	const parts = [Buffer.concat([le32(0xa1b23c4d), le16(2), le16(4), le32(0), le32(0), le32(65535), le32(1)])];
	list.forEach((f, i) => {
		const pkt = f.raw ?? f.l4(f.payload);
		const ns = timeNs(i);
		parts.push(le32(Number(ns / 1000000000n)), le32(Number(ns % 1000000000n)), le32(pkt.length), le32(pkt.length), pkt);
	});
	writeFileSync(path, Buffer.concat(parts));
}

if (process.argv[2]) {
	writePcap(`${process.argv[2]}/crafted.pcap`, frames);
	writePcap(`${process.argv[2]}/digits.pcap`, digitFrames);
}
