// Command gen writes the yaegi symbol tables of the packages notebook cells
// may import (yaegi's extract, one file per package) and the gzipped JSON
// documentation of those packages plus yaegi's standard library, which the
// kernel shows on inspection.
//
// Every package under lib/ (except internal ones) is included automatically;
// other packages are listed in fixedPackages. Run it through go generate in
// kernel/symbols.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/extract"
	"github.com/traefik/yaegi/stdlib"
)

const module = "github.com/peerscope/peerscope"

// fixedPackages are the compiled packages besides lib/… that cells can
// import. Add a line here to expose another one.
var fixedPackages = []string{
	module + "/kernel/display",
	module + "/kernel/widgets",
	"github.com/apache/arrow/go/v15/arrow",
	"github.com/apache/arrow/go/v15/arrow/array",
	"github.com/apache/arrow/go/v15/arrow/memory",
	"github.com/apache/arrow/go/v15/arrow/ipc",
	"gonum.org/v1/plot",
	"gonum.org/v1/plot/plotter",
	"gonum.org/v1/plot/vg",
	"gonum.org/v1/plot/vg/draw",
	"gonum.org/v1/gonum/stat",
}

// excluded lists, per package, the members cells must not see.
var excluded = map[string][]string{
	module + "/kernel/display": {"^SetSink$", "^Sink$"},
	module + "/kernel/widgets": {"^SetTransport$", "^Transport$"},
}

func main() {
	out := flag.String("o", ".", "output directory")
	only := flag.String("only", "", "regenerate only the tables of packages matching this regexp (docs are always regenerated)")
	flag.Parse()
	var re *regexp.Regexp
	if *only != "" {
		var err error
		if re, err = regexp.Compile(*only); err != nil {
			fmt.Fprintln(os.Stderr, "gen: -only:", err)
			os.Exit(2)
		}
	}
	if err := run(*out, re); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, only *regexp.Regexp) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	libs, err := libPackages(root)
	if err != nil {
		return err
	}
	pkgs := append(append([]string{}, fixedPackages...), libs...)
	repl := strings.NewReplacer("/", "-", ".", "_", "~", "_")
	if only == nil {
		// Remove the tables of packages that disappeared.
		old, _ := filepath.Glob(filepath.Join(out, "sym_*.go"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for _, p := range pkgs {
		if only != nil && !only.MatchString(p) {
			continue
		}
		ext := extract.Extractor{Dest: "symbols", Exclude: excluded[p]}
		var buf bytes.Buffer
		if _, err := ext.Extract(p, "", &buf); err != nil {
			if strings.HasPrefix(p, module+"/lib/") {
				// A lib package that does not build yet is left out
				// rather than blocking the other tables.
				fmt.Fprintf(os.Stderr, "gen: %s left out: %v\n", p, err)
				continue
			}
			return fmt.Errorf("extracting %s: %w", p, err)
		}
		code, err := dropInternalWrappers(buf.Bytes())
		if err != nil {
			return fmt.Errorf("post-processing %s: %w", p, err)
		}
		name := filepath.Join(out, "sym_"+repl.Replace(p)+".go")
		if err := os.WriteFile(name, code, 0o644); err != nil {
			return err
		}
	}
	docPkgs := append([]string{}, pkgs...)
	for key := range stdlib.Symbols {
		if i := strings.LastIndex(key, "/"); i > 0 {
			docPkgs = append(docPkgs, key[:i])
		}
	}
	sort.Strings(docPkgs)
	all := map[string]*packageDocs{}
	for _, p := range docPkgs {
		d, err := docsOf(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen: docs of %s skipped: %v\n", p, err)
			continue
		}
		all[p] = d
	}
	raw, err := json.Marshal(all)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "docs.json.gz"), gz.Bytes(), 0o644)
}

