package complete

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/peerscope/peerscope/kernel/display"
	"github.com/peerscope/peerscope/kernel/symbols"
)

var builtinDocs = map[string]string{
	"append":  "func append(slice []Type, elems ...Type) []Type\n\nappend appends elements to the end of a slice and returns the updated slice.",
	"len":     "func len(v Type) int\n\nlen returns the length of v: string bytes, array/slice/map elements, channel queue.",
	"cap":     "func cap(v Type) int\n\ncap returns the capacity of v.",
	"make":    "func make(t Type, size ...IntegerType) Type\n\nmake allocates and initialises a slice, map or channel.",
	"new":     "func new(Type) *Type\n\nnew allocates a zero value of Type and returns a pointer to it.",
	"min":     "func min[T ordered](x T, y ...T) T\n\nmin returns the smallest argument (filled in by the kernel: yaegi v0.16.1 lacks the Go 1.21 builtin; mix untyped int and float constants only with explicit float literals).",
	"max":     "func max[T ordered](x T, y ...T) T\n\nmax returns the largest argument (filled in by the kernel, see min).",
	"clear":   "func clear(x any)\n\nclear deletes all entries of a map or zeroes all elements of a slice (filled in by the kernel).",
	"println": "func println(args ...Type)\n\nprintln writes its arguments to standard error.",
	"panic":   "func panic(v any)\n\npanic stops the cell; the kernel reports the value and keeps running.",
}

// Inspect returns the help text for the identifier or selector at (or just
// before) the cursor, and whether there is any.
func Inspect(src Source, code string, cursor int) (string, bool) {
	off := byteOffset(code, cursor)
	// Extend to the end of the identifier under the cursor.
	end := off
	for end < len(code) {
		r, n := utf8.DecodeRuneInString(code[end:])
		if !isIdentRune(r) {
			break
		}
		end += n
	}
	// "f(" with the cursor after the parenthesis inspects f.
	if end == identBefore(code, end) && end > 0 && code[end-1] == '(' {
		end--
	}
	start := identBefore(code, end)
	if start == end {
		return "", false
	}
	chain := []string{code[start:end]}
	if start > 0 && code[start-1] == '.' {
		if c := chainBefore(code, start-1); c != nil {
			chain = append(c, chain...)
		}
	}
	return inspectChain(src, chain)
}

func inspectChain(src Source, chain []string) (string, bool) {
	docs, _ := symbols.Docs()
	name := chain[0]
	if path := pkgPath(src, name); path != "" {
		pd := docs[path]
		if len(chain) == 1 {
			if pd == nil {
				return fmt.Sprintf("package %s // import %q", name, path), true
			}
			return fmt.Sprintf("package %s // import %q\n\n%s", pd.Name, path, pd.Doc), true
		}
		member := chain[1]
		if pd != nil {
			if d, ok := pd.Members[member]; ok {
				if len(chain) == 2 {
					return d.Decl + "\n\n" + d.Doc, true
				}
			}
		}
		if v, ok := src.Packages()[path][member]; ok {
			return fmt.Sprintf("%s.%s: %s", name, member, v.Type()), true
		}
		return "", false
	}
	decls := src.Decls()
	if v, ok := src.Globals()[name]; ok && v.IsValid() {
		if len(chain) > 1 {
			return inspectMember(v, chain[1:])
		}
		var b strings.Builder
		if d, ok := decls[name]; ok && d.Decl != "" {
			b.WriteString(d.Decl + "\n\n")
		}
		fmt.Fprintf(&b, "type:  %s\nvalue: %s", typeName(v), truncate(repr(v), 2000))
		return b.String(), true
	}
	if d, ok := decls[name]; ok {
		if len(chain) > 1 {
			if m, ok := decls[name+"."+chain[1]]; ok {
				return m.Decl + "\n\n" + m.Doc, true
			}
		}
		text := d.Decl
		if d.Doc != "" {
			text += "\n\n" + d.Doc
		}
		if d.Kind == "type" {
			for mn, md := range decls {
				if strings.HasPrefix(mn, name+".") {
					text += "\n" + md.Decl
				}
			}
		}
		return text, true
	}
	if doc, ok := builtinDocs[name]; ok && len(chain) == 1 {
		return doc, true
	}
	return "", false
}

// inspectMember describes a field or method of a value.
func inspectMember(v reflect.Value, rest []string) (string, bool) {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	t := v.Type()
	name := rest[0]
	if m, ok := t.MethodByName(name); ok {
		return docOfMethod(t, m), true
	}
	if t.Kind() != reflect.Pointer {
		if m, ok := reflect.PointerTo(t).MethodByName(name); ok {
			return docOfMethod(reflect.PointerTo(t), m), true
		}
	}
	base := v
	for base.Kind() == reflect.Pointer && !base.IsNil() {
		base = base.Elem()
	}
	if base.Kind() == reflect.Struct {
		if f := base.FieldByName(name); f.IsValid() {
			if len(rest) > 1 {
				return inspectMember(f, rest[1:])
			}
			return fmt.Sprintf("field %s\ntype:  %s\nvalue: %s", name, typeName(f), truncate(repr(f), 2000)), true
		}
	}
	return "", false
}

func docOfMethod(t reflect.Type, m reflect.Method) string {
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	docs, _ := symbols.Docs()
	if pd := docs[base.PkgPath()]; pd != nil {
		if d, ok := pd.Members[base.Name()+"."+m.Name]; ok {
			return d.Decl + "\n\n" + d.Doc
		}
	}
	return fmt.Sprintf("method %s.%s: %s", t, m.Name, m.Type)
}

func typeName(v reflect.Value) string {
	if v.Kind() == reflect.Interface && !v.IsNil() {
		return v.Elem().Type().String()
	}
	return v.Type().String()
}

func repr(v reflect.Value) string {
	if !v.CanInterface() {
		return v.String()
	}
	return display.Repr(v.Interface())
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
