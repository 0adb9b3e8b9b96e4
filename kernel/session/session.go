// Package session runs notebook cells on the yaegi v0.16.1 Go interpreter:
// it cuts cells into declaration and statement chunks (Split), rewrites the
// constructs yaegi mishandles (rewrite), evaluates the chunks with
// cancellation, turns every failure — syntax and compile errors, panics at
// compile or run time, panics in goroutines, os.Exit, interrupts, unbounded
// recursion (depth.go), runaway allocation (memory.go) — into an *Error
// pointing at the cell line, and remembers what cells declared for
// completion and inspection. It keeps a long session's memory flat by
// trimming what yaegi would keep from every evaluation (retain.go) and
// reuses the compiled programs of repeated statements (cache.go).
//
// Behaviour of yaegi that this package works around is documented in
// ../shared/reference/go-jupyter-kernels.md §3 (verified there locally).
package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// Options configure a Session.
type Options struct {
	// Stdout and Stderr receive the output of cells (fmt.Print*, log, os.Stdout
	// when it is an *os.File). Nil means io.Discard.
	Stdout, Stderr io.Writer
	// Stdin feeds fmt.Scan* in cells. Nil means no input (io.EOF).
	Stdin io.Reader
	// Symbols are compiled packages cells can import, besides the standard
	// library.
	Symbols []interp.Exports
	// Imports are evaluated once at start (e.g. `import "…/display"`).
	Imports []string
	// MaxCallDepth bounds the nesting of calls of recursive functions
	// (0: the package's MaxCallDepth).
	MaxCallDepth int
	// MemoryLimit is the process memory (bytes) past which a running cell
	// that keeps allocating is stopped with a MemoryError (0:
	// DefaultMemoryLimit; negative: no limit).
	MemoryLimit int64
}

// Error is a failed cell, in the shape of a Jupyter error reply: a name (the
// class of failure), a value (the message) and a traceback of lines.
type Error struct {
	Name      string
	Value     string
	Traceback []string
}

func (e *Error) Error() string { return e.Name + ": " + e.Value }

// Result is the outcome of a cell that ran to the end.
type Result struct {
	// Value is the trailing expression's value when HasValue.
	Value    reflect.Value
	HasValue bool
}

// Decl is something a cell declared: a func, method, type, var or const.
type Decl struct {
	Kind string // "func", "method", "type", "var", "const"
	Name string // "f", "T", "T.M"
	Decl string // source of the declaration without body
	Doc  string
	Type string // declared type of a var or const, if written
	// Results is false for a func or method without results.
	Results bool
	source  string // full source, to recognise an identical re-definition
	callees map[string]bool
}

// Session is one interpreter with the state of the cells run so far. It is
// safe for concurrent use; cells run one at a time.
type Session struct {
	mu       sync.Mutex
	in       *interp.Interpreter
	ret      *retainer
	run      *runner
	cache    *programCache
	compiler chan func() // runs compilations, see compile
	depth    depthGuard
	memLimit int64 // see Options.MemoryLimit; 0 when there is none
	stdout   io.Writer
	stderr   *stderrFilter
	binPkgs  map[string]map[string]reflect.Value // import path → members

	pkgIndex map[string]string // package name → import path, for auto-import

	declMu  sync.RWMutex
	decls   map[string]*Decl  // user declarations by name
	imports map[string]string // name → import path, from cells and Options.Imports
}

