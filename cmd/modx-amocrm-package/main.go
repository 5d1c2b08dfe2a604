// Command modx-amocrm-package builds the Debian package of modx-amocrm from
// a built binary and this source tree, with nfpm as a library. `.ci/package`
// builds the binary and runs it; it is a build tool, never linked into the
// service.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var uerr usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &uerr):
		fmt.Fprintln(os.Stderr, "modx-amocrm-package:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "modx-amocrm-package:", err)
		os.Exit(1)
	}
}
