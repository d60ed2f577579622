// Command mfactl manages and audits Microsoft Entra ID MFA methods.
package main

import (
	"os"

	"github.com/mfactl/mfactl/cmd"
)

func main() { os.Exit(cmd.Main()) }