// New starts an interpreter with the standard library, opts.Symbols, the
// kernel's runtime hooks and the prelude.
func New(opts Options) (*Session, error) {
	s := &Session{
		stdout:  opts.Stdout,
		binPkgs: map[string]map[string]reflect.Value{},
		decls:   map[string]*Decl{},
		imports: map[string]string{},
	}
	if s.stdout == nil {
		s.stdout = io.Discard
	}
	errw := opts.Stderr
	if errw == nil {
		errw = io.Discard
	}
	s.stderr = &stderrFilter{w: errw}
	stdin := opts.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	s.in = interp.New(interp.Options{
		Stdout: s.stdout, Stderr: s.stderr, Stdin: stdin,
		// Cells see the real environment and file system; os.Exit is
		// replaced below so it cannot end the kernel.
		Unrestricted: true,
	})
	s.ret = newRetainer(s.in)
	s.run = newRunner(s.in)
	s.cache = newProgramCache(s.in.FileSet())
	s.memLimit = opts.MemoryLimit
	if s.memLimit == 0 {
		s.memLimit = DefaultMemoryLimit()
	}
	s.memLimit = max(s.memLimit, 0)
	s.depth.max = int64(opts.MaxCallDepth)
	if s.depth.max <= 0 {
		s.depth.max = MaxCallDepth
	}
	s.compiler = make(chan func())
	go func() {
		for job := range s.compiler {
			job()
		}
	}()
	use := func(e interp.Exports) error {
		for k, v := range e {
			path := k
			if i := strings.LastIndex(k, "/"); i > 0 {
				path = k[:i]
			}
			if s.binPkgs[path] == nil {
				s.binPkgs[path] = map[string]reflect.Value{}
			}
			for n, sym := range v {
				s.binPkgs[path][n] = sym
			}
		}
		return s.in.Use(e)
	}
	if err := use(stdlib.Symbols); err != nil {
		return nil, fmt.Errorf("session: loading the standard library: %w", err)
	}
	for _, e := range opts.Symbols {
		if err := use(e); err != nil {
			return nil, fmt.Errorf("session: loading symbols: %w", err)
		}
	}
	s.pkgIndex = indexPackages(s.binPkgs)
	hooks := interp.Exports{
		rtPath + "/rt": {
			"GoPanic": reflect.ValueOf(s.goPanic),
			"Enter":   reflect.ValueOf(s.depth.enter),
			"Leave":   reflect.ValueOf(s.depth.leave),
			"Clear":   reflect.ValueOf(clearValue),
		},
		"os/os": {"Exit": reflect.ValueOf(func(code int) { panic(exitSignal{code}) })},
	}
	hooks[rtPath+"/rt"]["SortAny"] = reflect.ValueOf(sortAny)
	hooks[rtPath+"/rt"]["SortFuncAny"] = reflect.ValueOf(sortFuncAny)
	hooks[rtPath+"/rt"]["IsSortedAny"] = reflect.ValueOf(isSortedAny)
	hooks[rtPath+"/rt"]["BinarySearchAny"] = reflect.ValueOf(binarySearchAny)
	if err := use(hooks); err != nil {
		return nil, fmt.Errorf("session: loading hooks: %w", err)
	}
	// slices is an interpreted (generic source) package in yaegi; compiling
	// more source into it adds members.
	if _, err := s.in.Eval(slicesFill); err != nil {
		return nil, fmt.Errorf("session: slices fill: %w", err)
	}
	if _, err := s.in.Eval(prelude); err != nil {
		return nil, fmt.Errorf("session: prelude: %w", err)
	}
	for _, imp := range opts.Imports {
		if _, err := s.Execute(context.Background(), imp); err != nil {
			return nil, fmt.Errorf("session: %s: %w", imp, err)
		}
	}
	return s, nil
}

// Packages returns the compiled packages cells can import, by import path,
// with their members.
func (s *Session) Packages() map[string]map[string]reflect.Value { return s.binPkgs }

// Imports returns a copy of the package names imported by cells so far,
// mapped to import paths.
func (s *Session) Imports() map[string]string {
	s.declMu.RLock()
	defer s.declMu.RUnlock()
	m := make(map[string]string, len(s.imports))
	for k, v := range s.imports {
		m[k] = v
	}
	return m
}

// Decls returns a copy of what cells declared so far.
func (s *Session) Decls() map[string]Decl {
	s.declMu.RLock()
	defer s.declMu.RUnlock()
	m := make(map[string]Decl, len(s.decls))
	for k, v := range s.decls {
		m[k] = *v
	}
	return m
}

