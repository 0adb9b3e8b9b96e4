"""jupyter_kernel_test (Debian python3-jupyter-kernel-test 0.4.5) suite for
the peerscope Go kernel, every attribute set. Run by run.sh with
JUPYTER_PATH pointing at a temporary kernelspec named "peerscope"."""

import unittest

import jupyter_kernel_test


class PeerscopeKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "peerscope"
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'import "fmt"\nfmt.Println("hello, world")'
    code_stderr = 'import "os"\nfmt.Fprintln(os.Stderr, "to stderr")'

    completion_samples = [
        {"text": "fmt.Sprin", "matches": {"Sprint", "Sprintf", "Sprintln"}},
        {"text": "strings.HasPre", "matches": {"HasPrefix"}},
        {"text": "var peerCount = 3\npeerCo", "matches": {"peerCount"}},
        {"text": "retu", "matches": {"return"}},
    ]

    complete_code_samples = ["1+1", 'fmt.Println("x")', "func f() int {\n\treturn 1\n}", "x := []int{1, 2}"]
    incomplete_code_samples = ["func g() {", "for i := 0; i < 3; i++ {", "xs := []int{1,", "s := `raw"]
    invalid_code_samples = ["x := )", "}", "x := := 2"]

    code_page_something = "?fmt.Println"

    # A compile error: exactly one IOPub output (the error), no stderr line.
    code_generate_error = "var broken int = \"text\""

    code_execute_result = [
        {"code": "1+1", "result": "2"},
        {"code": "6*7", "result": "42"},
        {"code": '"peer" + "scope"', "result": '"peerscope"'},
        {"code": "display.HTML(\"<b>rich</b>\")", "result": "<b>rich</b>", "mime": "text/html"},
    ]

    code_display_data = [
        {"code": 'display.Display(display.HTML("<b>hi</b>"))', "mime": "text/html"},
        {"code": 'display.Display(display.Markdown("# title"))', "mime": "text/markdown"},
        {"code": 'display.Display(display.SVG("<svg xmlns=\\"http://www.w3.org/2000/svg\\"/>"))', "mime": "image/svg+xml"},
        {"code": 'display.Display(display.JSON(map[string]int{"a": 1}))', "mime": "application/json"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6*7"

    code_inspect_sample = "strings.Split"

    code_clear_output = "display.ClearOutput(false)"


if __name__ == "__main__":
    unittest.main()
