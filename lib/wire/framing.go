package wire

import "encoding/binary"

// MaxFrameSize bounds a TCP frame's length prefix. A prefix beyond it means
// the stream is not (or no longer) framed as ppl: the largest frame the spec
// allows is a 24-byte header plus a 65535-byte body.
const MaxFrameSize = 24 + 0xffff

// NextFrame splits the next u32 length-prefixed frame off a ppl TCP stream.
// It returns the frame (aliasing stream) and the number of bytes consumed
// (prefix included). When stream does not yet hold a whole frame it returns
// n == 0 and a nil error: the caller keeps the bytes and waits for more. A
// length prefix of zero or beyond MaxFrameSize returns a *DecodeError of
// class ErrFrameTooLarge (or ErrLengthMismatch for zero), with n == 0.
func NextFrame(stream []byte) (frame []byte, n int, err error) {
	if len(stream) < 4 {
		return nil, 0, nil
	}
	size := binary.LittleEndian.Uint32(stream)
	if size == 0 {
		return nil, 0, &DecodeError{System: SystemPPL, Class: ErrLengthMismatch, Offset: 0, Field: "tcp length prefix"}
	}
	if size > MaxFrameSize {
		return nil, 0, &DecodeError{System: SystemPPL, Class: ErrFrameTooLarge, Offset: 0, Field: "tcp length prefix"}
	}
	end := 4 + int(size)
	if len(stream) < end {
		return nil, 0, nil
	}
	return stream[4:end], end, nil
}

// AppendFrame appends frame to dst with its u32 length prefix, as a ppl TCP
// stream carries it.
func AppendFrame(dst, frame []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(frame)))
	return append(dst, frame...)
}