// Globals returns the current values of global variables and constants.
// It must not be called while a cell runs on the same variables it
// inspects; the kernel serialises shell requests, so it does not.
func (s *Session) Globals() (g map[string]reflect.Value) {
	defer func() {
		if recover() != nil {
			g = nil
		}
	}()
	return s.in.Globals()
}

// Execute runs one cell. ctx cancels it (interrupt): interpreted loops and
// channel operations stop at their next step; a compiled call in progress
// finishes in the background. A failure is returned as an *Error.
func (s *Session) Execute(ctx context.Context, code string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.run.wait(ctx, func() { fmt.Fprint(s.stderr.w, waitNote) }); err != nil {
		return Result{}, interrupted()
	}
	ctx, watch, cancel := watchMemory(ctx, s.memLimit)
	defer cancel()
	res, err := s.execute(ctx, code)
	if watch.finish() {
		return Result{}, memoryError(watch.used, s.memLimit)
	}
	return res, err
}

// execute runs one cell for Execute.
func (s *Session) execute(ctx context.Context, code string) (Result, error) {
	chunks, err := Split(code)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return Result{}, &Error{Name: "SyntaxError", Value: se.Msg,
				Traceback: sourceTrace("SyntaxError", se.Msg, code, se.Line, se.Col)}
		}
		return Result{}, &Error{Name: "SyntaxError", Value: err.Error(), Traceback: []string{err.Error()}}
	}
	if err := s.checkRedefinitions(chunks, code); err != nil {
		return Result{}, err
	}
	if err := s.autoImport(ctx, chunks); err != nil {
		return Result{}, err
	}
	if s.depth.tripped.Swap(false) {
		fmt.Fprintf(s.stderr.w, "note: a goroutine started by an earlier cell was stopped: %s\n", s.depth.message())
	}
	var res Result
	for idx := range chunks {
		c := &chunks[idx]
		src, err := rewrite(c, s.intGlobal, s.imported)
		if err != nil {
			return Result{}, err
		}
		prefixLen := len(declPrefix)
		if c.Kind == Stmts {
			prefixLen = len(stmtPrefix)
		}
		s.stderr.startCell()
		rebind := s.ret.redefinition(c)
		v, err := s.eval(ctx, src, slotsReusable(c))
		if err == nil && ctx.Err() == nil && rebind != nil {
			rebind()
		}
		if s.depth.tripped.Swap(false) {
			// The statement, or a goroutine it started, went past
			// MaxCallDepth and was ended (depthGuard.enter).
			first, _, _ := strings.Cut(strings.TrimSpace(c.Text), "\n")
			msg := s.depth.message()
			return Result{}, &Error{Name: "RecursionError", Value: msg,
				Traceback: []string{"RecursionError: " + msg, fmt.Sprintf("  at line %d: %s", c.Line, first)}}
		}
		if err != nil {
			return Result{}, s.convertError(err, code, prefixLen, c)
		}
		s.record(c)
		if c.Trailing != nil && !s.isVoidCall(c.Trailing) && v.IsValid() {
			if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Interface {
				// A statement without a value leaves yaegi's result slot
				// holding an *interface{} of an earlier evaluation.
				if _, isCall := c.Trailing.(*ast.CallExpr); isCall {
					continue
				}
			}
			res = Result{Value: v, HasValue: true}
		}
	}
	return res, nil
}

// indexPackages maps each package name to its import path, for
// auto-import. A name shared by several packages goes to the standard
// library one, else to none (ambiguous). Short aliases ("peerscope/…") and
// the kernel's hooks are left out.
func indexPackages(pkgs map[string]map[string]reflect.Value) map[string]string {
	idx := map[string]string{}
	ambiguous := map[string]bool{}
	for path := range pkgs {
		if strings.HasPrefix(path, "peerscope/") || path == rtPath || strings.Contains(path, "internal") {
			continue
		}
		name := packageName(path)
		old, dup := idx[name]
		switch {
		case !dup:
			idx[name] = path
		case !strings.Contains(path, ".") && strings.Contains(old, "."):
			idx[name] = path // the standard library wins
		case strings.Contains(path, ".") == strings.Contains(old, "."):
			ambiguous[name] = true
		}
	}
	for name := range ambiguous {
		if strings.Contains(idx[name], ".") {
			delete(idx, name)
		}
	}
	return idx
}

