package wire

import "testing"

func TestParseType(t *testing.T) {
	cases := []struct {
		sys  System
		text string
		want Type
		ok   bool
	}{
		{SystemUnknown, "BUFFER_MAP", BufferMap, true},
		{SystemPPS, "BUFFER_MAP", PPSBufferMap, true},
		{SystemUnknown, "HELLO", PPSHello, true},
		{SystemPPL, "HELLO", 0, false},
		{SystemUnknown, "0x4400", BufferMap, true},
		{SystemUnknown, "0X4322", PPSBufferMap, true},
		{SystemUnknown, "17408", BufferMap, true},
		{SystemUnknown, "0x44zz", 0, false},
		{SystemUnknown, "0x10000", 0, false},
		{SystemUnknown, "65536", 0, false},
		{SystemUnknown, "-1", 0, false},
		{SystemUnknown, "", 0, false},
		{SystemUnknown, "buffer_map", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseType(c.sys, c.text)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseType(%v, %q) = %#x, %v; want %#x, %v", c.sys, c.text, uint16(got), ok, uint16(c.want), c.ok)
		}
	}
	for _, sys := range []System{SystemPPL, SystemPPS} {
		for _, typ := range Types(sys) {
			name := TypeName(sys, typ)
			if got, ok := ParseType(sys, name); !ok || got != typ {
				t.Errorf("%v: ParseType(TypeName(%#x)) = %#x, %v", sys, uint16(typ), uint16(got), ok)
			}
			if TypeMode(sys, typ) == ModeUnknown {
				t.Errorf("%v %s has no mode", sys, name)
			}
		}
	}
	if s, ok := ParseSystem("pps"); !ok || s != SystemPPS || s.String() != "pps" {
		t.Errorf("ParseSystem(pps) = %v, %v", s, ok)
	}
	if m, ok := ParseMode("vod"); !ok || m != ModeVoD {
		t.Errorf("ParseMode(vod) = %v, %v", m, ok)
	}
}

// lookupType finds exactly the codes a system's table defines: every one
// of them, and no other of the 65536.
func TestLookupTypeEveryCode(t *testing.T) {
	for _, sys := range []System{SystemUnknown, SystemPPL, SystemPPS, SystemUUS} {
		for c := 0; c <= 0xffff; c++ {
			var want typeInfo
			found := false
			for _, ti := range typeTable(sys) {
				if ti.code == Type(c) {
					want, found = ti, true
				}
			}
			if got, ok := lookupType(sys, Type(c)); ok != found || got != want {
				t.Fatalf("lookupType(%v, %#04x) = %v, %v; the table says %v, %v", sys, c, got, ok, want, found)
			}
		}
	}
}
