// Package capture turns packet captures into application frames: it reads
// pcap and pcapng files, decodes the link, IP, UDP and TCP layers, reassembles
// IP fragments and TCP streams, and splits ppl's u32 length-prefixed TCP
// framing (wire.NextFrame). Each Frame carries the capture time, the 5-tuple,
// the transport and the application payload; decoding the payload itself is
// lib/wire's job.
//
// Formats. Classic pcap (all four magics: micro- and nanosecond resolution,
// either byte order; gzip-compressed files too) has its file header checked
// by gopacket's pcapgo.Reader, and its records sliced straight out of the
// read buffer: pcapgo's record reader copies each header and packet out of
// it and builds a time.Time per record, which cost as much as decoding the
// packet's layers. pcapng is read by this package's own block reader: pcapgo's
// NgReader neither reports the byte offset of a bad block (a *Error must
// name it) nor survives corrupt input (an if_tsresol of 2^-64 divides by
// zero, a huge capture length allocates gigabytes, a short if_filter option
// indexes out of range). Timestamps follow each interface's if_tsresol and
// if_tsoffset options exactly (integer arithmetic, no float).
//
// Link types: Ethernet (1, with 802.1Q/802.1ad tags), Linux cooked SLL (113)
// and SLL2 (276; what `tcpdump -i any` writes), raw IP (101, and DLT_RAW's
// 12 and 14), raw IPv4 (228) and IPv6 (229), BSD loopback NULL (0, family in
// the writer's byte order) and LOOP (108, network order).
//
// Hot path. Link headers are fixed offsets and are parsed by hand (gopacket
// v1.1.19 has no SLL2 and its LinuxSLL slices past the packet on a bad
// address length); IPv4, IPv6, UDP and TCP go through a chain of reused
// gopacket layers' DecodeFromBytes calls, except that an IPv4 header without
// options and a UDP header whose lengths are sound and fully captured (nearly
// every packet) are read by hand, to the same fields (tested against
// gopacket). pcap records are parsed out of a window on the whole read
// buffer, which is given back only when it runs out. Nothing is allocated
// per UDP packet: the record buffer, the layers and the returned Frame are
// all reused, so a Frame and its Payload are valid only until the next call
// to Next.
//
// IP fragments (IPv4, and IPv6's fragment header) are reassembled with
// bounded memory: at most maxFragDatagrams datagrams and maxFragBytes bytes
// in flight, each expiring fragTimeout after its first fragment (capture
// time), as RFC 791 §3.2 and RFC 8200 §4.5 describe.
//
// TCP. Each direction of a connection is a stream reassembled by sequence
// number (RFC 9293 §3.10.7.4 ordering, with serial-number comparison as in
// RFC 1982): out-of-order segments wait in a bounded queue, retransmitted and
// overlapping bytes are trimmed, FIN or RST ends the stream. A stream whose
// SYN was not captured starts at its first segment and, since that segment
// may start inside a frame, looks for a plausible frame start: a u32 length
// L in [24, wire.MaxFrameSize] followed by the ppl magic e9 03 and a body_len
// equal to L−24. A connection seen from its SYN whose first bytes are not
// a length prefix followed by e9 03 is another protocol (HTTP, …): its first
// bytes come out as one frame without an error, like a UDP datagram of
// another protocol, and the rest of it is only scanned for frame starts. A
// TCP frame carries the number and time of the packet whose segment
// completed it.
//
// Bad input. A truncated or corrupt file yields every frame before the fault,
// then a *Error naming the file, the byte offset of the bad record and its
// packet number. A malformed IP, UDP or TCP packet becomes a Frame with Err
// set and the whole captured packet in Payload; a TCP framing fault becomes a
// Frame with Err set and the unframeable stream bytes in Payload.
package capture