// PackageNamed returns the import path a bare package name resolves to
// (imported by a cell, else the auto-import index), or "".
func (s *Session) PackageNamed(name string) string {
	s.declMu.RLock()
	path := s.imports[name]
	s.declMu.RUnlock()
	if path != "" {
		return path
	}
	return s.pkgIndex[name]
}

// autoImport imports the packages a cell uses as pkg.Name without importing
// them, like goimports: a selector whose root is not declared by the cell,
// an earlier cell or an import, and names a known package.
func (s *Session) autoImport(ctx context.Context, chunks []Chunk) error {
	declared := map[string]bool{}
	roots := map[string]bool{}
	for i := range chunks {
		ast.Inspect(chunks[i].File, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					roots[id.Name] = true
				}
			case *ast.AssignStmt:
				if x.Tok == token.DEFINE {
					for _, l := range x.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							declared[id.Name] = true
						}
					}
				}
			case *ast.ValueSpec:
				for _, id := range x.Names {
					declared[id.Name] = true
				}
			case *ast.TypeSpec:
				declared[x.Name.Name] = true
			case *ast.FuncDecl:
				declared[x.Name.Name] = true
			case *ast.Field:
				for _, id := range x.Names {
					declared[id.Name] = true
				}
			case *ast.RangeStmt:
				for _, e := range []ast.Expr{x.Key, x.Value} {
					if id, ok := e.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			case *ast.ImportSpec:
				path, _ := strconv.Unquote(x.Path.Value)
				declared[packageName(path)] = true
				if x.Name != nil {
					declared[x.Name.Name] = true
				}
			}
			return true
		})
	}
	if len(roots) == 0 {
		return nil
	}
	s.declMu.RLock()
	var paths []string
	var globals map[string]reflect.Value
	for name := range roots {
		if declared[name] || s.imports[name] != "" || s.decls[name] != nil || s.pkgIndex[name] == "" {
			continue
		}
		if globals == nil {
			// Only now: listing the globals costs as much as a small cell.
			globals = s.Globals()
		}
		if _, ok := globals[name]; !ok {
			paths = append(paths, s.pkgIndex[name])
		}
	}
	s.declMu.RUnlock()
	for _, path := range paths {
		c, err := makeChunk(`import "`+path+`"`, Decls, 0, len(path)+9)
		if err != nil {
			return err
		}
		if _, err := s.eval(ctx, c.Padded, false); err != nil {
			return &Error{Name: "CompileError", Value: fmt.Sprintf("auto-import of %q: %v", path, err)}
		}
		s.record(&c)
	}
	return nil
}

// eval runs src, turning any panic that escapes yaegi into an error.
// cacheable says src declares nothing and makes no closure
// (slotsReusable): the global frame slots it takes are dead after it, so
// they are released unless the evaluation was interrupted (an interrupted
// compiled call may still be writing to them), and its compiled program
// may be kept for its next evaluation (programCache).
func (s *Session) eval(ctx context.Context, src string, cacheable bool) (v reflect.Value, err error) {
	defer s.ret.afterEval()
	defer func() {
		if r := recover(); r != nil {
			err = interp.Panic{Value: r}
		}
	}()
	if !cacheable {
		s.cache.reset()
	} else if p := s.cache.progs[src]; p != nil {
		v, err := s.run.execute(ctx, p.prog)
		return detach(v), err
	}
	keep := cacheable && s.cache.wants(src)
	if cacheable && !keep {
		n := s.ret.slots()
		defer func() {
			if ctx.Err() == nil {
				s.ret.release(n)
			}
		}()
	}
	fset := s.in.FileSet()
	base := fset.Base()
	prog, err := s.compile(ctx, src)
	// yaegi adds every evaluated source to its FileSet and never removes
	// it (≈1 KB per cell). Positions of a source that defines no function
	// are only needed while it runs (or while its program is cached), so
	// it is dropped afterwards; sources with functions keep theirs for
	// later panics.
	var added []*token.File
	fset.Iterate(func(f *token.File) bool {
		if f.Base() >= base {
			added = append(added, f)
		}
		return true
	})
	if err == nil && keep {
		s.cache.progs[src] = &cachedProgram{prog: prog, files: added}
	} else if !strings.Contains(src, "func") {
		defer func() {
			for _, f := range added {
				fset.RemoveFile(f)
			}
		}()
	}
	if err != nil {
		return reflect.Value{}, err
	}
	v, err = s.run.execute(ctx, prog)
	if keep {
		v = detach(v)
	}
	return v, err
}

