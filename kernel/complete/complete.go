// Package complete answers the kernel's complete, inspect and is_complete
// requests for Go cells: identifiers in scope (keywords, builtins, what
// earlier cells declared, imported packages), package members after
// "pkg.", fields and methods of values of known types after "x.", and
// import paths inside an import string. Inspection shows the declaration
// and doc comment of library, display and standard library symbols (docs
// extracted at generate time, kernel/symbols) and the type and value of
// user variables.
//
// Cursor positions are in Unicode code points, as protocol 5.2+ defines
// them; the functions convert to byte offsets internally.
package complete

import (
	"go/token"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/peerscope/peerscope/kernel/session"
)

// Source is what completion needs to know about the session.
type Source interface {
	Packages() map[string]map[string]reflect.Value
	Imports() map[string]string
	Decls() map[string]session.Decl
	Globals() map[string]reflect.Value
	// PackageNamed resolves a package name not imported yet (auto-import).
	PackageNamed(name string) string
}

var builtins = []string{
	"append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min",
	"new", "panic", "print", "println", "real", "recover",
	"bool", "byte", "complex64", "complex128", "error", "float32", "float64", "int", "int8", "int16",
	"int32", "int64", "rune", "string", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "any",
	"true", "false", "iota", "nil",
}

// byteOffset converts a code-point cursor to a byte offset in code,
// clamped to the code.
func byteOffset(code string, cursor int) int {
	if cursor < 0 {
		return len(code)
	}
	off := 0
	for i := 0; i < cursor && off < len(code); i++ {
		_, n := utf8.DecodeRuneInString(code[off:])
		off += n
	}
	return off
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// identBefore returns the start byte offset of the identifier ending at off.
func identBefore(code string, off int) int {
	start := off
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(code[:start])
		if !isIdentRune(r) {
			break
		}
		start -= n
	}
	return start
}

// chainBefore returns the selector chain ending just before a '.' at off:
// for "a.b.c." with off after the last dot, ["a", "b", "c"]. Nil when the
// text before the dot is not a plain identifier chain.
func chainBefore(code string, dot int) []string {
	var chain []string
	end := dot
	for {
		start := identBefore(code, end)
		if start == end {
			return nil
		}
		chain = append([]string{code[start:end]}, chain...)
		if start > 0 && code[start-1] == '.' {
			end = start - 1
			continue
		}
		return chain
	}
}

// Complete returns the matches for the identifier at the cursor and the
// code-point range [start, end) they replace.
func Complete(src Source, code string, cursor int) (matches []string, start, end int) {
	off := byteOffset(code, cursor)
	if p, ok := importPrefix(code, off); ok {
		var paths []string
		for path := range src.Packages() {
			if strings.HasPrefix(path, p) {
				paths = append(paths, path)
			}
		}
		sort.Strings(paths)
		s := off - len(p)
		return paths, utf8.RuneCountInString(code[:s]), cursor
	}
	s := identBefore(code, off)
	prefix := code[s:off]
	startCP := utf8.RuneCountInString(code[:s])
	var cands []string
	if s > 0 && code[s-1] == '.' {
		chain := chainBefore(code, s-1)
		if chain == nil {
			return []string{}, startCP, cursor
		}
		cands = members(src, chain, code[:s])
	} else {
		cands = append(scope(src), declaredIn(code)...)
	}
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !seen[c] && !strings.HasPrefix(c, "__ps") {
			seen[c] = true
			matches = append(matches, c)
		}
	}
	sort.Strings(matches)
	if matches == nil {
		matches = []string{}
	}
	return matches, startCP, cursor
}

// importPrefix reports whether off is inside the string of an import spec
// and returns the text typed so far.
func importPrefix(code string, off int) (string, bool) {
	lineStart := strings.LastIndex(code[:off], "\n") + 1
	line := code[lineStart:off]
	q := strings.LastIndex(line, "\"")
	if q < 0 || strings.Count(line, "\"")%2 == 0 {
		return "", false
	}
	before := strings.TrimSpace(line[:q])
	if strings.HasPrefix(before, "import") || before == "" && insideImportGroup(code[:lineStart]) {
		return line[q+1:], true
	}
	// import alias "path"
	if f := strings.Fields(before); len(f) == 2 && f[0] == "import" || len(f) == 1 && token.IsIdentifier(f[0]) && insideImportGroup(code[:lineStart]) {
		return line[q+1:], true
	}
	return "", false
}

func insideImportGroup(before string) bool {
	i := strings.LastIndex(before, "import (")
	return i >= 0 && !strings.Contains(before[i:], ")")
}

var declRE = regexp.MustCompile(`(?m)(?:\b(?:var|const|type|func)\s+([\pL_][\pL\pN_]*))|(?:([\pL_][\pL\pN_]*)\s*(?:,\s*[\pL_][\pL\pN_]*\s*)*:=)`)

// declaredIn lists identifiers the code being edited declares itself (not
// yet run): var/const/type/func names and := targets.
func declaredIn(code string) []string {
	var out []string
	for _, m := range declRE.FindAllStringSubmatch(code, -1) {
		for _, g := range m[1:] {
			if g != "" {
				out = append(out, g)
			}
		}
	}
	return out
}

