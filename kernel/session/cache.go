package session

import (
	"go/token"
	"reflect"

	"github.com/traefik/yaegi/interp"
)

// programCache keeps the compiled programs of statements that run again
// and again (a cell re-run, a `1+1` probe): compiling is ≈95% of such a
// statement's evaluation (measured: 40–46 µs for Eval against ≈2 µs for
// executing the compiled program again), and a program run again takes
// the same global frame slots instead of new ones.
//
// Only statements that declare nothing and make no closure are cached
// (slotsReusable): running such a program again is what evaluating its
// source again does — Eval is Compile then Execute, and Execute
// regenerates the program's closures and runs it from the start — except
// that its slots hold the previous run's values where a fresh compilation
// would have zeroes, which such statements never read before writing.
// A program is bound to what names meant when it was compiled, so the
// cache is emptied before any other source is evaluated (a declaration,
// an import); a program is cached on its second evaluation in one such
// period, so that one-off statements keep giving their slots back. The
// slots of the programs dropped stay taken (yaegi cannot give back slots
// below the top of its frame): at most cacheSize programs' worth per
// declaring cell.
type programCache struct {
	progs map[string]*cachedProgram
	seen  map[string]bool // evaluated once since the cache was emptied
	fset  *token.FileSet
}

type cachedProgram struct {
	prog *interp.Program
	// files are the program's entries in yaegi's FileSet, kept while it
	// is cached: a panic in a later run prints positions from them.
	files []*token.File
}

const cacheSize = 64

func newProgramCache(fset *token.FileSet) *programCache {
	return &programCache{progs: map[string]*cachedProgram{}, seen: map[string]bool{}, fset: fset}
}

// reset empties the cache before a source that may change what names mean.
func (c *programCache) reset() {
	for _, p := range c.progs {
		for _, f := range p.files {
			c.fset.RemoveFile(f)
		}
	}
	clear(c.progs)
	clear(c.seen)
}

// wants reports whether src, a cacheable statement about to be compiled,
// should be kept: it was seen before and there is room.
func (c *programCache) wants(src string) bool {
	if c.seen[src] && len(c.progs) < cacheSize {
		return true
	}
	if len(c.seen) >= 4*cacheSize {
		clear(c.seen)
	}
	c.seen[src] = true
	return false
}

// detach copies a result out of the program's frame slot, which the
// program's next run overwrites.
func detach(v reflect.Value) reflect.Value {
	if !v.IsValid() || !v.CanInterface() {
		return v
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}