// compile compiles src on the session's compiler goroutine. yaegi's
// parser and compiler recurse deeply: on the fresh goroutine
// EvalWithContext starts for every evaluation, the stack grew (and was
// copied) several times per statement, ≈20% of a trivial cell's time. The
// compiler goroutine keeps its grown stack from one cell to the next. An
// interrupt abandons a compilation that does not end; the next one then
// runs on a goroutine of its own.
func (s *Session) compile(ctx context.Context, src string) (prog *interp.Program, err error) {
	done := make(chan struct{})
	job := func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				err = interp.Panic{Value: r}
			}
		}()
		prog, err = s.in.Compile(src)
	}
	select {
	case s.compiler <- job:
	default:
		go job()
	}
	select {
	case <-done:
		return prog, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func interrupted() *Error {
	return &Error{Name: "Interrupted", Value: "the cell was interrupted",
		Traceback: []string{"Interrupted: the cell was interrupted; the session is still usable"}}
}

var posRE = regexp.MustCompile(`^(?:[^\s:]*:)?(\d+):(\d+): (.*)$`)

// convertError classifies an evaluation failure.
func (s *Session) convertError(err error, code string, prefixLen int, c *Chunk) *Error {
	var p interp.Panic
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return interrupted()
	case errors.As(err, &p):
		frames := s.stderr.panicLines()
		if ex, ok := p.Value.(exitSignal); ok {
			msg := fmt.Sprintf("%v was called: the cell stopped, the kernel keeps running", ex)
			return &Error{Name: "Exit", Value: msg, Traceback: append([]string{"Exit: " + msg}, s.frameLines(frames, code, c)...)}
		}
		val := fmt.Sprint(p.Value)
		if val == "nil type" && hasRange(c) {
			msg := "the interpreter (yaegi v0.16.1) cannot range over an integer or a function here (Go 1.22/1.23 range forms); write for i := 0; i < n; i++ or range over make([]struct{}, n)"
			return &Error{Name: "Unsupported", Value: msg, Traceback: []string{"Unsupported: " + msg}}
		}
		name := "Panic"
		if _, ok := p.Value.(runtime.Error); ok {
			name = "RuntimeError"
		}
		if r, ok := reflectPanics[val]; ok {
			// yaegi executes through reflect, so Go's runtime errors surface
			// as reflect's panics: say what they mean.
			name, val = "RuntimeError", r
		}
		tb := append([]string{"panic: " + val}, s.frameLines(frames, code, c)...)
		return &Error{Name: name, Value: val, Traceback: tb}
	}
	msg := err.Error()
	if el, ok := err.(interface{ Unwrap() []error }); ok && len(el.Unwrap()) > 0 {
		msg = el.Unwrap()[0].Error()
	}
	if m := posRE.FindStringSubmatch(strings.SplitN(msg, "\n", 2)[0]); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		if line == 1 {
			col -= prefixLen
		}
		return &Error{Name: "CompileError", Value: m[3], Traceback: sourceTrace("CompileError", m[3], code, line, max(col, 1))}
	}
	return &Error{Name: "CompileError", Value: msg, Traceback: []string{"CompileError: " + msg}}
}

func hasRange(c *Chunk) bool {
	found := false
	ast.Inspect(c.File, func(n ast.Node) bool {
		if _, ok := n.(*ast.RangeStmt); ok {
			found = true
		}
		return !found
	})
	return found
}

