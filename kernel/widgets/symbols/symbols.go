// Package symbols adds the widgets package to the kernel's yaegi symbol
// tables (kernel/symbols.Symbols), so that notebook cells can
//
//	import "github.com/peerscope/peerscope/kernel/widgets"
//
// (or "peerscope/kernel/widgets"), and refreshes the table of lib/figures,
// whose API grows faster than the kernel's generated tables are regenerated.
// The kernel's own generator covers lib/… and a fixed list of packages; this
// package registers its tables in its init instead (after the kernel's, which
// it imports, so its lib/figures table wins), so it only has to be linked
// into the peerscope binary. The tables are generated: run `go generate` here
// after changing either package's exported API.
package symbols

import ksymbols "github.com/peerscope/peerscope/kernel/symbols"

//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract -exclude ^SetTransport$,^Transport$ github.com/peerscope/peerscope/kernel/widgets
//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract github.com/peerscope/peerscope/lib/figures

// Symbols is the kernel's table; the generated init adds to it.
var Symbols = ksymbols.Symbols
