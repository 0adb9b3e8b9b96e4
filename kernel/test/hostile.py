"""Hostile-cell suite: cells that panic in every way, exit, loop forever,
flood output, fail to parse, hit yaegi v0.16.1 crashers or recurse without
end. After each the
kernel must answer, and at the end 1+1 must still be 2."""

import sys
import time

import kclient

# (code, expected ename or None for success, interrupt after seconds)
CELLS = [
    ('panic("boom")', "Panic", None),
    ("var p *int\n*p = 1", "RuntimeError", None),
    ("var m map[string]int\nm[\"a\"] = 1", "RuntimeError", None),
    ("xs := []int{}\n_ = xs[3]", "RuntimeError", None),
    ("zero := 0\n_ = 1 / zero", "RuntimeError", None),
    ('var i interface{} = "s"\n_ = i.(int)', "Panic", None),
    ("var c chan int\nclose(c)", "RuntimeError", None),
    ("c2 := make(chan int)\nclose(c2)\nclose(c2)", "RuntimeError", None),
    ("c3 := make(chan int)\nclose(c3)\nc3 <- 1", "RuntimeError", None),
    ("var nf func()\nnf()", "RuntimeError", None),
    ('import "time"\ngo func() { panic("in goroutine") }()\ntime.Sleep(200 * time.Millisecond)', None, None),
    ("go func() { var q *int; _ = *q }()\ntime.Sleep(200 * time.Millisecond)", None, None),
    ('import "os"\nos.Exit(1)', "Exit", None),
    ("go os.Exit(0)\ntime.Sleep(200 * time.Millisecond)", None, None),
    ('import "log"\nlog.Fatal("fatal!")', "Panic", None),
    ("for {}", "Interrupted", 1.0),
    ("block := make(chan int)\n<-block", "Interrupted", 1.0),
    ("select {}", "Interrupted", 1.0),
    ("for i := 0; ; i++ { if i < 0 { break } }", "Interrupted", 1.0),
    ('import "strings"\nfor i := 0; i < 120000; i++ { fmt.Println(strings.Repeat("x", 99)) }', None, None),
    ("func (", "SyntaxError", None),
    ('s := "unterminated', "SyntaxError", None),
    ("undefinedThing + 1", "CompileError", None),
    ('import "no/such/package"', "CompileError", None),
    ("tot := 0\nfor i := range 10 { tot += i }\ntot", None, None),
    ("for x := range func(yield func(int) bool) {} { _ = x }", "Unsupported", None),
    ("func sumTo(n int) int { s := 0; for i := range n { s += i }; return s }\nsumTo(4)", "Unsupported", None),
    ("type Peer struct{ ID int }", None, None),
    ("type Peer struct{ ID, Port int }", "Redefinition", None),
    ('panic(fmt.Errorf("wrapped: %w", fmt.Errorf("inner")))', "Panic", None),
    ("_ = make([]byte, -1+len(\"\"))", "RuntimeError", None),
    ('display.SetSink(nil)', "CompileError", None),
    ('v, err := display.Input("name?")\nfmt.Println(v, err)', None, None),
    ('fmt.Print(string([]byte{0xff, 0xfe, 0x41}))', None, None),
    ('type Shape interface{ Area() float64 }\ntype Sq struct{}\nfunc (Sq) Area() float64 { panic("area") }\nvar sh Shape = Sq{}\nsh.Area()', "Panic", None),
    ("var bad int = \"s\"", "CompileError", None),
    ("x := 1\ny := x +", "SyntaxError", None),
    ("import \"runtime\"\nruntime.Goexit()", None, None),
    # Unbounded recursion: Go's stack overflow is fatal; the depth guard
    # turns it into an error (direct, mutual, through a closure variable).
    ("func down(n int) int { return down(n+1) + 1 }\ndown(0)", "RecursionError", None),
    ("func ping(n int) int { return pong(n) }\nfunc pong(n int) int { return ping(n + 1) }\nping(0)", "RecursionError", None),
    ("var walk func(int) int\nwalk = func(n int) int { return walk(n+1) }\nwalk(0)", "RecursionError", None),
    # Runaway allocation: the memory watchdog stops the cell (run.sh sets a
    # 1 GiB limit); the next cell frees what it held.
    ("var hog [][]byte\nfor { hog = append(hog, make([]byte, 1<<20)) }", "MemoryError", None),
    ("hog = nil", None, None),
]


def main():
    km, kc = kclient.start()
    failures = 0
    try:
        for i, (code, want, interrupt) in enumerate(CELLS, 1):
            t0 = time.time()
            reply, outs = kclient.run(kc, code, timeout=60, interrupt_after=interrupt, km=km)
            got = reply.get("ename") if reply["status"] == "error" else None
            ok = got == want if want is not None else reply["status"] == "ok"
            # The kernel must still answer after every cell.
            alive, _ = kclient.run(kc, "1+1", timeout=10)
            ok = ok and alive["status"] == "ok"
            print("%-4s %2d %-14s %-14s %5.2fs  %s" % ("ok" if ok else "FAIL", i, want, got, time.time() - t0,
                                                    code.replace("\n", "; ")[:60]))
            if not ok:
                failures += 1
                print("     reply:", reply.get("evalue"), reply.get("traceback"))
        reply, outs = kclient.run(kc, "1+1")
        res = [c for t, c in outs if t == "execute_result"]
        if not res or res[0]["data"]["text/plain"] != "2":
            print("FAIL final 1+1:", reply, outs)
            failures += 1
        else:
            print("final 1+1 = 2: the kernel survived %d hostile cells" % len(CELLS))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
