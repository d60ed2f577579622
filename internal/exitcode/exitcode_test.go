package exitcode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exitLiterals lists the ExitCode methods in the Go files under root
// (tests and package exitcode aside) that return a number literal instead
// of one of this package's constants.
func exitLiterals(t *testing.T, root string) []string {
	t.Helper()
	var bad []string
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "exitcode") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "ExitCode" || fn.Body == nil {
				continue
			}
			seen++
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if ret, ok := n.(*ast.ReturnStmt); ok {
					for _, r := range ret.Results {
						if lit, ok := r.(*ast.BasicLit); ok && lit.Kind == token.INT {
							bad = append(bad, fset.Position(lit.Pos()).String()+": return "+lit.Value)
						}
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatalf("no ExitCode method under %s: the walk is broken", root)
	}
	return bad
}

// TestExitCodesDefinedOnce: every ExitCode method of the module returns
// one of this package's constants (or another error's code), never a
// number of its own.
func TestExitCodesDefinedOnce(t *testing.T) {
	for _, b := range exitLiterals(t, filepath.Join("..", "..")) {
		t.Errorf("%s: use a constant of package exitcode", b)
	}
}

// TestExitLiteralsFound checks the walk on a file that breaks the rule.
func TestExitLiteralsFound(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\ntype E struct{}\n\nfunc (E) ExitCode() int { return 3 }\n"
	if err := writeFile(filepath.Join(dir, "x.go"), src); err != nil {
		t.Fatal(err)
	}
	if bad := exitLiterals(t, dir); len(bad) != 1 {
		t.Fatalf("found %v, want one literal", bad)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
