package cli

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEndToEndTestsRunInParallel keeps the package's end-to-end tests overlapping:
// -parallel defaults to e2eParallel (go test's own default, GOMAXPROCS,
// ran them two at a time on a 2-core machine), and every TestE2E* test
// calls t.Parallel first.
func TestEndToEndTestsRunInParallel(t *testing.T) {
	if v := flag.Lookup("test.parallel").Value.String(); !parallelGiven && v != strconv.Itoa(e2eParallel) {
		t.Errorf("-test.parallel is %s without -parallel on the command line, want %d", v, e2eParallel)
	}
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "TestE2E") {
				continue
			}
			n++
			if !callsParallelFirst(fn) {
				t.Errorf("%s (%s) does not call t.Parallel() first: it would run alone, before every parallel test", fn.Name.Name, file)
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d TestE2E* tests, want at least 10: is the search broken?", n)
	}
}

// callsParallelFirst reports whether fn's first statement is t.Parallel().
func callsParallelFirst(fn *ast.FuncDecl) bool {
	if fn.Body == nil || len(fn.Body.List) == 0 {
		return false
	}
	es, ok := fn.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Parallel" && len(call.Args) == 0
}