// reflectPanics translates the reflect panics yaegi surfaces for runtime
// faults into Go's runtime error messages.
var reflectPanics = map[string]string{
	"reflect: call of reflect.Value.Field on zero Value":        "invalid memory address or nil pointer dereference",
	"reflect: call of reflect.Value.Elem on zero Value":         "invalid memory address or nil pointer dereference",
	"reflect: call of reflect.Value.FieldByIndex on zero Value": "invalid memory address or nil pointer dereference",
	"reflect: slice index out of range":                         "index out of range",
	"reflect: array index out of range":                         "index out of range",
	"reflect: string index out of range":                        "index out of range",
	"reflect: call of reflect.Value.Call on zero Value":         "call of a nil func value",
	"reflect: call of reflect.Value.Set on zero Value":          "invalid memory address or nil pointer dereference",
	"reflect.Value.Call: call of nil function":                  "call of a nil func value",
	"reflect.MakeSlice: negative len":                           "makeslice: len out of range",
	"reflect.MakeSlice: len > cap":                              "makeslice: cap out of range",
}

// sourceTrace renders an error at a cell position with the line and a caret.
func sourceTrace(name, msg, code string, line, col int) []string {
	tb := []string{fmt.Sprintf("%s: %s", name, msg)}
	lines := strings.Split(code, "\n")
	line = min(line, len(lines))
	if line >= 1 {
		src := strings.ReplaceAll(lines[line-1], "\t", "    ")
		pad := strings.Count(lines[line-1][:min(col-1, len(lines[line-1]))], "\t") * 3
		tb = append(tb, fmt.Sprintf("  line %d, column %d:", line, col), "    "+src, "    "+strings.Repeat(" ", max(col-1+pad, 0))+"^")
	}
	return tb
}

// frameLines renders the chain of interpreted functions a panic unwound,
// innermost first. yaegi v0.16.1 reports each frame at its function's start
// (runCfg's originalExecNode gets a nil exec), so a frame names the function
// and the line it is declared on, not the faulting statement.
func (s *Session) frameLines(frames []panicFrame, code string, c *Chunk) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range frames {
		fn := strings.TrimPrefix(f.fn, "main.")
		if seen[fn] {
			continue
		}
		seen[fn] = true
		if fn == "main" {
			first, _, _ := strings.Cut(strings.TrimSpace(c.Text), "\n")
			if c.Kind == Stmts {
				out = append(out, fmt.Sprintf("  at line %d: %s", c.Line, first))
			} else {
				out = append(out, "  in the cell's statements")
			}
			continue
		}
		s.declMu.RLock()
		d := s.decls[fn]
		s.declMu.RUnlock()
		if d != nil && d.source != "" && !strings.Contains(code, d.source) {
			out = append(out, fmt.Sprintf("  in func %s (declared in an earlier cell): %s", fn, d.Decl))
			continue
		}
		out = append(out, fmt.Sprintf("  in func %s, declared at line %d", fn, f.line))
	}
	return out
}

// goPanic is deferred in every goroutine a cell starts (see rewrite): it
// reports the panic on the cell's stderr instead of letting it end the
// process.
func (s *Session) goPanic(r any) {
	frames := s.stderr.panicLines()
	var b bytes.Buffer
	if ex, ok := r.(exitSignal); ok {
		fmt.Fprintf(&b, "%v called in a goroutine: the goroutine stopped, the kernel keeps running\n", ex)
	} else {
		fmt.Fprintf(&b, "panic in a goroutine started by a cell (recovered): %v\n", r)
	}
	for _, f := range frames {
		if fn := strings.TrimPrefix(f.fn, "main."); fn != "main" {
			fmt.Fprintf(&b, "  in func %s\n", fn)
		}
	}
	s.stderr.w.Write(b.Bytes())
}

func (s *Session) imported(name, path string) bool {
	s.declMu.RLock()
	defer s.declMu.RUnlock()
	return s.imports[name] == path
}

