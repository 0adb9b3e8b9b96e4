package wire_test

import (
	"fmt"

	"github.com/peerscope/peerscope/lib/wire"
)

func ExampleDecoder_DecodeFromBytes() {
	var ch wire.GUID
	copy(ch[:], "livech01")
	bm := &wire.BufferMapBody{Offset: 4155590, Width: 24, UpKbps: 380, DownKbps: 420, Bitmap: []byte{0xff, 0xdf, 0x04}}
	payload := wire.AppendPPL(nil, ch, wire.BufferMap, bm)

	var d wire.Decoder // reuse it for every payload
	if err := d.DecodeFromBytes(payload); err != nil {
		fmt.Println(err)
		return
	}
	b := &d.BufferMap
	scope, _ := wire.Scope(int64(b.Offset), b.Bitmap, int(b.Width))
	fmt.Println(d.System, d.Mode, d.TypeName(), "offset", b.Offset, "width", b.Width)
	fmt.Println("ones", wire.Ones(b.Bitmap, int(b.Width)), "scope", scope, "playable", wire.Playable(b.Bitmap, int(b.Width)))
	// Output:
	// ppl live BUFFER_MAP offset 4155590 width 24
	// ones 16 scope 4155608 playable 13
}

func ExampleDecoder_DecodeFromBytes_malformed() {
	// A 23-bit buffer map whose pad bit 23 is set: malformed, yet its
	// offset and width are still reported.
	bm := &wire.BufferMapBody{Offset: 100, Width: 23, Bitmap: []byte{0xff, 0xff, 0x80}}
	var d wire.Decoder
	err := d.DecodeFromBytes(wire.AppendPPL(nil, wire.GUID{}, wire.BufferMap, bm))
	fmt.Println(err)
	fmt.Println(d.BufferMap.Offset, d.BufferMap.Width)
	// Output:
	// ppl: pad bits set at byte 44 (bitmap)
	// 100 23
}

func ExampleRuns() {
	// A VoD bitfield: chunks 0–19 watched, then a jump to 27–29.
	bm := []byte{0xff, 0xff, 0x0f, 0x38}
	fmt.Println("runs", wire.Runs(bm, 32, 0), "WI", wire.WatchingIndex(bm, 32))
	// Tolerating gaps of up to 7 chunks makes this jumper a smoother.
	fmt.Println("runs with g=7", wire.Runs(bm, 32, 7))
	// Output:
	// runs 2 WI 30
	// runs with g=7 1
}

func ExampleChunkBits() {
	// pps: 6 chunks of 4 sub-chunks; chunks 3 and 5 are incomplete.
	sub := []byte{0xff, 0xdf, 0x0f}
	chunks := wire.ChunkBits(nil, sub, 6, 4)
	fmt.Printf("%06b fill %.4f\n", chunks[0], wire.SubFill(sub, 6, 4))
	// Output:
	// 010111 fill 0.7917
}

func ExampleNextFrame() {
	var stream []byte
	stream = wire.AppendFrame(stream, wire.AppendPPL(nil, wire.GUID{}, wire.Disconnect, &wire.DisconnectBody{Reason: 2}))
	stream = wire.AppendFrame(stream, wire.AppendPPL(nil, wire.GUID{}, wire.VoDKeepalive, nil))
	var d wire.Decoder
	for {
		frame, n, err := wire.NextFrame(stream)
		if err != nil || n == 0 {
			break // a fault, or wait for more bytes
		}
		if d.DecodeFromBytes(frame) == nil {
			fmt.Println(d.TypeName(), len(frame))
		}
		stream = stream[n:]
	}
	// Output:
	// DISCONNECT 25
	// VOD_KEEPALIVE 24
}
