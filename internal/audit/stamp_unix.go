//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package audit

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// changeStamp identifies the log file's content as the system last saw it
// change: its inode and its status-change time (ctime). Any write, rename
// over it or chmod moves the ctime, and unlike the modification time a
// user cannot set it back (only a clock change by root can), so an
// unchanged stamp means nothing but mfactl's own append touched the file
// since it was verified.
func changeStamp(f *os.File) string {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return ""
	}
	sec, nsec := st.Ctim.Unix()
	return fmt.Sprintf("%d:%d.%09d", st.Ino, sec, nsec)
}