func (s *Session) intGlobal(name string) bool {
	v, ok := s.Globals()[name]
	return ok && v.IsValid() && isIntKind(v.Kind())
}

// isVoidCall reports whether e is a call known to produce no value worth
// showing: functions without results, print builtins, fmt.Print*.
func (s *Session) isVoidCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	switch f := call.Fun.(type) {
	case *ast.Ident:
		switch f.Name {
		case "print", "println", "panic", "clear", "close", "delete":
			return true
		}
		s.declMu.RLock()
		d := s.decls[f.Name]
		s.declMu.RUnlock()
		return d != nil && d.Kind == "func" && !d.Results
	case *ast.SelectorExpr:
		pkg, ok := f.X.(*ast.Ident)
		if !ok {
			return false
		}
		s.declMu.RLock()
		path := s.imports[pkg.Name]
		s.declMu.RUnlock()
		if path == "" {
			return false
		}
		if path == "fmt" && (strings.HasPrefix(f.Sel.Name, "Print") || strings.HasPrefix(f.Sel.Name, "Fprint")) {
			return true
		}
		if path == "log" {
			return true
		}
		if sym, ok := s.binPkgs[path][f.Sel.Name]; ok && sym.Kind() == reflect.Func {
			return sym.Type().NumOut() == 0
		}
	}
	return false
}

// record remembers the declarations and imports of a chunk that ran.
func (s *Session) record(c *Chunk) {
	s.declMu.Lock()
	defer s.declMu.Unlock()
	src := func(n ast.Node) string {
		return c.Padded[c.Fset.Position(n.Pos()).Offset-c.Start : c.Fset.Position(n.End()).Offset-c.Start]
	}
	for _, imp := range c.File.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := packageName(path)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name != "_" && name != "." {
			s.imports[name] = path
		}
	}
	for _, d := range c.File.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if c.Kind == Stmts {
				// The main wrapper around statements: record top-level :=.
				for _, st := range d.Body.List {
					if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
						for _, l := range as.Lhs {
							if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
								s.decls[id.Name] = &Decl{Kind: "var", Name: id.Name, Decl: src(as)}
							}
						}
					}
					if ds, ok := st.(*ast.DeclStmt); ok {
						s.recordGen(ds.Decl.(*ast.GenDecl), src)
					}
				}
				continue
			}
			name := d.Name.Name
			kind := "func"
			if d.Recv != nil && len(d.Recv.List) > 0 {
				name = recvName(d.Recv.List[0].Type) + "." + name
				kind = "method"
			}
			sig := src(d)
			if d.Body != nil {
				sig = strings.TrimSpace(c.Padded[c.Fset.Position(d.Pos()).Offset-c.Start : c.Fset.Position(d.Body.Lbrace).Offset-c.Start])
			}
			callees := map[string]bool{}
			if d.Body != nil {
				ast.Inspect(d.Body, func(n ast.Node) bool {
					if id, ok := n.(*ast.Ident); ok {
						callees[id.Name] = true
					}
					return true
				})
			}
			s.decls[name] = &Decl{Kind: kind, Name: name, Decl: sig, Doc: docFor(c, d.Doc, d.Pos()),
				Results: d.Type.Results != nil && len(d.Type.Results.List) > 0, source: src(d), callees: callees}
		case *ast.GenDecl:
			if d.Doc == nil {
				if text := docFor(c, nil, d.Pos()); text != "" {
					d.Doc = &ast.CommentGroup{List: []*ast.Comment{{Text: "// " + text}}}
				}
			}
			s.recordGen(d, src)
		}
	}
}

// docFor returns the doc comment of a declaration at pos. go/parser misses
// a doc comment on the chunk's first line, where it follows yaegi's
// "package main;" prefix on the same line, so the comment group ending on
// the line before pos is taken too.
func docFor(c *Chunk, doc *ast.CommentGroup, pos token.Pos) string {
	if doc != nil {
		return doc.Text()
	}
	line := c.Fset.Position(pos).Line
	for _, cg := range c.File.Comments {
		if c.Fset.Position(cg.End()).Line == line-1 {
			return cg.Text()
		}
	}
	return ""
}

