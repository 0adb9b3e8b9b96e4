package main

import (
	"errors"
	"flag"
)

// Argument parsing shared by the subcommands.

// parseInterleaved parses flags that may come before or after the
// positional arguments ("decode IN -o DIR" as well as "decode -o DIR IN").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagExit is the exit code of a subcommand whose flags did not parse (the
// flag set has printed why, or the usage): asking for -h or --help is not an
// error, anything else is a usage error.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