// scope lists the identifiers visible at top level.
func scope(src Source) []string {
	var out []string
	for tok := token.BREAK; tok <= token.VAR; tok++ {
		if tok.IsKeyword() {
			out = append(out, tok.String())
		}
	}
	out = append(out, builtins...)
	for name := range src.Imports() {
		out = append(out, name)
	}
	for name, d := range src.Decls() {
		if d.Kind != "method" {
			out = append(out, name)
		}
	}
	for name := range src.Globals() {
		out = append(out, name)
	}
	return out
}

// members lists what can follow chain + "." in code.
func members(src Source, chain []string, code string) []string {
	if path := pkgPath(src, chain[0]); path != "" {
		syms := src.Packages()[path]
		if len(chain) == 1 {
			var out []string
			for n := range syms {
				out = append(out, n)
			}
			return out
		}
		// pkg.Var.… : walk from the member's type.
		v, ok := syms[chain[1]]
		if !ok {
			return nil
		}
		t := v.Type()
		if v.Kind() == reflect.Pointer && isBinVar(v) {
			t = t.Elem()
		}
		return walk(t, chain[2:], nil)
	}
	v, ok := src.Globals()[chain[0]]
	if !ok || !v.IsValid() {
		if t := typeFromCode(src, chain[0], code); t != nil {
			return walk(t, chain[1:], nil)
		}
		// A type name: its methods (method expressions).
		return userMethods(src, chain[0])
	}
	t := v.Type()
	if v.Kind() == reflect.Interface && !v.IsNil() {
		t = v.Elem().Type()
	}
	decl := src.Decls()[chain[0]]
	return walk(t, chain[1:], func(typ reflect.Type) []string {
		// Interpreted types have no reflect methods: use what cells declared
		// for the variable's declared type.
		name := strings.TrimPrefix(decl.Type, "*")
		if name == "" {
			return nil
		}
		return userMethods(src, name)
	})
}

// pkgPath resolves name to an import path when it is a package: imported,
// or auto-importable and not shadowed by a user variable or declaration.
func pkgPath(src Source, name string) string {
	if p, ok := src.Imports()[name]; ok {
		return p
	}
	if _, ok := src.Globals()[name]; ok {
		return ""
	}
	if _, ok := src.Decls()[name]; ok {
		return ""
	}
	return src.PackageNamed(name)
}

// typeFromCode infers the type of a variable the code being edited assigns
// from a compiled package — name := pkg.Func(…), name := pkg.Type{…} or
// &pkg.Type{…} — so members complete before the cell has run.
func typeFromCode(src Source, name, code string) reflect.Type {
	re, err := regexp.Compile(`\b` + regexp.QuoteMeta(name) + `\s*:?=\s*(&?)([\pL_][\pL\pN_]*)\.([\pL_][\pL\pN_]*)\s*([({])`)
	if err != nil {
		return nil
	}
	ms := re.FindAllStringSubmatch(code, -1)
	if len(ms) == 0 {
		return nil
	}
	m := ms[len(ms)-1]
	path := pkgPath(src, m[2])
	if path == "" {
		return nil
	}
	sym, ok := src.Packages()[path][m[3]]
	if !ok {
		return nil
	}
	switch {
	case m[4] == "(" && sym.Kind() == reflect.Func && sym.Type().NumOut() > 0:
		return sym.Type().Out(0)
	case m[4] == "{" && sym.Kind() == reflect.Pointer && sym.IsNil():
		// Types are stored as (*T)(nil).
		if m[1] == "&" {
			return sym.Type()
		}
		return sym.Type().Elem()
	}
	return nil
}

// isBinVar reports whether a symbol-table value is a variable (stored as a
// pointer to it) rather than a function or constant. Types are stored as
// (*T)(nil).
func isBinVar(v reflect.Value) bool { return v.Kind() == reflect.Pointer && !v.IsNil() }

// walk follows field names through t and lists the fields and methods of
// the final type.
func walk(t reflect.Type, rest []string, extra func(reflect.Type) []string) []string {
	for _, name := range rest {
		base := t
		for base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		if base.Kind() != reflect.Struct {
			return nil
		}
		f, ok := base.FieldByName(name)
		if !ok {
			m, ok := t.MethodByName(name)
			if !ok || m.Type.NumOut() == 0 {
				return nil
			}
			t = m.Type.Out(0)
			extra = nil
			continue
		}
		t = f.Type
		extra = nil
	}
	var out []string
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, t.Method(i).Name)
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		pt := reflect.PointerTo(t)
		for i := 0; i < pt.NumMethod(); i++ {
			out = append(out, pt.Method(i).Name)
		}
	}
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if base.Kind() == reflect.Struct {
		for i := 0; i < base.NumField(); i++ {
			// Compiled types show exported fields; interpreted structs
			// (no package path) show all.
			if f := base.Field(i); f.IsExported() || base.PkgPath() == "" {
				out = append(out, f.Name)
			}
		}
	}
	if extra != nil {
		out = append(out, extra(t)...)
	}
	return out
}

func userMethods(src Source, typeName string) []string {
	var out []string
	for name, d := range src.Decls() {
		if d.Kind == "method" && strings.HasPrefix(name, typeName+".") {
			out = append(out, strings.TrimPrefix(name, typeName+"."))
		}
	}
	return out
}