func (s *Session) recordGen(d *ast.GenDecl, src func(ast.Node) string) {
	for _, sp := range d.Specs {
		switch sp := sp.(type) {
		case *ast.TypeSpec:
			s.decls[sp.Name.Name] = &Decl{Kind: "type", Name: sp.Name.Name, Decl: "type " + src(sp), Doc: d.Doc.Text(), source: src(sp)}
		case *ast.ValueSpec:
			typ := ""
			if sp.Type != nil {
				typ = src(sp.Type)
			}
			for _, n := range sp.Names {
				if n.Name == "_" {
					continue
				}
				s.decls[n.Name] = &Decl{Kind: d.Tok.String(), Name: n.Name, Decl: d.Tok.String() + " " + src(sp), Doc: d.Doc.Text(), Type: typ}
			}
		}
	}
}

// packageName is the last element of an import path, skipping a major
// version suffix (…/v15 → the element before it).
func packageName(path string) string {
	parts := strings.Split(path, "/")
	last := parts[len(parts)-1]
	if len(parts) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		return parts[len(parts)-2]
	}
	return last
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

// checkRedefinitions refuses a cell that changes a type or a method defined
// by an earlier cell: yaegi v0.16.1 silently keeps the first definition. An
// identical re-definition (re-running a cell) is fine. Redefining a function
// works, but functions declared earlier keep calling the old one (early
// binding); that is reported as a note on stderr.
func (s *Session) checkRedefinitions(chunks []Chunk, code string) error {
	s.declMu.RLock()
	defer s.declMu.RUnlock()
	var notes []string
	for i := range chunks {
		c := &chunks[i]
		if c.Kind != Decls {
			continue
		}
		src := func(n ast.Node) string {
			return c.Padded[c.Fset.Position(n.Pos()).Offset-c.Start : c.Fset.Position(n.End()).Offset-c.Start]
		}
		for _, d := range c.File.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					ts, ok := sp.(*ast.TypeSpec)
					if !ok {
						continue
					}
					if old := s.decls[ts.Name.Name]; old != nil && old.Kind == "type" && old.source != src(ts) {
						line := c.Fset.Position(ts.Pos()).Line
						msg := fmt.Sprintf("type %s is already defined by an earlier cell; the interpreter (yaegi) cannot change a type once defined. Restart the kernel to redefine it, or use a new name", ts.Name.Name)
						return &Error{Name: "Redefinition", Value: msg, Traceback: sourceTrace("Redefinition", msg, code, line, 1)}
					}
				}
			case *ast.FuncDecl:
				name := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) > 0 {
					name = recvName(d.Recv.List[0].Type) + "." + name
					if old := s.decls[name]; old != nil && old.source != src(d) {
						line := c.Fset.Position(d.Pos()).Line
						msg := fmt.Sprintf("method %s is already defined by an earlier cell; the interpreter (yaegi) keeps the first definition of a method. Restart the kernel to change it, or use a new name", name)
						return &Error{Name: "Redefinition", Value: msg, Traceback: sourceTrace("Redefinition", msg, code, line, 1)}
					}
					continue
				}
				if old := s.decls[name]; old != nil && old.source != src(d) {
					var callers []string
					for n, od := range s.decls {
						if n != name && od.Kind == "func" && od.callees[name] {
							callers = append(callers, n)
						}
					}
					if len(callers) > 0 {
						notes = append(notes, fmt.Sprintf("note: func %s redefined; %s, declared earlier, still call%s the old %s (the interpreter binds calls when a function is declared): re-run %s cell to update",
							name, strings.Join(callers, ", "), map[bool]string{true: "", false: "s"}[len(callers) > 1], name, map[bool]string{true: "their", false: "its"}[len(callers) > 1]))
					}
				}
			}
		}
	}
	for _, n := range notes {
		fmt.Fprintln(s.stderr.w, n)
	}
	return nil
}
