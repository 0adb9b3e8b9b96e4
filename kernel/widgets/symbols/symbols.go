// Package symbols adds the widgets package to the kernel's yaegi symbol
// tables (kernel/symbols.Symbols), so that notebook cells can
//
//	import "github.com/peerscope/peerscope/kernel/widgets"
//
// (or "peerscope/kernel/widgets"). The kernel's own generator covers lib/…
// and a fixed list of packages; this package registers the widgets table in
// its init instead, so it only has to be linked into the peerscope binary.
// The table is generated: run `go generate` here after changing the widgets'
// exported API.
package symbols

import ksymbols "github.com/peerscope/peerscope/kernel/symbols"

//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract -exclude ^SetTransport$,^Transport$ github.com/peerscope/peerscope/kernel/widgets

// Symbols is the kernel's table; the generated init adds to it.
var Symbols = ksymbols.Symbols