// dropInternalWrappers removes from an extracted file the interface
// wrapper types (and their methods and table entries) whose methods mention
// an internal package of the extracted module — Arrow's array.Builder takes
// an internal/json.Decoder — since the generated package may not import it.
// Interpreted types then cannot implement those interfaces; compiled values
// of them still work.
func dropInternalWrappers(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	internal := map[string]bool{}
	var keep []*ast.ImportSpec
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains(path, "/internal/") {
			keep = append(keep, imp)
			continue
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		internal[name] = true
	}
	if len(internal) == 0 {
		return src, nil
	}
	mentions := func(n ast.Node, names map[string]bool) bool {
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && names[id.Name] {
					found = true
				}
			case *ast.Ident:
				if names[x.Name] {
					found = true
				}
			}
			return !found
		})
		return found
	}
	bad := map[string]bool{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
			for _, sp := range g.Specs {
				if ts := sp.(*ast.TypeSpec); mentions(ts.Type, internal) {
					bad[ts.Name.Name] = true
				}
			}
		}
	}
	var decls []ast.Decl
	for _, d := range f.Decls {
		switch x := d.(type) {
		case *ast.GenDecl:
			if x.Tok == token.IMPORT {
				var specs []ast.Spec
				for _, sp := range x.Specs {
					for _, k := range keep {
						if sp == k {
							specs = append(specs, sp)
						}
					}
				}
				x.Specs = specs
			}
			if x.Tok == token.TYPE {
				var specs []ast.Spec
				for _, sp := range x.Specs {
					if !bad[sp.(*ast.TypeSpec).Name.Name] {
						specs = append(specs, sp)
					}
				}
				if len(specs) == 0 {
					continue
				}
				x.Specs = specs
			}
		case *ast.FuncDecl:
			if x.Recv != nil && mentions(x.Recv, bad) {
				continue
			}
			ast.Inspect(x, func(n ast.Node) bool {
				if cl, ok := n.(*ast.CompositeLit); ok {
					var elts []ast.Expr
					for _, e := range cl.Elts {
						if !mentions(e, bad) {
							elts = append(elts, e)
						}
					}
					cl.Elts = elts
				}
				return true
			})
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	f.Imports = keep
	f.Comments = f.Comments[:1]
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		return nil, err
	}
	return format.Source(out.Bytes())
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(b))), nil
}

// libPackages lists the importable packages under lib/: directories holding
// non-test Go files, outside internal/ and testdata/.
func libPackages(root string) ([]string, error) {
	var pkgs []string
	err := filepath.WalkDir(filepath.Join(root, "lib"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if n := d.Name(); n == "internal" || n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			return filepath.SkipDir
		}
		bp, err := build.ImportDir(path, 0)
		if err != nil || len(bp.GoFiles) == 0 || bp.Name == "main" {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		pkgs = append(pkgs, module+"/"+filepath.ToSlash(rel))
		return nil
	})
	return pkgs, err
}

type memberDoc struct {
	Decl string `json:"decl"`
	Doc  string `json:"doc,omitempty"`
}

type packageDocs struct {
	Name    string               `json:"name"`
	Doc     string               `json:"doc,omitempty"`
	Members map[string]memberDoc `json:"members"`
}

// docsOf reads the package's sources (as the build context selects them)
// and returns the declarations and doc comments of its exported members.
func docsOf(importPath string) (*packageDocs, error) {
	bp, err := build.Import(importPath, "", 0)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	dp, err := doc.NewFromFiles(fset, files, importPath)
	if err != nil {
		return nil, err
	}
	pd := &packageDocs{Name: dp.Name, Doc: dp.Doc, Members: map[string]memberDoc{}}
	render := func(n any) string {
		var b bytes.Buffer
		printer.Fprint(&b, fset, n)
		s := b.String()
		const limit = 1500
		if len(s) > limit {
			s = s[:limit] + "\n…"
		}
		return s
	}
	addFunc := func(name string, f *doc.Func) {
		decl := *f.Decl
		decl.Body = nil
		decl.Doc = nil
		pd.Members[name] = memberDoc{Decl: render(&decl), Doc: f.Doc}
	}
	addValues := func(vs []*doc.Value) {
		for _, v := range vs {
			decl := *v.Decl
			decl.Doc = nil
			for _, spec := range v.Decl.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, n := range vs.Names {
					if !n.IsExported() {
						continue
					}
					d := v.Doc
					if vs.Doc != nil {
						d = vs.Doc.Text()
					} else if vs.Comment != nil {
						d = vs.Comment.Text()
					}
					one := ast.GenDecl{Tok: v.Decl.Tok, Specs: []ast.Spec{stripSpec(vs)}}
					pd.Members[n.Name] = memberDoc{Decl: render(&one), Doc: d}
				}
			}
		}
	}
	addValues(dp.Consts)
	addValues(dp.Vars)
	for _, f := range dp.Funcs {
		addFunc(f.Name, f)
	}
	for _, t := range dp.Types {
		decl := *t.Decl
		decl.Doc = nil
		pd.Members[t.Name] = memberDoc{Decl: render(&decl), Doc: t.Doc}
		addValues(t.Consts)
		addValues(t.Vars)
		for _, f := range t.Funcs {
			addFunc(f.Name, f)
		}
		for _, m := range t.Methods {
			addFunc(t.Name+"."+m.Name, m)
		}
	}
	return pd, nil
}

// stripSpec drops comments from a value spec so the declaration renders on
// its own.
func stripSpec(vs *ast.ValueSpec) *ast.ValueSpec {
	c := *vs
	c.Doc, c.Comment = nil, nil
	return &c
}
