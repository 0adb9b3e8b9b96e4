"""Checks the outputs of the executed kernel_test.ipynb against each code
cell's metadata "check": comma-separated expectations — a MIME type that
must be present, MIME=text for exact text, MIME~text for a substring,
"stream" for a stdout stream, error=ENAME for an error output."""

import sys

import nbformat


def main(path):
    nb = nbformat.read(path, as_version=4)
    bad = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outs = cell.get("outputs", [])
        for want in cell.metadata.get("check", "").split(","):
            ok = False
            for o in outs:
                data = o.get("data", {})
                if want == "stream":
                    ok |= o.output_type == "stream" and o.name == "stdout"
                elif want.startswith("error="):
                    ok |= o.output_type == "error" and o.ename == want[6:]
                elif "=" in want:
                    mime, text = want.split("=", 1)
                    ok |= data.get(mime) == text
                elif "~" in want:
                    mime, text = want.split("~", 1)
                    ok |= text in str(data.get(mime, ""))
                else:
                    ok |= want in data
            print("%s cell %d: %s" % ("ok  " if ok else "FAIL", i, want))
            if not ok:
                bad += 1
                print("     outputs:", [(o.output_type, list(o.get("data", {}).keys()) or o.get("text") or o.get("evalue")) for o in outs])
    if nb.metadata.get("language_info", {}).get("name") != "go":
        print("FAIL language_info not filled from kernel_info")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
