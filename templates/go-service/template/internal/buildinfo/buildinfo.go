// Package buildinfo says which build of the service is running: its version, the commit it was
// built from, and the Go release that built it.
package buildinfo

import (
	"log/slog"
	"runtime"
	"runtime/debug"
)

// Info describes a build.
type Info struct {
	// Version is set at link time (-ldflags "-X main.version=v1.2.3"); "dev" otherwise.
	Version string `json:"version"`
	// Revision is the VCS commit, and Time its time (RFC 3339), when go build could read them
	// from the repository; empty in a container build, which has no .git.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"revision_time,omitempty"`
	// Modified reports uncommitted changes at build time.
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the Go release that built the binary, such as go1.27.1.
	GoVersion string `json:"go"`
}

// Read returns the running binary's build information, with version as its Version.
func Read(version string) Info {
	info := Info{Version: version, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// LogValue logs the build as a group of its non-empty fields.
func (i Info) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("version", i.Version), slog.String("go", i.GoVersion)}
	if i.Revision != "" {
		attrs = append(attrs, slog.String("revision", i.Revision), slog.String("revision_time", i.Time),
			slog.Bool("modified", i.Modified))
	}
	return slog.GroupValue(attrs...)
}

// String is the -version output: the version, then what else is known, on one line.
func (i Info) String() string {
	s := i.Version + " " + i.GoVersion
	if i.Revision != "" {
		s += " " + i.Revision + " " + i.Time
		if i.Modified {
			s += " modified"
		}
	}
	return s
}
